"""Benchmark privacy, end to end through the database: for random markets (group sizes,
industries, boards, size bands, cohorts, missing shift scores) and any issuer in them,
`peer_benchmarks` never shows a statistic from fewer than 5 other issuers, and no two shown
statistics come from contributor sets that differ by 1–4 issuers (differencing).

The pure rule (`disclosure`) has its own property test in reports/tests; this one checks
that the SQL feeding it counts the right sets, overall and shift by shift.
"""

from __future__ import annotations

import itertools
import statistics
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

from accounts.models import Board, Industry, Issuer, MarketCapBand
from assessments import selectors
from assessments.models import Assessment, AssessmentStatus, ScoreComponent, ScoreSnapshot
from assessments.tests.factories import CohortFactory
from reports.benchmarks import one_significant_figure, peer_benchmarks, round_to

pytestmark = pytest.mark.django_db

INDUSTRIES = [Industry.INDUSTRIALS, Industry.FINANCIALS, Industry.IT]
BANDS = [MarketCapBand.XS, MarketCapBand.S, MarketCapBand.M]
score = st.decimals(min_value=0, max_value=100, places=2)

issuer_strategy = st.fixed_dictionaries(
    {
        "industry": st.sampled_from(INDUSTRIES),
        "board": st.sampled_from([Board.MAIN, Board.GEM]),
        "size": st.sampled_from(BANDS),
        "cohort": st.sampled_from([0, 1, None]),
        "overall": score,
        # A shift can be unscored (too few answers): it then contributes to no shift group.
        "shifts": st.lists(st.one_of(st.none(), score), min_size=4, max_size=4),
        # A key figure (AI spend, % of revenue), given or not: the same rules on its own set.
        "spend": st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=1)),
    }
)
SPEND = "profit.cost_structure.ai_spend"


def _build(framework, market: list[dict]) -> list[ScoreSnapshot]:
    fw = selectors.framework_of(framework)
    cohorts = [CohortFactory(framework=framework), CohortFactory(framework=framework)]
    issuers = Issuer.objects.bulk_create(
        Issuer(
            stock_code=f"{60000 + n:05d}",
            name_en=f"Peer {n}",
            industry=spec["industry"],
            board=spec["board"],
            market_cap_band=spec["size"],
        )
        for n, spec in enumerate(market)
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(
            issuer=issuer,
            framework=framework,
            status=AssessmentStatus.SUBMITTED,
            submitted_at=timezone.now(),
            cohort=None if spec["cohort"] is None else cohorts[spec["cohort"]],
        )
        for issuer, spec in zip(issuers, market, strict=True)
    )
    snapshots = ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(
            assessment=assessment,
            issuer=assessment.issuer,
            is_current=True,
            framework=framework,
            industry=spec["industry"],
            market_cap_band=spec["size"],
            board=spec["board"],
            overall_score=spec["overall"],
            completeness=Decimal(100),
            result={},
            shift_scores={
                shift.code: None if value is None else float(value)
                for shift, value in zip(fw.shifts, spec["shifts"], strict=True)
            },
            kpis={} if spec.get("spend") is None else {SPEND: float(spec["spend"])},
        )
        for assessment, spec in zip(assessments, market, strict=True)
    )
    ScoreComponent.objects.bulk_create(
        ScoreComponent(snapshot=snap, kind=ScoreComponent.Kind.SHIFT, code=shift.code, score=value)
        for snap, spec in zip(snapshots, market, strict=True)
        for shift, value in zip(fw.shifts, spec["shifts"], strict=True)
    )
    return snapshots


def _members(market: list[dict], me: int) -> dict[str, set[int]]:
    mine = market[me]
    others = [n for n in range(len(market)) if n != me]
    groups = {
        "all": set(others),
        "industry": {n for n in others if market[n]["industry"] == mine["industry"]},
        "size": {n for n in others if market[n]["size"] == mine["size"]},
        "board": {n for n in others if market[n]["board"] == mine["board"]},
    }
    if mine["cohort"] is not None:
        groups["cohort"] = {n for n in others if market[n]["cohort"] == mine["cohort"]}
    return groups


def _assert_rounded(stat, scores) -> None:
    """Below 10 others only a median rounded to 5 points and a position; from 10, whole
    points, quartiles and a percentile. Never an individual's exact score."""
    exact = statistics.median(float(x) for x in scores)
    if len(scores) < 10:
        assert stat.coarse
        assert stat.median == round_to(exact, 5)
        assert stat.median % 5 == 0
        assert stat.q1 is None and stat.q3 is None and stat.percentile is None
    else:
        assert not stat.coarse
        assert stat.median == round_to(exact, 1)
        assert stat.q1 is not None and stat.q3 is not None
        assert float(stat.median).is_integer()
    assert stat.position in (("",) if stat.mine is None else ("below", "around", "above"))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(market=st.lists(issuer_strategy, min_size=1, max_size=24), pick=st.integers(0, 23))
@example(  # 13 peers: "all", industry and board coincide and are shown, the rest differ
    market=[
        {
            "industry": Industry.INDUSTRIALS,
            "board": Board.MAIN,
            "size": BANDS[n % 2],
            "cohort": None if n % 3 == 0 else n % 2,
            "overall": Decimal(40 + n),
            "shifts": [Decimal(30 + n), None if n == 3 else Decimal(50), Decimal(n), None],
        }
        for n in range(14)
    ],
    pick=0,
)
def test_no_small_or_differencing_statistic_is_ever_shown(framework, market, pick):
    me = pick % len(market)
    fw = selectors.framework_of(framework)
    with transaction.atomic():
        snapshots = _build(framework, market)
        mine = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=snapshots[me].pk)
        groups = {g.key: g for g in peer_benchmarks(snapshot=mine)}
        transaction.set_rollback(True)

    members = _members(market, me)
    assert set(groups) == set(members)
    shown = [k for k, g in groups.items() if g.shown]
    target(len(shown))  # steer the search towards markets where several groups are shown
    for key, group in groups.items():
        assert group.n == len(members[key])
        if group.shown:
            assert group.n >= 5
            assert group.overall is not None
            _assert_rounded(group.overall, [market[n]["overall"] for n in members[key]])
        else:
            assert group.overall is None
    for a, b in itertools.combinations(shown, 2):
        assert len(members[a] ^ members[b]) in (0, *range(5, 100))

    for index, shift in enumerate(fw.shifts):
        scored = {
            k: {n for n in members[k] if market[n]["shifts"][index] is not None} for k in shown
        }
        with_stats = [
            k
            for k in shown
            if shift.code in groups[k].shifts and groups[k].shifts[shift.code].median is not None
        ]
        for key in with_stats:
            stat = groups[key].shifts[shift.code]
            assert stat.n == len(scored[key]) >= 5
            _assert_rounded(stat, [market[n]["shifts"][index] for n in scored[key]])
        for a, b in itertools.combinations(with_stats, 2):
            assert len(scored[a] ^ scored[b]) in (0, *range(5, 100))

    gave = {k: {n for n in members[k] if market[n].get("spend") is not None} for k in shown}
    with_figures = [
        k for k in shown if SPEND in groups[k].kpis and groups[k].kpis[SPEND].median is not None
    ]
    for key in with_figures:
        stat = groups[key].kpis[SPEND]
        assert stat.n == len(gave[key]) >= 5
        exact = statistics.median(float(market[n]["spend"]) for n in gave[key])
        if stat.n < 10:  # one significant figure, never finer than a whole unit
            assert stat.coarse and stat.q1 is None and stat.percentile is None
            assert stat.median == round_to(exact, one_significant_figure(exact))
        else:
            assert not stat.coarse and stat.median == round_to(exact, 1)
    for a, b in itertools.combinations(with_figures, 2):
        assert len(gave[a] ^ gave[b]) in (0, *range(5, 100))
    for key in shown:
        if key not in with_figures and SPEND in groups[key].kpis:
            assert groups[key].kpis[SPEND].median is None
