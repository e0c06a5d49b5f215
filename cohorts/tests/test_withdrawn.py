"""An assessment withdrawn from its cohort leaves the cohort's figures (dashboard counts
and aggregates, exports, bulk reports, peer releases) and comes back when reinstated; a
Closed cohort takes no enrolment."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Industry
from assessments import services
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
)
from cohorts import bulk, enrolment, exports
from cohorts.dashboard import cohort_dashboard
from cohorts.services import EnrolmentClosed
from reports.releases import _current_groups
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort_of_three(framework):
    cohort = CohortFactory(framework=framework)
    snapshots = [
        submit_synthetic(
            IssuerFactory(industry=Industry.FINANCIALS), framework, seed=i, cohort=cohort
        )
        for i in range(3)
    ]
    return cohort, [s.assessment for s in snapshots]


def members(groups) -> set[int]:
    return {issuer_id for rows in groups.values() for _pk, issuer_id, *_ in rows}


def codes(rows) -> set[str]:
    return {row[0] for row in list(rows)[1:]}


def test_withdrawn_leaves_every_figure_and_reinstated_comes_back(cohort_of_three):
    cohort, (kept, gone, _other) = cohort_of_three
    admin = association_admin()
    before = cohort_dashboard(cohort=cohort)
    assert dict(before.funnel)["enrolled"] == 3
    assert sum(n for _bin, n in before.histogram) == 3
    assert gone.issuer_id in members(_current_groups(None))

    services.assessment_withdraw(assessment=gone, by=admin, reason="Not a member")
    after = cohort_dashboard(cohort=cohort)
    assert dict(after.funnel)["enrolled"] == 2
    assert dict(after.funnel)["submitted"] == 2
    # The cached aggregates notice the withdrawal without waiting for a new snapshot.
    assert sum(n for _bin, n in after.histogram) == 2
    assert gone.pk not in {a.pk for a in after.page.object_list}
    for kind in ("summary", "answers"):
        rows = codes(exports.export_rows(user=admin, cohort=cohort, kind=kind, language="en"))
        assert gone.issuer.stock_code not in rows and kept.issuer.stock_code in rows
    assert bulk.cohort_reports_progress(cohort=cohort, language="en", user=admin).total == 2
    assert gone.issuer_id not in members(_current_groups(None))
    assert kept.issuer_id in members(_current_groups(None))

    services.assessment_reinstate(assessment=gone, by=admin)
    cache.clear()
    assert dict(cohort_dashboard(cohort=cohort).funnel)["enrolled"] == 3
    assert gone.issuer_id in members(_current_groups(None))


def test_a_closed_cohort_takes_no_enrolment(framework):
    cohort = CohortFactory(framework=framework, status="closed")
    admin = association_admin()
    with pytest.raises(EnrolmentClosed):
        enrolment.import_rows(cohort=cohort, rows=[], user=admin, base_url="http://x/")
    response = client_for(admin).post(
        f"/cohorts/{cohort.slug}/enrol/",
        {
            "action": "one",
            "stock_code": "700",
            "name_en": "Victoria Harbour Tech Limited",
            "name_zh": "維港科技有限公司",
            "industry": "information_technology",
            "board": "main",
            "email": "cfo@vht.example",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "This round is closed, so no company can be enrolled" in response.content.decode()
    assert not cohort.assessments.exists()


def test_a_planned_cohort_takes_enrolment(framework):
    cohort = CohortFactory(framework=framework, status="planned")
    enrolment.import_rows(cohort=cohort, rows=[], user=association_admin(), base_url="http://x/")
