"""The questionnaire item's HTML, built in Python.

This was `templates/assessments/_item.html`. A step page shows 11-22 items, each with
5-7 answer options, and the Django template language spent about 0.7 ms per item
resolving ~120 variables through bound fields: ~60 % of a step request's CPU time (see
docs/PERFORMANCE.md, "Questionnaire step"). Built here from the same bound fields, an
item takes ~0.05 ms. The markup, ids, names, classes and ARIA attributes are the
template's, unchanged; `static/js/autosave.js` relies on the `data-role` hooks. The
answer control in the middle is the item kind's (kinds.py, built with controls.py).

Every value that comes from a user or the database goes through `conditional_escape`;
translated strings are ours and are escaped too, except where they are the frame
around already-escaped values (the blocktranslate equivalents below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.template.defaultfilters import slugify
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import kinds
from .controls import bound_choices as _choices
from .controls import esc as _e
from .controls import esc_text as _text
from .presenters import answer_text

if TYPE_CHECKING:
    from .forms import ItemRow


def _when(value: Any) -> str:
    return date_format(localtime(value), "DATETIME_FORMAT")


def _feedback(bound: Any) -> str:
    return "".join(f'<div class="invalid-feedback">{_e(error)}</div>' for error in bound.errors)


def item_fieldset(row: ItemRow) -> SafeString:
    """One item: question, answer options, evidence note, confidence, hidden version."""
    lang = get_language()
    item = row.item
    code_slug = slugify(item.code)
    classes = "item mb-4 pb-3 border-bottom"
    if row.has_errors:
        classes += " has-error"
    if row.conflicts:
        classes += " has-conflict"
    out = [
        f'<fieldset class="{classes}" data-item="{_e(item.code)}" id="item-{code_slug}">',
        f'<legend class="h6 fw-semibold">{_text(item.text, lang)}',
    ]
    if item.mandatory:
        required = _e(_("Required"))
        out.append(
            f' <span class="text-danger" title="{required}">*</span>'
            f'<span class="visually-hidden">{required}</span>'
        )
    out.append("</legend>")
    if item.help:
        out.append(f'<p class="small text-muted">{_text(item.help, lang)}</p>')
    value = row.value
    out.append(
        "".join(
            f'<div class="text-danger small mb-1" role="alert">{_e(error)}</div>'
            for error in (*value.errors, *row.base.errors)
        )
    )
    out.append(kinds.of(item).markup(row, lang))
    out.append(_evidence(row))
    out.append(
        f'<input type="hidden" name="{row.base.html_name}" '
        f'value="{_e(_or(row.base.value(), 0))}" data-role="base">'
    )
    out.append(_meta(row))
    out.append(_conflicts(row, lang))
    out.append("</fieldset>")
    # Every variable part above went through _e (conditional_escape).
    return mark_safe("".join(out))


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _evidence(row: ItemRow) -> str:
    note = row.note
    confidence = row.confidence
    note_invalid = " is-invalid" if note.errors else ""
    confidence_invalid = " is-invalid" if confidence.errors else ""
    chosen = confidence.value()
    options = "".join(
        f'<option value="{_e(v)}" {"selected" if chosen == v else ""}>{_e(label)}</option>'
        for v, label in _choices(confidence)
    )
    # Looked up outside the f-string: xgettext cannot see a gettext call inside one.
    note_label = _("Evidence note (optional)")
    confidence_label = _("Confidence")
    return (
        '<div class="row g-2 mt-2 evidence"><div class="col-md-8">'
        f'<label class="form-label small mb-0" for="{note.id_for_label}">'
        f"{_e(note_label)}</label>"
        f'<textarea name="{note.html_name}" id="{note.id_for_label}" rows="2" maxlength="4000" '
        f'class="form-control form-control-sm{note_invalid}">{_e(note.value())}</textarea>'
        f"{_feedback(note)}"
        '</div><div class="col-md-4">'
        f'<label class="form-label small mb-0" for="{confidence.id_for_label}">'
        f"{_e(confidence_label)}</label>"
        f'<select name="{confidence.html_name}" id="{confidence.id_for_label}" '
        f'class="form-select form-select-sm{confidence_invalid}">{options}</select>'
        f"{_feedback(confidence)}"
        "</div></div>"
    )


def _meta(row: ItemRow) -> str:
    answer = row.answer
    text = ""
    if answer is not None and answer.updated_by:
        text = _("Last changed by %(who)s, %(when)s") % {
            "who": _e(answer.updated_by.display_name),
            "when": _e(_when(answer.updated_at)),
        }
    return f'<div class="small text-muted mt-1 item-meta" data-role="meta">{text}</div>'


def _quoted_note(note: str) -> str:
    return f" — “{_e(note)}”" if note else ""


def _conflicts(row: ItemRow, lang: str | None) -> str:
    hidden = "" if row.conflicts or row.theirs else " d-none"
    out = [f'<div class="conflict-box{hidden}" data-role="conflict" role="status">']
    theirs = row.theirs
    if theirs is not None:
        headline = _("%(who)s changed this answer at %(when)s to:") % {
            "who": _e(theirs.updated_by.display_name if theirs.updated_by else ""),
            "when": _e(_when(theirs.updated_at)),
        }
        keep = _e(
            _("Your answer is still selected here. Press Save to keep yours, or choose theirs.")
        )
        out.append(
            '<div class="alert alert-warning small mt-2 mb-0">'
            f"<strong>{headline}</strong> {_e(answer_text(row.item, theirs, lang))}"
            f"{_quoted_note(theirs.note)}<br>{keep}</div>"
        )
    for rev in row.conflicts:
        proposed = _(
            "%(who)s proposed a different answer at %(when)s that conflicted with another change:"
        ) % {
            "who": _e(rev.user.display_name if rev.user else ""),
            "when": _e(_when(rev.created_at)),
        }
        settles = _e(_("Saving this question settles it."))
        out.append(
            f'<div class="alert alert-warning small mt-2 mb-0">{proposed} '
            f"<strong>{_e(answer_text(row.item, rev, lang))}</strong>"
            f"{_quoted_note(rev.note)}. {settles}</div>"
        )
    out.append("</div>")
    return "".join(out)


def is_stage_grid(rows: list[ItemRow]) -> bool:
    """A dimension whose every question is one value-chain stage's depth, with the same
    options (the eight stages of `profit.value_chain`): asked as one grid."""
    if len(rows) < 2 or not all(r.item.value_chain_stage for r in rows):
        return False
    first = _choices(rows[0].value)
    return all(_choices(r.value) == first for r in rows[1:])


def stage_grid(rows: list[ItemRow]) -> SafeString:
    """The stages × depths grid: a header row of the options (hidden from screen readers,
    which hear each radio's own label), then one fieldset per stage (its legend the
    question) with one radio per option and the evidence note folded away. Narrow screens
    show each option's name beside its radio instead of the header (app.css)."""
    lang = get_language()
    options = _choices(rows[0].value)
    cols = len(options)
    head = "".join(f'<span class="stage-col">{_e(label)}</span>' for _, label in options)
    key = "".join(
        f"<li><strong>{_text(o.label, lang)}</strong>: {_text(o.description, lang)}</li>"
        for o in rows[0].item.options
        if o.description
    )
    out = [
        f'<ul class="stage-key small text-muted list-unstyled mb-2">{key}</ul>' if key else "",
        f'<div class="stage-grid" style="--cols: {cols}">',
        f'<div class="stage-head" aria-hidden="true"><span></span>{head}</div>',
    ]
    for row in rows:
        out.append(_stage_row(row, lang))
    out.append("</div>")
    # Every variable part went through _e (conditional_escape).
    return mark_safe("".join(out))


def _stage_row(row: ItemRow, lang: str | None) -> str:
    item = row.item
    value = row.value
    current = value.value()
    selected = "" if current is None else str(current)
    classes = "item stage-row"
    if row.has_errors:
        classes += " has-error"
    if row.conflicts:
        classes += " has-conflict"
    out = [
        f'<fieldset class="{classes}" data-item="{_e(item.code)}" id="item-{slugify(item.code)}">',
        f'<legend class="stage-q">{_text(item.text, lang)}',
    ]
    if item.mandatory:
        out.append(f'<span class="visually-hidden"> {_e(_("Required"))}</span>')
    out.append("</legend>")
    for index, (option, label) in enumerate(_choices(value)):
        option = str(option)
        option_id = f"{value.auto_id}_{index}"
        checked = "checked" if option == selected else ""
        out.append(
            f'<label class="stage-opt" for="{option_id}">'
            f'<input type="radio" class="form-check-input" name="{value.html_name}" '
            f'value="{_e(option)}" id="{option_id}" {checked}>'
            f'<span class="stage-opt-label">{_e(label)}</span></label>'
        )
    errors = "".join(
        f'<div class="text-danger small" role="alert">{_e(error)}</div>'
        for error in (*value.errors, *row.base.errors)
    )
    note_open = " open" if (row.note.value() or row.note.errors or row.confidence.errors) else ""
    note_label = _("Evidence note and confidence")
    out.append(
        f'<div class="stage-extra">{errors}<details class="stage-note"{note_open}>'
        f'<summary class="small">{_e(note_label)}</summary>{_evidence(row)}</details>'
        f'<input type="hidden" name="{row.base.html_name}" '
        f'value="{_e(_or(row.base.value(), 0))}" data-role="base">'
        f"{_meta(row)}{_conflicts(row, lang)}</div>"
    )
    out.append("</fieldset>")
    return "".join(out)
