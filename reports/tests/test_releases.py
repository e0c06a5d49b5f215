"""Peer statistics move in steps: releases, frozen group attributes, and the property that
no single submission changes what anyone else sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Board, Industry, Issuer, MarketCapBand, User
from assessments import selectors
from assessments.models import Assessment, AssessmentStatus, ScoreSnapshot
from assessments.tests.factories import IssuerFactory
from reports.benchmarks import describe, peer_benchmarks
from reports.models import PeerRelease
from reports.releases import changed_issuers, peer_releases_publish
from reports.tasks import publish_peer_releases_task

from .conftest import submit_synthetic

pytestmark = pytest.mark.django_db

INDUSTRIES = [Industry.INDUSTRIALS, Industry.FINANCIALS]


def _issuers(n: int) -> list[Issuer]:
    return Issuer.objects.bulk_create(
        Issuer(
            stock_code=f"{61000 + i:05d}",
            name_en=f"Peer {i}",
            industry=INDUSTRIES[i % 2],
            board=Board.MAIN if i % 3 else Board.GEM,
            market_cap_band=MarketCapBand.S if i % 4 else MarketCapBand.M,
        )
        for i in range(n)
    )


def _submit(
    framework, issuer: Issuer, overall: Decimal, shifts: dict, kpis: dict | None = None
) -> ScoreSnapshot:
    """A submission as snapshot_create writes it (scores given instead of computed)."""
    assessment = Assessment.objects.create(
        issuer=issuer,
        framework=framework,
        status=AssessmentStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    ScoreSnapshot.objects.filter(issuer=issuer, is_current=True).update(is_current=False)
    return ScoreSnapshot.objects.create(
        assessment=assessment,
        issuer=issuer,
        is_current=True,
        framework=framework,
        industry=issuer.industry,
        market_cap_band=issuer.market_cap_band,
        board=issuer.board,
        overall_score=overall,
        completeness=Decimal(100),
        result={},
        shift_scores=shifts,
        kpis=kpis or {},
    )


def _view(snapshot_id: int) -> list:
    snapshot = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=snapshot_id)
    return [
        (g.key, g.n, g.shown, g.reason, g.overall, g.shifts, g.kpis)
        for g in peer_benchmarks(snapshot=snapshot)
    ]


score = st.decimals(min_value=0, max_value=100, places=2)
event = st.one_of(
    st.tuples(st.just("submit"), st.integers(0, 15), score, st.one_of(st.none(), score)),
    st.tuples(st.just("publish"), st.just(0), st.just(Decimal(0)), st.none()),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event, min_size=1, max_size=40))
def test_no_single_submission_changes_what_anyone_else_sees(framework, events):
    """For any sequence of submissions and publications: just before and just after any
    single submission, every other issuer sees exactly the same peer statistics; and a
    group's release changes only when at least 5 issuers changed since the last one."""
    fw = selectors.framework_of(framework)
    shift = fw.shifts[0].code
    with transaction.atomic():
        issuers = _issuers(16)
        current: dict[int, int] = {}  # issuer index -> current snapshot id
        for kind, who, overall, shift_score in events:
            if kind == "publish":
                before = {
                    (r.kind, r.value): r.members for r in PeerRelease.objects.filter(is_latest=True)
                }
                peer_releases_publish()
                for r in PeerRelease.objects.filter(is_latest=True):
                    old = before.get((r.kind, r.value))
                    if old is not None and old != r.members:
                        # At least 5 issuers besides any one member (who sees the group
                        # without itself) changed.
                        assert changed_issuers(old, r.members) >= 6
                continue
            viewers = {i: snap for i, snap in current.items() if i != who}
            seen = {i: _view(snap) for i, snap in viewers.items()}
            snapshot = _submit(
                framework,
                issuers[who],
                overall,
                {shift: None if shift_score is None else float(shift_score)},
                # A key figure, given by those with a shift score: it must not move either.
                {} if shift_score is None else {"profit.cost_structure.ai_spend": float(overall)},
            )
            current[who] = snapshot.pk
            for i, snap in viewers.items():
                assert _view(snap) == seen[i], f"issuer {i} saw issuer {who}'s submission"
        transaction.set_rollback(True)


def test_a_group_is_republished_only_after_five_issuers_besides_any_member_changed(framework):
    issuers = _issuers(12)
    for i, issuer in enumerate(issuers[:8]):
        _submit(framework, issuer, Decimal(40 + i), {})
    assert peer_releases_publish() > 0
    everyone = PeerRelease.objects.get(kind="all", is_latest=True)
    assert len(everyone.members) == 8
    # Two newcomers and two resubmissions: four issuers changed, nothing is republished.
    _submit(framework, issuers[8], Decimal(90), {})
    _submit(framework, issuers[9], Decimal(91), {})
    _submit(framework, issuers[0], Decimal(10), {})
    _submit(framework, issuers[1], Decimal(11), {})
    peer_releases_publish()
    assert PeerRelease.objects.get(kind="all", is_latest=True).pk == everyone.pk
    # A fifth change is not enough either: issuer 0 itself is among the five, so from its
    # side only four others would have moved.
    _submit(framework, issuers[10], Decimal(92), {})
    peer_releases_publish()
    assert PeerRelease.objects.get(kind="all", is_latest=True).pk == everyone.pk
    # The sixth releases all six at once: every member sees at least five others change.
    _submit(framework, issuers[11], Decimal(93), {})
    publish_peer_releases_task.apply()  # the task itself, here (CI points Celery at Redis)
    latest = PeerRelease.objects.get(kind="all", is_latest=True)
    assert latest.pk != everyone.pk and len(latest.members) == 12
    assert PeerRelease.objects.filter(kind="all").count() == 2


def test_the_snapshot_keeps_the_groups_it_was_submitted_in(framework):
    """A profile edited after submission moves nothing already submitted: the snapshot
    keeps industry, size band and board, and peers are grouped by what it kept."""
    issuer = IssuerFactory(industry=Industry.IT, board=Board.GEM, market_cap_band=MarketCapBand.XS)
    snapshot = submit_synthetic(issuer, framework, seed=3)
    Issuer.objects.filter(pk=issuer.pk).update(
        industry=Industry.ENERGY, board=Board.MAIN, market_cap_band=MarketCapBand.L
    )
    snapshot.refresh_from_db()
    assert (snapshot.industry, snapshot.board, snapshot.market_cap_band) == (
        Industry.IT,
        Board.GEM,
        MarketCapBand.XS,
    )
    for n in range(6):  # six IT peers submitted before the edit would be "industry: IT"
        submit_synthetic(IssuerFactory(industry=Industry.IT), framework, seed=10 + n)
    mine = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=snapshot.pk)
    groups = {g.key: g for g in peer_benchmarks(snapshot=mine)}
    assert groups["industry"].n == 6


@pytest.mark.parametrize(
    ("values", "mine", "median", "position"),
    [
        ([12.76, 19.13, 21.81, 61.17, 68.63], 30.0, 20.0, "above"),
        ([12.76, 19.13, 21.81, 61.17, 68.63], 22.0, 20.0, "around"),
        ([12.76, 19.13, 21.81, 61.17, 68.63], 3.0, 20.0, "below"),
        ([10.0, 10.0, 12.5, 40.0, 40.0, 41.0], None, 25.0, ""),
    ],
)
def test_fewer_than_ten_peers_show_a_rounded_median_and_a_position(values, mine, median, position):
    stat = describe(values, mine)
    assert stat.coarse and stat.n == len(values)
    assert stat.median == median
    assert stat.position == position
    assert stat.q1 is None and stat.q3 is None and stat.percentile is None


def test_ten_peers_show_quartiles_and_percentile_in_whole_points():
    values = [10.4, 20.6, 30.5, 40.49, 50.0, 60.0, 70.0, 80.0, 90.0, 99.9]
    stat = describe(values, 55.0)
    assert not stat.coarse
    assert (stat.q1, stat.median, stat.q3) == (33.0, 55.0, 78.0)
    assert stat.percentile == 50.0
    assert stat.position == "around"


def test_results_page_and_report_show_a_small_group_only_coarsely(framework, client):
    """Six peers: the page shows a median rounded to 5 points and a position, never
    quartiles or a percentile, and links to how the comparison works."""
    from django.urls import reverse

    from assessments.tests.factories import client_for

    peers = [
        submit_synthetic(IssuerFactory(industry=Industry.IT), framework, seed=n) for n in range(6)
    ]
    me = submit_synthetic(IssuerFactory(industry=Industry.ENERGY), framework, seed=40)
    user = User.objects.get(issuer=me.assessment.issuer)
    page = client_for(user).get(reverse("reports:results", args=[me.assessment_id]))
    html = page.content.decode()
    everyone = next(g for g in peer_benchmarks(snapshot=me) if g.key == "all")
    assert everyone.n == 6 and everyone.overall.coarse
    assert f"≈&#8239;{everyone.overall.median:.0f}" in html
    assert everyone.overall.position_label in html
    assert reverse("reports:peer_method") in html
    report = client_for(user).get(reverse("reports:view", args=[me.assessment_id, "en"]))
    assert everyone.overall.position_label in report.content.decode()
    assert len(peers) == 6


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_how_peer_comparison_works_is_public_and_translated(client, language):
    from django.urls import reverse

    client.cookies["django_language"] = language
    with translation.override("en"):  # the request activates `language`; don't leak it
        html = client.get(reverse("reports:peer_method")).content.decode()
    assert ("How peer comparison works" in html) == (language == "en")
    assert "10" in html and "5" in html


def test_pages_state_the_disclosure_rules_in_force(framework, client, settings):
    """Changing the thresholds in settings changes what the results page, the report and
    the public method page say: no page states numbers of its own."""
    from django.urls import reverse

    from assessments.tests.factories import client_for

    settings.PEER_MIN_GROUP = 6
    settings.PEER_DETAIL_MIN = 13
    settings.PEER_RELEASE_STEP = 7
    for n in range(7):
        submit_synthetic(IssuerFactory(industry=Industry.IT), framework, seed=n)
    me = submit_synthetic(IssuerFactory(industry=Industry.ENERGY), framework, seed=40)
    user = User.objects.get(issuer=me.assessment.issuer)
    results = client_for(user).get(reverse("reports:results", args=[me.assessment_id]))
    report = client_for(user).get(reverse("reports:view", args=[me.assessment_id, "en"]))
    method = client.get(reverse("reports:peer_method"))
    for page in (results, report):
        html = page.content.decode()
        assert "at least 6 other issuers" in html
        assert "With fewer than 13 peers" in html
        assert "at least 7 companies have joined" in html
        assert "at least 5 other issuers" not in html and "fewer than 10 peers" not in html
    assert "fewer than 13 companies" in method.content.decode()
