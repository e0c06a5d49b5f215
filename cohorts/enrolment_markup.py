"""The enrolment preview's table rows, built in Python.

A 2,000-row file is 2,000 table rows plus a field-by-field diff for every member on record
whose details differ; through the template language that alone took over 2 s of the
preview's 3 s budget (bench/enrolment.py). Here each phrase is translated once per page
and every value from the file or the record goes through `escape`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import Board, Industry
from core.text import list_join

from .enrolment import Row


def preview_rows(rows: Iterable[Row]) -> SafeString:
    labels = {**{c: str(v) for c, v in Industry.choices}, **{c: str(v) for c, v in Board.choices}}
    words = {  # escaped once, used for every row
        "new": _("New issuer"),
        "same": _("On record, same details"),
        "differs": _("On record, details differ"),
        "enrolled": _("Already enrolled in this cohort"),
        "will": _("Will be enrolled"),
        "contact_new": _("New contact; will be invited"),
        "contact_existing": _("Existing contact"),
        "contact_joins": _("Has an account; becomes a contact here and is told by e-mail"),
        "detail": _("Detail"),
        "recorded": _("On record (kept)"),
        "file": _("In the file"),
        "change": _("Change it?"),
        "use": _("Use the file's value"),
    }
    words = {k: escape(text) for k, text in words.items()}
    out: list[str] = []
    for r in rows:
        v = {k: escape(x) for k, x in r.values.items()}
        state = r.issuer_state if r.ok else "error"
        issuer = contact = ""
        if r.ok:
            status = words[r.issuer_state]
            if r.issuer_state == "differs":
                status = f"<strong>{status}</strong>"
            issuer = f"{status}<br>{words['enrolled'] if r.enrolled else words['will']}"
            contact = _contact(r, words)
        name_zh = f'<br><span lang="zh-Hant">{v["name_zh"]}</span>' if v["name_zh"] else ""
        industry = escape(labels.get(r.values["industry"], r.values["industry"]))
        board = escape(labels.get(r.values["board"], r.values["board"]))
        out.append(
            f'<tr class="{"" if r.ok else "table-warning"}" id="line-{r.line}" '
            f'data-state="{state}"><td>{r.line}</td><td>{v["stock_code"]}</td>'
            f"<td>{v['name_en']}{name_zh}</td><td>{industry}</td><td>{board}</td>"
            f'<td>{v["email"]}</td><td class="enrol-issuer">{issuer}</td>'
            f'<td class="enrol-contact">{contact}</td>'
            f'<td class="text-danger">{escape(" ".join(r.problems))}</td></tr>'
        )
        if r.changes:
            out.append(_changes(r, words))
    return mark_safe("".join(out))  # every value above is escaped


def _contact(r: Row, words: dict[str, str]) -> str:
    if r.contact == "new":
        if r.shared_with:
            return escape(
                _("Same new contact as line %(n)s: one account for both companies")
                % {"n": r.shared_with}
            )
        return words["contact_new"]
    text = words["contact_existing"] if r.contact == "existing" else words["contact_joins"]
    if r.also_for:
        text += " " + escape(_("(also acts for %(names)s)") % {"names": list_join(r.also_for)})
    return text


def _changes(r: Row, words: dict[str, str]) -> str:
    caption = escape(
        _("Line %(line)s (%(code)s): what the file gives differently")
        % {"line": r.line, "code": r.values["stock_code"]}
    )
    where = escape(_("line %(line)s") % {"line": r.line})
    cells = []
    for c in r.changes:
        key = escape(c.key(r.line))
        cells.append(
            f'<tr><th scope="row">{escape(c.label)}</th><td>{escape(c.recorded) or "—"}</td>'
            f'<td>{escape(c.proposed)}</td><td><div class="form-check">'
            f'<input class="form-check-input" type="checkbox" name="{key}" '
            f'value="{escape(c.token)}" id="{key}"><label class="form-check-label" '
            f'for="{key}">{words["use"]}<span class="visually-hidden"> ({escape(c.label)}, '
            f"{where})</span></label></div></td></tr>"
        )
    return (
        f'<tr class="enrol-changes" id="changes-{r.line}"><td></td><td colspan="8">'
        f'<table class="table table-sm table-bordered mb-1"><caption class="small">{caption}'
        f'</caption><thead><tr><th scope="col">{words["detail"]}</th><th scope="col">'
        f'{words["recorded"]}</th><th scope="col">{words["file"]}</th><th scope="col">'
        f"{words['change']}</th></tr></thead><tbody>{''.join(cells)}</tbody></table></td></tr>"
    )
