"""A questionnaire step that respects time (issue 15, defect 9): the value-chain stages as
one grid with a label and a fieldset for every answer, a time estimate per step, and an
error summary linking to each invalid answer."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict
from django.template.defaultfilters import slugify
from django.urls import reverse
from django.utils import translation

from assessments import reading_time, services
from assessments.markup import is_stage_grid, stage_grid
from assessments.services import Proposed

from .factories import client_for
from .test_markup import ctx, parse, rows  # noqa: F401  (ctx is a fixture)

pytestmark = pytest.mark.django_db


def stage_rows(assessment, fw, data=None):
    shift = next(s for s in fw.shifts if any(i.value_chain_stage for i in s.items))
    by_code = rows(assessment, fw, shift.code, data)
    return shift, [r for r in by_code.values() if r.item.value_chain_stage]


def test_the_value_chain_stages_are_one_grid_with_a_fieldset_and_labels_per_stage(ctx):  # noqa: F811
    the_lead, assessment, fw = ctx
    _shift, stages = stage_rows(assessment, fw)
    assert len(stages) == 8 and is_stage_grid(stages)
    first = stages[0].item
    services.answers_save(
        assessment=assessment,
        proposals={first.code: Proposed(choice=first.options[1].code)},
        user=the_lead,
    )
    _, stages = stage_rows(assessment, fw)
    with translation.override("en"):
        page = parse(stage_grid(stages))
    fieldsets = page.all("fieldset")
    assert [f["data-item"] for f in fieldsets] == [r.item.code for r in stages]
    assert len(page.all("legend")) == 8  # each stage's question names its group
    radios = page.all("input", type="radio")
    labels = {a["for"] for a in page.all("label")}
    assert radios and all(r["id"] in labels for r in radios)  # every radio has its label
    options = len(stages[0].value.field.choices)
    assert len(radios) == 8 * options
    checked = [r for r in radios if "checked" in r]
    assert [(r["name"], r["value"]) for r in checked] == [
        (f"{first.code}__value", first.options[1].code)
    ]
    # The autosave hooks stay inside each stage's fieldset.
    assert len(page.all("input", type="hidden")) == 8
    assert len(page.all("textarea")) == 8 and len(page.all("select")) == 8
    (head,) = page.all("div", **{"class": "stage-head", "aria-hidden": "true"})
    assert head


def test_other_dimensions_are_not_a_grid(ctx):  # noqa: F811
    _the_lead, assessment, fw = ctx
    by_code = rows(assessment, fw, "profit")
    maturity = [r for r in by_code.values() if r.item.kind == "maturity"]
    assert not is_stage_grid(maturity)


def test_the_step_page_says_how_long_it_takes(ctx):  # noqa: F811
    the_lead, assessment, fw = ctx
    shift = fw.shifts[0]
    html = (
        client_for(the_lead)
        .get(reverse("assessments:step", args=[assessment.pk, shift.code]))
        .content.decode()
    )
    minutes = reading_time.step_minutes(fw, shift, "en")
    line = html.split('id="step-time"')[1].split("</p>")[0]
    assert f"{len(shift.items)} questions, about {minutes} minute" in line
    assert 'class="stage-grid"' in html


def test_the_error_summary_links_to_each_invalid_answer(ctx):  # noqa: F811
    the_lead, assessment, fw = ctx
    shift = fw.shift("profit")
    maturity = [i for i in shift.items if i.kind == "maturity"]
    data = QueryDict(mutable=True)
    for item in maturity[:2]:
        data.update({f"{item.code}__base": "0", f"{item.code}__value": "9"})
    data.update({f"{maturity[2].code}__base": "0", f"{maturity[2].code}__value": "3"})
    response = client_for(the_lead).post(
        reverse("assessments:step", args=[assessment.pk, "profit"]), data
    )
    html = response.content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    targets = re.findall(r'href="#([^"]+)"', summary)
    assert targets == [f"item-{slugify(i.code)}" for i in maturity[:2]]
    for target in targets:
        assert f'id="{target}"' in html  # each link lands on its question
        assert re.search(rf'<fieldset class="[^"]*has-error[^"]*"[^>]*id="{target}"', html)
    assert maturity[2].text.en not in summary  # the valid answer is not listed (and saved)
