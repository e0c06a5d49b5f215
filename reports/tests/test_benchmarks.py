from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Industry
from assessments.models import ScoreSnapshot
from assessments.tests.factories import IssuerFactory
from core.db import percentile_cont
from reports.benchmarks import disclosure, peer_benchmarks, round_to
from reports.releases import peer_releases_publish

from .conftest import submit_synthetic


def _sets_strategy():
    """Up to five groups drawn as subsets of a population of up to 40 issuers."""
    return st.lists(st.frozensets(st.integers(0, 39), max_size=40), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(groups=_sets_strategy(), min_group=st.integers(5, 8))
def test_disclosure_never_shows_small_or_differencing_groups(groups, min_group):
    keys = [f"g{i}" for i in range(len(groups))]
    members = dict(zip(keys, groups, strict=True))
    sizes = {k: len(v) for k, v in members.items()}
    overlap = {
        frozenset((a, b)): len(members[a] & members[b]) for a, b in itertools.combinations(keys, 2)
    }
    order = sorted(keys, key=lambda k: -sizes[k])
    verdict = disclosure(order, sizes, overlap, min_group)
    shown = [k for k in keys if verdict[k] == ""]
    for k in shown:
        assert sizes[k] >= min_group
    for a, b in itertools.combinations(shown, 2):
        difference = len(members[a] ^ members[b])
        assert difference == 0 or difference >= min_group
    for k in keys:
        if sizes[k] < min_group:
            assert verdict[k] == "too_few"


def test_percentile_matches_sql_definition():
    assert percentile_cont([10, 20, 30, 40], 0.5) == 25
    assert percentile_cont([10, 20, 30, 40], 0.25) == 17.5
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7], 0.75) == 7


@pytest.mark.django_db
def test_peer_statistics_come_from_the_published_release_and_exclude_the_issuer(
    market, django_assert_num_queries
):
    peer_releases_publish()
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=market[0].pk)
    # The releases, then their scores, which the process then keeps decoded: one query
    # from the second view on.
    with django_assert_num_queries(2):
        groups = {g.key: g for g in peer_benchmarks(snapshot=me)}
    with django_assert_num_queries(1):
        assert {g.key: g for g in peer_benchmarks(snapshot=me)} == groups
    others = [s for s in market if s.issuer_id != me.issuer_id]
    overall = [float(s.overall_score) for s in others]
    everyone = groups["all"]
    # 11 others: quartiles and percentile, in whole points.
    assert everyone.n == 11 and everyone.shown and not everyone.overall.coarse
    assert everyone.overall.median == round_to(statistics.median(overall), 1)
    assert everyone.overall.q1 == round_to(percentile_cont(overall, 0.25), 1)
    assert everyone.overall.q3 == round_to(percentile_cont(overall, 0.75), 1)
    mine = float(me.overall_score)
    below = sum(1 for x in overall if x < mine)
    equal = sum(1 for x in overall if x == mine)
    assert everyone.overall.percentile == round_to(100 * (below + equal / 2) / 11, 1)
    growth = [
        float(c.score)
        for s in others
        for c in s.components.filter(kind="shift", code="growth")
        if c.score is not None
    ]
    stat = everyone.shifts["growth"]
    assert stat.n == len(growth)
    step = 1 if len(growth) >= 10 else 5
    assert stat.median == round_to(statistics.median(growth), step)


@pytest.mark.django_db
def test_small_groups_are_suppressed_with_their_size(market):
    # Issuer 7 is a financial: 4 other financials -> not enough peers (n = 4).
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=market[7].pk)
    groups = {g.key: g for g in peer_benchmarks(snapshot=me)}
    assert groups["industry"].n == 4
    assert not groups["industry"].shown and groups["industry"].reason == "too_few"
    assert groups["industry"].overall is None and groups["industry"].shifts == {}


@pytest.mark.django_db
def test_groups_that_differ_by_fewer_than_five_issuers_are_withheld(market):
    # For an industrial on the Main Board: "board" has 10 others, "all" 11: they differ by
    # one issuer, so showing both would reveal that issuer's score. Board is withheld.
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=market[0].pk)
    groups = {g.key: g for g in peer_benchmarks(snapshot=me)}
    assert groups["all"].shown
    assert groups["board"].n == 10
    assert not groups["board"].shown and groups["board"].reason == "overlap"


@pytest.mark.django_db
def test_only_each_issuers_latest_submission_counts(framework, market):
    issuer = market[1].issuer
    newer = submit_synthetic(issuer, framework, seed=99)
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=market[0].pk)
    groups = {g.key: g for g in peer_benchmarks(snapshot=me)}
    assert groups["all"].n == 11
    assert ScoreSnapshot.objects.filter(issuer=issuer, is_current=True).get() == newer


@pytest.mark.django_db
def test_no_peers_at_all(framework):
    snapshot = submit_synthetic(IssuerFactory(industry=Industry.ENERGY), framework, seed=1)
    snapshot = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=snapshot.pk)
    groups = peer_benchmarks(snapshot=snapshot)
    assert all(not g.shown and g.n == 0 for g in groups)
