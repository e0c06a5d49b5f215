"""The issuer's home: one row per cohort with its name, deadline, status and progress, and
"Continue" opening that very assessment."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from assessments import selectors, services
from assessments.models import Assessment
from assessments.services import Proposed

from .factories import CohortFactory, association_admin, client_for, contributor, lead

pytestmark = pytest.mark.django_db


def day_text(day, language="en"):
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


def row_of(html: str, assessment: Assessment) -> str:
    match = re.search(rf'<tr data-assessment="{assessment.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {assessment.pk}"
    return match.group(1)


@pytest.fixture
def member_of_three(framework):
    """An existing member in last year's closed round, this year's open one and next
    year's planned one (created in that order, so the newest is the empty planned one)."""
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    the_lead = lead()
    the_lead.issuer.profile_confirmed_at = timezone.now()
    the_lead.issuer.save()
    cohorts = {
        "last": CohortFactory(
            framework=framework,
            name_en="2025 members survey",
            name_zh="2025年度會員調查",
            status="closed",
            opens_on=today - 400 * day,
            closes_on=today - 200 * day,
        ),
        "this": CohortFactory(
            framework=framework, name_en="2026 members survey", name_zh="2026年度會員調查"
        ),
        "next": CohortFactory(
            framework=framework,
            name_en="2027 members survey",
            name_zh="2027年度會員調查",
            status="planned",
            opens_on=today + 100 * day,
            closes_on=today + 200 * day,
        ),
    }
    assessments = {
        key: services.assessment_create(
            issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
        )
        for key, cohort in cohorts.items()
    }
    return the_lead, cohorts, assessments


def test_one_row_per_cohort_and_continue_opens_the_open_one(member_of_three, framework):
    the_lead, cohorts, assessments = member_of_three
    fw = selectors.framework_of(framework)
    items = list(fw.iter_items())
    maturity = [i.code for i in items if i.kind == "maturity"]
    na_item = next((i.code for i in items if i.not_applicable), None)
    proposals = {maturity[0]: Proposed(level=3), maturity[1]: Proposed(dont_know=True)}
    if na_item:
        proposals[na_item] = Proposed(not_applicable=True)
    services.answers_save(assessment=assessments["this"], proposals=proposals, user=the_lead)
    html = client_for(the_lead).get(reverse("home")).content.decode()

    this = row_of(html, assessments["this"])
    assert "2026 members survey" in this
    assert day_text(cohorts["this"].closes_on) in this
    assert f"{len(proposals)}/{len(items)}" in this  # "don't know" and N/A count as answered
    assert "Continue" in this
    assert reverse("assessments:detail", args=[assessments["this"].pk]) in this

    last = row_of(html, assessments["last"])
    assert "2025 members survey" in last and "closed" in last and "Continue" not in last
    assert "View" in last
    planned = row_of(html, assessments["next"])
    assert "not open yet" in planned and "Continue" not in planned
    assert day_text(cohorts["next"].opens_on) in planned
    # Every "Continue" on the page (the row's and the progress card's) opens this one,
    # never the empty new one.
    continues = re.findall(r'href="([^"]+)"[^>]*>Continue<', html)
    assert len(continues) == 2
    assert all(f"/assessments/{assessments['this'].pk}/" in href for href in continues)
    assert "Start a new assessment" not in html


def test_an_extension_shows_with_its_date(member_of_three):
    the_lead, _cohorts, assessments = member_of_three
    until = timezone.localdate() + datetime.timedelta(days=5)
    services.assessment_extension_grant(
        assessment=assessments["last"], until=until, by=association_admin()
    )
    html = client_for(the_lead).get(reverse("home")).content.decode()
    last = row_of(html, assessments["last"])
    assert day_text(until) in last and "extended" in last and "Continue" in last


def test_a_withdrawn_row_is_read_only(member_of_three):
    the_lead, _cohorts, assessments = member_of_three
    services.assessment_withdraw(
        assessment=assessments["this"], by=association_admin(), reason="Duplicate"
    )
    html = client_for(contributor(the_lead.issuer)).get(reverse("home")).content.decode()
    this = row_of(html, assessments["this"])
    assert "Withdrawn" in this and "Continue" not in this and "View" in this


def test_cohort_names_and_dates_in_chinese(member_of_three):
    the_lead, cohorts, assessments = member_of_three
    client = client_for(the_lead)
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    this = row_of(html, assessments["this"])
    assert "2026年度會員調查" in this
    assert day_text(cohorts["this"].closes_on, "zh-hant") in this


def test_home_queries_do_not_grow_with_cohorts(
    member_of_three, framework, django_assert_num_queries
):
    the_lead, _cohorts, _ = member_of_three
    client = client_for(the_lead)
    client.get(reverse("home"))  # warm the session and the framework cache
    # Session, user, memberships, the page's count and rows, their snapshots: a constant.
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("home"))
    for _ in range(3):
        services.assessment_create(
            issuer=the_lead.issuer,
            framework=framework,
            user=the_lead,
            cohort=CohortFactory(framework=framework),
        )
    assert len(three.captured_queries) <= 8
    with django_assert_num_queries(len(three.captured_queries)):
        html = client.get(reverse("home")).content.decode()
    assert html.count('<tr data-assessment="') == 6
