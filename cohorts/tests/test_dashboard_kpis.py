"""The cohort dashboard's key figures: medians per industry from the snapshots' frozen
figures, in the same cached aggregate queries."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Industry
from assessments import kinds, selectors
from assessments.models import ScoreSnapshot
from assessments.tests.factories import CohortFactory, IssuerFactory, association_admin, client_for
from cohorts.dashboard import cohort_dashboard
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db

SPEND = "profit.cost_structure.ai_spend"
USE_CASES = "growth.use_case_pipeline.in_production"


def test_key_figure_medians_per_industry(framework, django_assert_max_num_queries):
    cohort = CohortFactory(framework=framework)
    spends = {Industry.FINANCIALS: [1.0, 2.0, 4.0], Industry.INDUSTRIALS: [0.5, 3.5]}
    seed = 0
    for industry, values in spends.items():
        for value in values:
            seed += 1
            snapshot = submit_synthetic(
                IssuerFactory(industry=industry), framework, seed=seed, cohort=cohort
            )
            figures = {SPEND: value}
            if industry == Industry.FINANCIALS:
                figures[USE_CASES] = float(seed)
            ScoreSnapshot.objects.filter(pk=snapshot.pk).update(kpis=figures)
    cache.clear()
    dashboard = cohort_dashboard(cohort=cohort)
    fw = selectors.framework_of(framework)
    assert [name for name, *_ in dashboard.kpi_rows] == [
        i.text.get("en") for i in kinds.kpi_items(fw)
    ]
    order = [code for code in Industry.values if code in spends]  # the heatmap's order
    assert dashboard.kpi_industries == [str(Industry(code).label) for code in order]
    rows = {
        name: dict(zip(order, cells, strict=True)) for name, _u, _d, cells in dashboard.kpi_rows
    }
    spend = next(i for i in kinds.kpi_items(fw) if i.code == SPEND).text.get("en")
    use_cases = next(i for i in kinds.kpi_items(fw) if i.code == USE_CASES).text.get("en")
    assert rows[spend] == {Industry.FINANCIALS: (2.0, 3), Industry.INDUSTRIALS: (2.0, 2)}
    # No industrial gave it: no median, and a count of 0.
    assert rows[use_cases] == {Industry.FINANCIALS: (2.0, 3), Industry.INDUSTRIALS: (None, 0)}
    html = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/").content.decode()
    assert 'id="kpi-medians"' in html and spend in html and "(n = 3)" in html


def test_no_submission_no_key_figure_table(framework):
    cohort = CohortFactory(framework=framework)
    cache.clear()
    assert cohort_dashboard(cohort=cohort).kpi_rows == []
