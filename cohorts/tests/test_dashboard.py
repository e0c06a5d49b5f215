from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Industry
from assessments import selectors, services
from assessments.models import Assessment, ScoreComponent, ScoreSnapshot
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
)
from cohorts.dashboard import aggregates_refresh, cohort_dashboard
from devdata import market
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


def enrol(cohort, framework, n, start=0):
    for i in range(start, start + n):
        issuer = IssuerFactory(industry=Industry.INDUSTRIALS if i % 2 else Industry.FINANCIALS)
        snapshot = submit_synthetic(issuer, framework, seed=i)
        assessment = snapshot.assessment
        assessment.cohort = cohort
        assessment.save(update_fields=["cohort"])
    the_lead = lead()
    services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )


def count_queries(client, url, params=None, *, cold=False):
    """Queries of one dashboard request; `cold` empties the cache of score aggregates."""
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_dashboard_runs_the_same_queries_at_two_sizes(framework):
    cohort = CohortFactory(framework=framework)
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    enrol(cohort, framework, 3)
    small_cold, _ = count_queries(admin, url, cold=True)
    small, response = count_queries(admin, url)
    html = response.content.decode()
    assert 'data-key="enrolled">4<' in html and 'data-key="submitted">3<' in html
    assert sum(n for _bin, n in cohort_dashboard(cohort=cohort).histogram) == 3
    enrol(cohort, framework, 9, start=3)
    # New submissions show at once: the cached score aggregates are keyed on the snapshots.
    assert sum(n for _bin, n in cohort_dashboard(cohort=cohort).histogram) == 12
    big_cold, _ = count_queries(admin, url, cold=True)
    big, response = count_queries(admin, url)
    html = response.content.decode()
    assert 'data-key="enrolled">14<' in html and 'data-key="submitted">12<' in html
    assert (small_cold, small) == (big_cold, big)
    assert small < small_cold
    assert 'id="value-chain"' in html and "Main Board" in html
    assert big <= 15
    filtered = admin.get(url, {"industry": "financials", "sort": "-score", "status": "submitted"})
    assert filtered.status_code == 200
    assert admin.get(url, {"page": "abc", "sort": "bogus", "status": "x"}).status_code == 200


def test_dashboard_scope(framework):
    cohort_a, cohort_b = CohortFactory(framework=framework), CohortFactory(framework=framework)
    rev = reviewer()
    cohort_a.reviewers.add(rev)
    client = client_for(rev)
    assert client.get(f"/cohorts/{cohort_a.slug}/").status_code == 200
    assert client.get(f"/cohorts/{cohort_b.slug}/").status_code == 404
    listing = client.get("/cohorts/").content.decode()
    assert cohort_a.display_name in listing and cohort_b.display_name not in listing
    issuer_client = client_for(lead())
    assert issuer_client.get(f"/cohorts/{cohort_a.slug}/").status_code == 404
    # Issuer staff are refused the association's list rather than shown an empty one.
    assert issuer_client.get("/cohorts/").status_code == 403
    assert client_for(contributor(IssuerFactory())).get("/cohorts/").status_code == 403
    assert Client().get(f"/cohorts/{cohort_a.slug}/").status_code == 302


def test_dashboard_queries_stay_constant_from_100_to_2600_issuers(framework):
    """Market scale: the synthetic market generator fills one cohort with 100, then 2,600
    issuers (answers, submissions and snapshots, like production data), and the dashboard
    runs the same queries, filtered and sorted or not. Timing is measured by
    bench/dashboard.py (docs/PERFORMANCE.md), not asserted here.

    On SQLite (the quick-start database, no COPY) the second size is 600 to keep the test
    near a minute; the market size is checked on PostgreSQL, as in CI and production."""
    admin = client_for(association_admin())
    url = "/cohorts/market-2026/"
    variations = [{}, {"sort": "-score"}, {"status": "submitted", "industry": "financials"}]
    large = 2600 if connection.vendor == "postgresql" else 600
    counts = {}
    for size in (100, large):
        market.market_generate(
            framework=framework, issuers=size, cohorts=1, seed=1, last_year=2026, replace=True
        )
        counts[size] = []
        for params in variations:
            cold, _ = count_queries(admin, url, params, cold=True)
            warm, _ = count_queries(admin, url, params)
            counts[size].append((cold, warm))
        html = admin.get(url).content.decode()
        submitted = Assessment.objects.filter(
            cohort__slug="market-2026", submitted_at__isnull=False
        ).count()
        assert f'data-key="enrolled">{size}<' in html
        assert f'data-key="submitted">{submitted}<' in html
    assert counts[100] == counts[large], counts
    # 13: the page's contacts (accounts.selectors.issuer_contacts) are one more query;
    # 15: the index report card (both languages' rows in one query) and the cohorts the
    # "compare with" selector offers (one query) are one more each.
    assert max(cold for cold, _warm in counts[large]) <= 15


def test_a_resubmission_replaces_the_earlier_snapshot_in_every_chart(framework):
    """Each assessment counts once, with its latest snapshot (ties on the timestamp go to
    the later row), in the histogram, tiers, medians and breakdowns."""
    cohort = CohortFactory(framework=framework)
    the_lead = lead(issuer=IssuerFactory(industry=Industry.FINANCIALS))
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )
    fw = selectors.framework_of(framework)

    def submit(level, version):
        proposals = {
            i.code: services.Proposed(
                level=level if i.kind == "maturity" else None,
                choice=i.options[0].code if i.kind == "choice" else "",
                base_version=version,
            )
            for i in fw.iter_items()
            if i.kind != "figure"
        }
        services.answers_save(assessment=assessment, proposals=proposals, user=the_lead)
        return services.assessment_submit(assessment=assessment, user=the_lead)

    first = submit(1, 0)
    services.assessment_review(
        assessment=assessment, reviewer=association_admin(), approve=False, note="More, please."
    )
    second = submit(5, 1)
    # Same timestamp as the first: the later row must still win.
    ScoreSnapshot.objects.filter(pk=second.pk).update(created_at=first.created_at)
    assert first.overall_score < second.overall_score

    data = cohort_dashboard(cohort=cohort)
    assert sum(n for _label, n in data.histogram) == 1
    overall = float(second.overall_score)
    expected_bin = next(label for label, n in data.histogram if n)
    lo, hi = (int(x) for x in expected_bin.split("–"))
    assert lo <= overall <= hi
    assert sum(n for _name, n in data.tiers) == 1
    assert [n for _name, _median, n in data.shift_medians] == [1] * len(fw.shifts)
    assert data.by_board == [("Main Board", overall, 1)]
    shift_scores = dict(
        ScoreComponent.objects.filter(snapshot=second, kind="shift").values_list("code", "score")
    )
    assert [m for _name, m, _n in data.shift_medians] == [
        float(shift_scores[s.code]) for s in fw.shifts
    ]
    dimension_scores = dict(
        ScoreComponent.objects.filter(snapshot=second, kind="dimension").values_list(
            "code", "score"
        )
    )
    assert data.heatmap_industries == ["Financials"]
    assert data.heatmap_rows == [
        (
            s.name.get("en"),
            d.name.get("en"),
            [None if dimension_scores[d.code] is None else float(dimension_scores[d.code])],
        )
        for s in fw.shifts
        for d in s.dimensions
    ]


def test_a_submission_has_the_aggregates_recomputed_before_anyone_looks(framework, eager, oncommit):
    """The worker (inline here) refreshes the cohort's cached score aggregates once a
    submission commits, so the next reader only runs the live queries."""
    cohort = CohortFactory(framework=framework)
    with oncommit(execute=True):
        submit_synthetic(IssuerFactory(), framework, seed=1, cohort=cohort)
    # Already computed for this snapshot set: a repeated refresh does nothing.
    assert aggregates_refresh(cohort=cohort) is False
    with CaptureQueriesContext(connection) as warm:
        data = cohort_dashboard(cohort=cohort)
    assert sum(n for _bin, n in data.histogram) == 1
    assert [n for _name, _median, n in data.shift_medians] == [1] * len(data.shift_medians)
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        again = cohort_dashboard(cohort=cohort)
    assert (again.histogram, again.shift_medians, again.heatmap_rows, again.tiers) == (
        data.histogram,
        data.shift_medians,
        data.heatmap_rows,
        data.tiers,
    )
    assert len(warm.captured_queries) < len(cold.captured_queries)
