"""Implausible figures are refused at entry, with the item's allowed range, in the reader's
language, and the typed value stays in the form."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from accounts.models import User
from assessments import kinds
from assessments.framework import ItemDef

from .factories import client_for
from .test_views import ctx, step_post, step_url, stored  # noqa: F401  (ctx is a fixture)

pytestmark = pytest.mark.django_db

SPEND = "profit.cost_structure.ai_spend"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a figure from 0 to 100 (% of revenue)."),
        ("zh-hant", "請填寫 0 至 100 之間的數字（佔收入百分比）。"),
    ],
)
def test_a_negative_spend_is_refused_with_its_range_and_kept_as_typed(ctx, language, message):  # noqa: F811
    the_lead, assessment, fw = ctx
    User.objects.filter(pk=the_lead.pk).update(language=language)
    client = client_for(the_lead)
    client.cookies["django_language"] = language
    data = step_post(fw, "profit", {SPEND: "-5"})
    response = client.post(step_url(assessment), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    typed = re.search(rf'<input[^>]*name="{re.escape(SPEND)}__value"[^>]*>', html)
    assert typed and 'value="-5"' in typed.group(0) and "is-invalid" in typed.group(0)
    assert stored(assessment, SPEND).number is None


def test_a_share_over_100_is_refused_and_a_plausible_figure_saved(ctx):  # noqa: F811
    the_lead, assessment, fw = ctx
    client = client_for(the_lead)
    html = client.post(step_url(assessment), step_post(fw, "profit", {SPEND: "140"})).content
    assert "Enter a figure from 0 to 100 (% of revenue)." in html.decode()
    assert stored(assessment, SPEND).number is None
    client.post(step_url(assessment), step_post(fw, "profit", {SPEND: "2.5"}))
    assert stored(assessment, SPEND).number == Decimal("2.5")


def test_every_figure_of_the_framework_has_limits(framework):
    from assessments import selectors

    fw = selectors.framework_of(framework)
    figures: list[ItemDef] = kinds.kpi_items(fw)
    assert len(figures) == 5
    for item in figures:
        assert item.min_value is not None and item.max_value is not None
        assert item.min_value < item.max_value
        field = kinds.of(item).form_fields(item, None, "en")["value"]
        assert field.min_value == item.min_value and field.max_value == item.max_value
