"""The dashboard's "compare with": another programme year's cohort, the index report's
year-on-year figures under the same rules, only with cohorts the reader may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.tests.factories import IssuerFactory, association_admin, client_for, reviewer
from cohorts.index_report.content import comparison
from cohorts.tests.test_index_report import make_cohort
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_years(framework):
    before = make_cohort(framework, "idx-2025", 2025)
    now = make_cohort(framework, "idx-2026", 2026)
    issuers = [IssuerFactory() for _ in range(6)]
    for n, issuer in enumerate(issuers):
        submit_synthetic(issuer, framework, seed=n, cohort=before)
        submit_synthetic(issuer, framework, seed=100 + n, cohort=now)
    return before, now


def test_compare_shows_the_reports_deltas_for_a_visible_cohort(two_years):
    before, now = two_years
    client = client_for(association_admin())
    url = reverse("cohorts:dashboard", args=[now.slug])
    page = client.get(url)
    assert b'id="f-compare"' in page.content and b'id="compare-table"' not in page.content
    page = client.get(url, {"compare": before.slug})
    html = page.content.decode()
    assert 'id="compare-table"' in html
    yoy = comparison(cohort=now, other=before)
    assert yoy.available and yoy.n_matched == 6 and yoy.matched_shown
    overall = yoy.moves[0]
    # Six companies: coarse medians (≈, rounded to 5), the matched change from all six.
    assert overall.now.coarse and overall.now.median % 5 == 0
    assert f"≈\u202f{overall.now.median:.0f}" in html
    assert overall.matched_change.n == 6
    # Paging links keep the comparison.
    assert page.context["d"].filters.compare == before.slug


def test_a_reviewer_cannot_compare_with_a_cohort_they_do_not_review(two_years):
    before, now = two_years
    person = reviewer()
    now.reviewers.add(person)
    client = client_for(person)
    page = client.get(reverse("cohorts:dashboard", args=[now.slug]), {"compare": before.slug})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="compare-table"' not in html and f'value="{before.slug}"' not in html


def test_a_bad_compare_value_is_ignored(two_years):
    _before, now = two_years
    client = client_for(association_admin())
    url = reverse("cohorts:dashboard", args=[now.slug])
    for value in ("nope", "../x", "a" * 500, "\x00"):
        page = client.get(url, {"compare": value})
        assert page.status_code == 200 and b'id="compare-table"' not in page.content
