"""The questionnaire item's HTML (assessments/markup.py), parsed back as a browser would."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.utils import translation

from assessments import selectors, services
from assessments.forms import StepForm
from assessments.markup import item_fieldset
from assessments.services import Proposed

from .factories import contributor, lead

pytestmark = pytest.mark.django_db

HOSTILE = '</textarea><script>alert(1)</script><img src=x onerror=alert(2)> & "q"'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.text: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("input", "br", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data):
        if self.open:
            self.text[self.open[-1]] = self.text.get(self.open[-1], "") + data

    def all(self, tag, **attrs):
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def ctx(framework):
    the_lead = lead()
    assessment = services.assessment_start(user=the_lead, framework=framework)
    return the_lead, assessment, selectors.framework_of(framework)


def rows(assessment, fw, shift, data=None, lang="en"):
    with translation.override(lang):
        form = StepForm(
            data,
            shift=fw.shift(shift),
            answers=selectors.answers_of(assessment),
            language=lang,
        )
        if data is not None:
            form.is_valid()
        return {row.item.code: row for _dim, items in form.sections() for row in items}


def render(row, lang="en"):
    with translation.override(lang):
        return item_fieldset(row)


def test_the_stored_answer_is_the_one_checked_option_and_user_text_is_escaped(ctx):
    the_lead, assessment, fw = ctx
    item = next(i for i in fw.shift("profit").items if i.kind == "maturity")
    colleague = contributor(the_lead.issuer, full_name="<b>Ka Ho</b>")
    services.answers_save(
        assessment=assessment,
        proposals={item.code: Proposed(level=4, note=HOSTILE, confidence="documented")},
        user=colleague,
    )
    page = parse(render(rows(assessment, fw, "profit")[item.code]))
    radios = page.all("input", type="radio")
    assert [r["value"] for r in radios] == ["1", "2", "3", "4", "5", "dk"]
    assert [r["value"] for r in radios if "checked" in r] == ["4"]
    assert [r["id"] for r in radios] == [f"id_{item.code}__value_{n}" for n in range(6)]
    assert not page.all("script") and not page.all("img")
    assert page.text["textarea"] == HOSTILE  # shown as text, never as markup
    assert [o["value"] for o in page.all("option") if "selected" in o] == ["documented"]
    assert "Last changed by <b>Ka Ho</b>" in page.text["div"]
    (base,) = page.all("input", type="hidden")
    assert base["name"] == f"{item.code}__base" and base["value"] == "1"
    (box,) = page.all("div", role="status")
    assert "d-none" in (box["class"] or "")


def test_a_figure_keeps_its_number_and_dont_know(ctx):
    the_lead, assessment, fw = ctx
    item = next(i for s in fw.shifts for i in s.items if i.kind == "figure")
    shift = next(s.code for s in fw.shifts if item in s.items)
    services.answers_save(
        assessment=assessment,
        proposals={item.code: Proposed(number=Decimal("12.5"))},
        user=the_lead,
    )
    page = parse(render(rows(assessment, fw, shift)[item.code]))
    (number,) = page.all("input", type="number")
    assert number["value"] == "12.5" and number["name"] == f"{item.code}__value"
    assert number["min"] == str(item.min_value) and number["max"] == str(item.max_value)
    (dk,) = page.all("input", type="checkbox")
    assert "checked" not in dk


def test_invalid_input_is_shown_as_typed_with_its_error(ctx):
    _the_lead, assessment, fw = ctx
    item = next(i for i in fw.shift("profit").items if i.kind == "maturity")
    data = QueryDict(mutable=True)
    data.update(
        {
            f"{item.code}__base": "0",
            f"{item.code}__value": "9",
            f"{item.code}__note": HOSTILE,
            f"{item.code}__confidence": "bogus",
        }
    )
    row = rows(assessment, fw, "profit", data)[item.code]
    page = parse(render(row))
    (fieldset,) = page.all("fieldset")
    assert "has-error" in (fieldset["class"] or "")
    assert not [r for r in page.all("input", type="radio") if "checked" in r]
    assert page.text["textarea"] == HOSTILE
    assert page.all("select", **{"class": "form-select form-select-sm is-invalid"})
    assert page.all("div", role="alert")
    assert "Choose one of the options shown." in page.text["div"]


def test_a_colleagues_winning_answer_opens_the_conflict_box_in_chinese(ctx):
    the_lead, assessment, fw = ctx
    item = next(i for i in fw.shift("profit").items if i.kind == "maturity")
    colleague = contributor(the_lead.issuer, full_name="黃家豪")
    services.answers_save(
        assessment=assessment, proposals={item.code: Proposed(level=2)}, user=colleague
    )
    row = rows(assessment, fw, "profit", lang="zh-hant")[item.code]
    row.theirs = selectors.answers_of(assessment)[item.code]
    html = render(row, "zh-hant")
    (box,) = parse(html).all("div", role="status")
    assert "d-none" not in (box["class"] or "")
    assert "黃家豪於" in html and "將此答案更改為：" in html and "第2級：" in html
