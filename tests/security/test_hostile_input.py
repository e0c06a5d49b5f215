"""Hostile text typed into every free-text field comes out inert everywhere it is shown.

The payloads go in through the real forms (wizard steps, profile, team invitations,
reviewer comments and return messages, the enrolment CSV, the cohort forms and the Django
admin) and are then read back from every page that shows them, the HTML and PDF report,
and the CSV / XLSX exports.

A page passes when (a) every stored value is present in its escaped form, so the field
really was rendered, and (b) an HTML parse of the page finds no markup an attacker could
have planted: no inline script, no event-handler attribute, no javascript:/file: link,
no stylesheet or style attribute loading a URL, no attachment link.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Issuer, User
from assessments import selectors
from assessments.models import Answer
from assessments.tests.factories import PASSWORD, client_for
from cohorts.exports import FORMULA_START
from cohorts.models import Cohort
from reports import services as report_services
from reports.rendering import html_to_pdf
from reports.tests.poppler import pdftotext

from .corpus import (
    COHORT_NAME_EN,
    COHORT_NAME_ZH,
    CONTRIBUTOR_NAME,
    CORPUS,
    CSS,
    FORMULA,
    ISSUER_NAME_EN,
    ISSUER_NAME_ZH,
    LONG_NOTE,
    OTHER,
    TEMPLATE,
    XSS,
    stored,
)
from .world import World, build_world, rolled_back

pytestmark = pytest.mark.django_db


# --- checking a page -------------------------------------------------------------------


class PlantedMarkup(HTMLParser):
    """Collects markup that only an injection could have put into one of our pages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "srcdoc", "xlink:href"):
                lowered = value.strip().lower()
                if lowered.startswith(("javascript:", "file:", "data:text/html", "http://127")):
                    self.found.append(f"<{tag} {name}={value[:40]}>")
            if name == "style" and "url(" in value.lower():
                self.found.append(f"<{tag} style={value[:40]}>")
        src = values.get("src", "")
        same_site = src.startswith("/") and not src.startswith("//")
        # type=application/json: the admin's data islands, never executed.
        if tag == "script" and not same_site and values.get("type") != "application/json":
            self.found.append("<script> without a same-site src")
        if tag == "img" and not values.get("src", "").startswith(("/static/", "data:image/")):
            self.found.append(f"<img src={values.get('src', '')[:40]}>")
        if tag == "link" and "attachment" in values.get("rel", ""):
            self.found.append("<link rel=attachment>")
        if tag in ("iframe", "object", "embed", "base"):
            self.found.append(f"<{tag}>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        # The report's own <style> names its bundled font files; the corpus's URLs do not
        # belong in any stylesheet.
        if self._in_style and re.search(r"url\([^)]*(/etc/|127\.0\.0\.1)", data, re.I):
            self.found.append("<style> loading a URL from the corpus")


def planted(html: str) -> list[str]:
    parser = PlantedMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def missing(html: str, values: list[str]) -> list[str]:
    """Values whose escaped form is not on the page (line by line: notes keep breaks)."""
    out = []
    for value in values:
        for line in re.split(r"\r\n|\r|\n", stored(value)):
            if line.strip() and escape(line.strip()) not in html:
                out.append(line)
    return out


def assert_inert(html: str, values: list[str], where: str) -> None:
    assert planted(html) == [], where
    assert missing(html, values) == [], where


def get_html(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


# --- the world, with hostile text typed in through the forms ---------------------------


def step_data(assessment: Any, shift_code: str, notes: list[str]) -> dict[str, str]:
    """Every item of a step with its current value and a note from `notes` (cycled)."""
    data: dict[str, str] = {"go": "stay"}
    rows = Answer.objects.filter(assessment=assessment, item__shift_code=shift_code)
    for n, answer in enumerate(rows.select_related("item").order_by("item__position")):
        code = answer.item.code
        if answer.item.kind == "figure":
            data[f"{code}__dk"] = "on"
        elif answer.item.kind == "maturity":
            data[f"{code}__value"] = str(answer.level)
        else:
            data[f"{code}__value"] = answer.choice
        data[f"{code}__note"] = notes[n % len(notes)]
        data[f"{code}__confidence"] = ""
        data[f"{code}__base"] = str(answer.version)
    return data


def enrolment_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["stock_code", "name_en", "name_zh", "industry", "board", "email"])
    writer.writerows(rows)
    return out.getvalue().encode()


def admin_cohort_data(cohort: Cohort, **changes: str) -> dict[str, Any]:
    data = {
        "name_en": cohort.name_en,
        "name_zh": cohort.name_zh,
        "slug": cohort.slug,
        "year": str(cohort.year),
        "framework": str(cohort.framework_id),
        "opens_on": cohort.opens_on.isoformat(),
        "closes_on": cohort.closes_on.isoformat(),
        "status": cohort.status,
        "reviewers": [str(pk) for pk in cohort.reviewers.values_list("pk", flat=True)],
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def hostile(module_db) -> World:
    w = build_world(module_db)
    a, lead, admin = w.a, w.client("lead_a"), w.client("admin")

    profile = {
        "name_en": ISSUER_NAME_EN,
        "name_zh": ISSUER_NAME_ZH,
        "board": "main",
        "industry": "industrials",
        "market_cap_band": "lt_500m",
        "revenue_band": "lt_100m",
        "employee_band": "lt_50",
    }
    assert lead.post(reverse("assessments:profile", args=[a.pk]), profile).status_code == 302

    # Colleagues named with the corpus; the first one then answers a step.
    names = [CONTRIBUTOR_NAME, *[p for p in CORPUS if len(stored(p)) <= 150]]
    for n, name in enumerate(names):
        response = lead.post(reverse("team"), {"email": f"p{n}@example.org", "full_name": name})
        assert response.status_code == 302, (name, response.content.decode()[-500:])
    colleague = User.objects.get(email="p0@example.org")
    colleague.set_password(PASSWORD)
    colleague.save()

    notes = [*CORPUS, LONG_NOTE]
    fw = selectors.framework_of(a.framework)
    for n, shift in enumerate(fw.shifts):
        client = client_for(colleague) if n == 0 else lead
        rotated = notes[n * 7 :] + notes[: n * 7]  # every note lands on some step
        response = client.post(
            reverse("assessments:step", args=[a.pk, shift.code]),
            step_data(a, shift.code, rotated),
        )
        assert response.status_code == 302, response.content.decode()[-800:]
    assert lead.post(reverse("assessments:submit", args=[a.pk])).status_code == 302

    reviewer = w.client("reviewer_a")
    review_url = reverse("assessments:review_submission", args=[a.pk])
    for text in CORPUS:
        response = reviewer.post(review_url, {"action": "comment", "text": text, "item": ""})
        assert response.status_code == 302, text
    message = "\n".join(XSS[:3] + CSS[:1] + FORMULA[:1])
    response = reviewer.post(review_url, {"action": "return", "text": message, "item": ""})
    assert response.status_code == 302

    # Cohort names: cohort A renamed in the Django admin, more cohorts added there and
    # through the association's own cohort form.
    change = reverse("admin:cohorts_cohort_change", args=[w.cohort_a.pk])
    data = admin_cohort_data(w.cohort_a, name_en=COHORT_NAME_EN, name_zh=COHORT_NAME_ZH)
    assert admin.post(change, data).status_code == 302
    short = [p for p in CORPUS if 0 < len(stored(p)) <= 200]
    for n, name in enumerate(short[:10]):
        data = admin_cohort_data(w.cohort_b, name_en=name, name_zh=name, slug=f"h-admin-{n}")
        data["reviewers"] = [str(w.users["reviewer_a"].pk)]
        response = admin.post(reverse("admin:cohorts_cohort_add"), data)
        assert response.status_code == 302, (name, response.content.decode()[-800:])
    for n, name in enumerate(short[10:]):
        data = admin_cohort_data(w.cohort_b, name_en=name, name_zh=name, slug=f"h-app-{n}")
        data["reviewers"] = [str(w.users["reviewer_a"].pk)]
        response = admin.post(reverse("cohorts:create"), data)
        assert response.status_code == 302, (name, response.content.decode()[-800:])

    # Issuers enrolled from a CSV whose names are the corpus.
    rows = [
        [str(61000 + n), name, name, "industrials", "main", f"e{n}@example.org"]
        for n, name in enumerate(short)
    ]
    enrol = reverse("cohorts:enrol", args=[w.cohort_a.slug])
    upload = SimpleUploadedFile("issuers.csv", enrolment_csv(rows), "text/csv")
    response = admin.post(enrol, {"file": upload})
    assert response.status_code == 200 and "rows have errors" not in response.content.decode()
    response = admin.post(enrol, {"action": "import"})
    assert response.status_code == 302, response.content.decode()[-800:]

    w.refresh()
    w.extra.update(
        notes=notes,
        comments=list(CORPUS),
        message=message,
        names=names,
        cohort_names=short,
        issuer_names=short,
        colleague=colleague,
    )
    return w


def test_the_corpus_was_stored_as_typed_minus_surrounding_whitespace(hostile):
    w = hostile
    assert (w.issuer_a.name_en, w.issuer_a.name_zh) == (ISSUER_NAME_EN, ISSUER_NAME_ZH)
    stored_notes = set(Answer.objects.filter(assessment=w.a).values_list("note", flat=True))
    assert {stored(n) for n in w.extra["notes"]} <= stored_notes
    assert w.a.comments.count() == 1 + len(CORPUS)
    cohort = Cohort.objects.get(pk=w.cohort_a.pk)
    assert (cohort.name_en, cohort.name_zh) == (COHORT_NAME_EN, COHORT_NAME_ZH)
    enrolled = set(Issuer.objects.filter(stock_code__gte="61000").values_list("name_en", flat=True))
    assert enrolled == {stored(n) for n in w.extra["issuer_names"]}


# --- pages -----------------------------------------------------------------------------


def wizard_pages(w: World) -> dict[str, tuple[str, str, list[str]]]:
    a = w.a.pk
    notes = w.extra["notes"]
    return {
        "step": ("lead_a", reverse("assessments:step", args=[a, "profit"]), []),
        "review": (
            "lead_a",
            reverse("assessments:review", args=[a]),
            [*notes, *w.extra["comments"], w.extra["message"], CONTRIBUTOR_NAME],
        ),
        "results": ("lead_a", reverse("reports:results", args=[a]), [ISSUER_NAME_EN]),
        "history": (
            "lead_a",
            reverse("assessments:history", args=[a]),
            [*notes, *w.extra["comments"], w.extra["message"], CONTRIBUTOR_NAME],
        ),
        "review_submission": (
            "reviewer_a",
            reverse("assessments:review_submission", args=[a]),
            [*notes, *w.extra["comments"], w.extra["message"], ISSUER_NAME_EN, COHORT_NAME_EN],
        ),
        "profile": (
            "lead_a",
            reverse("assessments:profile", args=[a]),
            [ISSUER_NAME_EN, ISSUER_NAME_ZH],
        ),
        "team": ("lead_a", reverse("team"), w.extra["names"]),
        "home (lead)": ("lead_a", reverse("home"), [ISSUER_NAME_EN]),
        "home (admin)": ("admin", reverse("home"), [ISSUER_NAME_EN, *w.extra["issuer_names"]]),
        "dashboard": (
            "reviewer_a",
            reverse("cohorts:dashboard", args=[w.cohort_a.slug]),
            [COHORT_NAME_EN, ISSUER_NAME_EN, *w.extra["issuer_names"]],
        ),
        "cohort list": (
            "admin",
            reverse("cohorts:list"),
            [COHORT_NAME_EN, *w.extra["cohort_names"]],
        ),
        "bulk reports": (
            "reviewer_a",
            reverse("cohorts:bulk_reports", args=[w.cohort_a.slug]),
            [COHORT_NAME_EN],
        ),
        "cohort edit": (
            "admin",
            reverse("cohorts:edit", args=[w.cohort_a.slug]),
            [COHORT_NAME_EN, COHORT_NAME_ZH],
        ),
        # A data access request prints what people typed: names, notes, comments.
        "personal data (reviewer)": (
            "admin",
            reverse("privacy:person", args=[w.users["reviewer_a"].pk]),
            [*w.extra["comments"], w.extra["message"], COHORT_NAME_EN, ISSUER_NAME_EN],
        ),
        "personal data (colleague)": (
            "admin",
            reverse("privacy:person", args=[w.extra["colleague"].pk]),
            [CONTRIBUTOR_NAME, ISSUER_NAME_EN],
        ),
    }


PAGES = [
    "step",
    "review",
    "results",
    "history",
    "review_submission",
    "profile",
    "team",
    "home (lead)",
    "home (admin)",
    "dashboard",
    "cohort list",
    "bulk reports",
    "cohort edit",
    "personal data (reviewer)",
    "personal data (colleague)",
]


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_hostile_text_escaped(page, hostile):
    role, path, values = wizard_pages(hostile)[page]
    client = hostile.client(role)
    html = last = get_html(client, path)
    # A paged list (the audit trail's answer changes): every page is checked.
    number = 1
    while f'rel="next" href="?page={number + 1}"' in last:
        number += 1
        last = get_html(client, f"{path}?page={number}")
        html += last
    assert_inert(html, values, page)


def test_step_page_keeps_notes_inside_their_textareas(hostile):
    """Each note is the text of its own textarea: `</textarea>` cannot close it early."""
    w = hostile
    html = get_html(w.client("lead_a"), reverse("assessments:step", args=[w.a.pk, "profit"]))
    assert planted(html) == []
    notes = [a.note for a in Answer.objects.filter(assessment=w.a, item__shift_code="profit")]

    class Textareas(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.texts: list[str] = []
            self._in = False

        def handle_starttag(self, tag, attrs):
            if tag == "textarea":
                self._in, self.texts = True, [*self.texts, ""]

        def handle_endtag(self, tag):
            if tag == "textarea":
                self._in = False

        def handle_data(self, data):
            if self._in:
                self.texts[-1] += data

    parser = Textareas()
    parser.feed(html)
    # The browser drops one newline right after <textarea>; Django writes one there.
    assert sorted(t.removeprefix("\n").replace("\r\n", "\n") for t in parser.texts) == sorted(
        n.replace("\r\n", "\n").replace("\r", "\n") for n in notes
    )
    assert "Last changed by" in html and escape(CONTRIBUTOR_NAME) in html


def test_enrolment_preview_shows_bad_cells_and_their_errors_escaped(hostile):
    """Rejected cells are echoed back in the preview and inside error messages."""
    w = hostile
    rows = [[p, p, p, p, p, p] for p in (XSS[1], XSS[3], CSS[2], FORMULA[0], TEMPLATE[1], OTHER[1])]
    upload = SimpleUploadedFile("bad.csv", enrolment_csv(rows), "text/csv")
    with rolled_back():
        response = w.client("admin").post(
            reverse("cohorts:enrol", args=[w.cohort_a.slug]), {"file": upload}
        )
    html = response.content.decode()
    assert response.status_code == 200 and "rows have errors" in html
    assert_inert(html, [r[0] for r in rows], "enrolment preview")
    assert escape(f"Unknown industry “{stored(XSS[1])}”") in html


ADMIN_PAGES = [
    ("admin:accounts_issuer_changelist", None, "issuers"),
    ("admin:accounts_issuer_change", "issuer_a", "issuer"),
    ("admin:accounts_user_changelist", None, "users"),
    ("admin:accounts_user_change", "colleague", "user"),
    ("admin:cohorts_cohort_changelist", None, "cohorts"),
    ("admin:cohorts_cohort_change", "cohort_a", "cohort"),
    ("admin:assessments_assessment_changelist", None, "assessments"),
    ("admin:assessments_assessment_change", "a", "assessment"),
    ("admin:reports_report_changelist", None, "reports"),
]


@pytest.mark.parametrize(("name", "obj", "label"), ADMIN_PAGES, ids=[p[2] for p in ADMIN_PAGES])
def test_admin_pages_show_hostile_text_escaped(name, obj, label, hostile):
    w = hostile
    target = {
        "issuer_a": w.issuer_a,
        "colleague": w.extra["colleague"],
        "cohort_a": w.cohort_a,
        "a": w.a,
    }.get(obj or "")
    path = reverse(name, args=[target.pk] if target is not None else [])
    values = {
        "issuers": [ISSUER_NAME_EN, ISSUER_NAME_ZH, *w.extra["issuer_names"]],
        "issuer": [ISSUER_NAME_EN, ISSUER_NAME_ZH],
        "users": w.extra["names"],
        "user": [CONTRIBUTOR_NAME],
        "cohorts": [COHORT_NAME_EN, COHORT_NAME_ZH, *w.extra["cohort_names"]],
        "cohort": [COHORT_NAME_EN, COHORT_NAME_ZH],
        "assessments": [ISSUER_NAME_EN],
        "assessment": [ISSUER_NAME_EN],
        "reports": [],  # a report is listed by stock code and number only
    }[label]
    html = get_html(w.client("admin"), path + ("?all=" if name.endswith("changelist") else ""))
    assert_inert(html, values, label)


# --- reports ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_html_report_shows_hostile_text_escaped(language, hostile):
    w = hostile
    html = get_html(w.client("lead_a"), reverse("reports:view", args=[w.a.pk, language]))
    name = ISSUER_NAME_EN if language == "en" else ISSUER_NAME_ZH
    cohort = COHORT_NAME_EN if language == "en" else COHORT_NAME_ZH
    assert_inert(html, [name, cohort, *w.extra["notes"]], f"report view ({language})")


PDF_NOTES = (XSS[0], XSS[3], TEMPLATE[0], TEMPLATE[1], CSS[0], CSS[2], CSS[4], FORMULA[0])


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_pdf_report_prints_hostile_text_literally_and_fetches_nothing(
    language, hostile, tmp_path, caplog
):
    """Rendered by the real pipeline (report service, WeasyPrint, the bundled-assets-only
    fetcher) and downloaded through the access-checked view."""
    w = hostile
    with caplog.at_level(logging.WARNING, logger="reports.rendering"):
        # The fetcher logs what it refuses: prove that it does, so silence below means
        # nothing was attempted.
        html_to_pdf('<p>canary</p><img src="file:///etc/passwd">')
        assert any("refused" in r.getMessage() for r in caplog.records)
        caplog.clear()
        with rolled_back():
            report = report_services.report_request(
                assessment=w.a, language=language, user=w.users["lead_a"]
            )
            report_services.report_render(report_id=report.pk)
            assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()] == []
            response = w.client("lead_a").get(reverse("reports:download", args=[w.a.pk, language]))
            assert response.status_code == 200
            pdf = response.getvalue()
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" not in pdf
    text = pdftotext(pdf, tmp_path)
    flat = "".join(text.split())  # table cells wrap long notes anywhere
    name = ISSUER_NAME_EN if language == "en" else ISSUER_NAME_ZH
    cohort = COHORT_NAME_EN if language == "en" else COHORT_NAME_ZH
    for value in (name, cohort, *PDF_NOTES):
        assert "".join(stored(value).split()) in flat, value
    assert "root:x:" not in text


# --- exports ---------------------------------------------------------------------------


def export(w: World, fmt: str, kind: str) -> bytes:
    path = reverse("cohorts:export", args=[w.cohort_a.slug, fmt]) + f"?kind={kind}"
    response = w.client("reviewer_a").get(path)
    assert response.status_code == 200
    return response.getvalue()


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def neutralised(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


@pytest.mark.parametrize("kind", ["summary", "answers"])
def test_csv_export_neutralises_formulas(kind, hostile):
    w = hostile
    rows = list(csv.reader(io.StringIO(export(w, "csv", kind).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    live = [c for c in cells if c.startswith(FORMULA_START) and not is_number(c)]
    assert live == []
    expected = w.extra["issuer_names"] if kind == "summary" else w.extra["notes"]
    for value in expected:
        assert neutralised(stored(value)) in cells, value


@pytest.mark.parametrize("kind", ["summary", "answers"])
def test_xlsx_export_has_no_formulas(kind, hostile):
    w = hostile
    book = openpyxl.load_workbook(io.BytesIO(export(w, "xlsx", kind)))
    cells = [cell for row in book.active.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    # A text cell is never a formula, so formula-like text is written as it is, with no
    # apostrophe to show (cohorts.exports; only CSV needs one). cohorts.xlsx writes a
    # carriage return as the reference &#13;, which every XML parser reads back as CR.
    strings = [c.value for c in cells if isinstance(c.value, str)]
    expected = w.extra["issuer_names"] if kind == "summary" else w.extra["notes"]
    for value in expected:
        assert stored(value) in strings, value
    assert any(s.startswith(FORMULA_START) for s in strings)
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    with zipfile.ZipFile(io.BytesIO(export(w, "xlsx", kind))) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()


# --- the JSON API ------------------------------------------------------------------------


def test_api_returns_hostile_text_as_json_data_never_markup(hostile):
    """The API hands the corpus back exactly as stored, as JSON strings of a response a
    browser will not sniff into HTML (application/json, nosniff): the notes through the
    answers list, the names through the issuer rows and the cohort."""
    w = hostile
    admin = w.client("admin")
    slug = w.cohort_a.slug
    notes: set[str] = set()
    url: str | None = reverse("api:cohort_answers", args=[slug]) + "?page_size=500"
    while url:
        response = admin.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["X-Content-Type-Options"] == "nosniff"
        body = response.json()
        notes |= {row["note"] for row in body["results"]}
        url = body["next"]
    assert {stored(n) for n in w.extra["notes"]} <= notes
    rows = admin.get(reverse("api:cohort_issuers", args=[slug]) + "?page_size=500").json()
    names = {row["name_en"] for row in rows["results"]}
    assert {ISSUER_NAME_EN, *(stored(n) for n in w.extra["issuer_names"])} <= names
    cohort = admin.get(reverse("api:cohort", args=[slug])).json()
    assert (cohort["name_en"], cohort["name_zh"]) == (COHORT_NAME_EN, COHORT_NAME_ZH)
