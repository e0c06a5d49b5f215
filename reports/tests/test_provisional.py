"""A provisional result (too little of its weight known) counts in no peer statistic and
no cohort aggregate: through the database, the releases and the benchmarks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Industry
from assessments import selectors, services
from assessments.models import ScoreSnapshot
from assessments.tests.factories import CohortFactory, IssuerFactory, lead
from cohorts.dashboard import cohort_dashboard
from reports.benchmarks import peer_benchmarks
from reports.models import PeerRelease
from reports.releases import peer_releases_publish

from .conftest import submit_synthetic
from .test_releases import _issuers, _submit

pytestmark = pytest.mark.django_db


def _submit_provisional(framework, issuer, cohort=None):
    """Governance at level 5, "don't know" everywhere else: scores one shift, no overall."""
    user = lead(issuer=issuer)
    assessment = services.assessment_create(
        issuer=issuer, framework=framework, user=user, cohort=cohort
    )
    fw = selectors.framework_of(framework)
    proposals = {
        i.code: services.Proposed(level=5)
        if i.shift_code == "governance" and i.kind == "maturity"
        else services.Proposed(dont_know=True)
        for i in fw.iter_items()
    }
    services.answers_save(assessment=assessment, proposals=proposals, user=user)
    return services.assessment_submit(assessment=assessment, user=user)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    submissions=st.lists(
        st.tuples(
            st.integers(0, 11),
            st.decimals(min_value=0, max_value=100, places=2),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_a_provisional_snapshot_never_counts_in_any_peer_statistic(framework, submissions):
    fw = selectors.framework_of(framework)
    shift = fw.shifts[0].code
    with transaction.atomic():
        issuers = _issuers(12)
        for who, overall, provisional in submissions:
            snapshot = _submit(framework, issuers[who], overall, {shift: float(overall)})
            if provisional:
                ScoreSnapshot.objects.filter(pk=snapshot.pk).update(provisional=True)
        peer_releases_publish()
        provisional_ids = set(
            ScoreSnapshot.objects.filter(provisional=True).values_list("pk", flat=True)
        )
        for release in PeerRelease.objects.filter(is_latest=True):
            assert not provisional_ids & set(release.members.values()), release.kind
            counted = {int(issuer) for issuer in release.members}
            for values in release.scores.values():
                assert {issuer for _score, issuer in values} <= counted
        for snapshot in ScoreSnapshot.objects.filter(is_current=True).select_related(
            "issuer", "assessment"
        ):
            others = ScoreSnapshot.objects.filter(
                is_current=True, provisional=False, framework=framework
            ).exclude(issuer=snapshot.issuer)
            for group in peer_benchmarks(snapshot=snapshot):
                assert group.n <= others.count()
        transaction.set_rollback(True)


def test_a_provisional_submission_is_flagged_and_left_out_of_peers_and_cohort(framework_v2):
    cohort = CohortFactory(framework=framework_v2)
    complete = []
    for n in range(6):
        issuer = IssuerFactory(industry=Industry.INDUSTRIALS)
        snapshot = submit_synthetic(issuer, framework_v2, seed=n, cohort=cohort)
        complete.append(snapshot)
    gamer = _submit_provisional(framework_v2, IssuerFactory(industry=Industry.INDUSTRIALS), cohort)
    assert gamer.provisional and gamer.overall_score is None
    assert gamer.result["shifts"][-1]["score"] == 100
    counted = [s for s in complete if not s.provisional]
    assert counted, "synthetic answers are complete enough to count"

    peer_releases_publish()
    for release in PeerRelease.objects.filter(is_latest=True):
        assert str(gamer.issuer_id) not in release.members
        assert all(issuer != gamer.issuer_id for v in release.scores.values() for _s, issuer in v)

    dashboard = cohort_dashboard(cohort=cohort)
    assert sum(n for _label, n in dashboard.histogram) == len(counted)
    assert [n for _name, _median, n in dashboard.shift_medians] == [len(counted)] * 4
    # The issuer's own row still shows its (provisional) state.
    row = next(a for a in dashboard.page.object_list if a.issuer_id == gamer.issuer_id)
    assert row.latest_provisional is True


def test_a_complete_enough_submission_is_not_provisional(framework_v2):
    snapshot = submit_synthetic(IssuerFactory(), framework_v2, seed=3)
    assert snapshot.provisional is (Decimal(str(snapshot.result["known_share"])) < Decimal("0.75"))
