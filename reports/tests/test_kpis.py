"""Key figures: frozen on the snapshot, published with the scores, shown beside their peer
medians under the same disclosure rules, and the change since the previous assessment."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import Board, Industry, Issuer, MarketCapBand, User
from assessments import kinds, selectors
from assessments.models import Answer, Assessment, AssessmentStatus, ScoreSnapshot
from assessments.tests.factories import IssuerFactory, client_for
from reports.benchmarks import (
    KPI_ROUNDING,
    Stat,
    describe,
    one_significant_figure,
    peer_benchmarks,
)
from reports.content import GroupView, Peers, ResultContent, kpis_section, previous_snapshot
from reports.models import PeerRelease
from reports.releases import kpi_measure, peer_releases_publish

from .conftest import submit_synthetic

SPEND = "profit.cost_structure.ai_spend"
CAPEX = "profit.cost_structure.ai_capex"
CHANGE = "profit.workforce.revenue_per_employee_change"
USE_CASES = "growth.use_case_pipeline.in_production"


# --- rounding (pure) ------------------------------------------------------------------------


def test_a_coarse_key_figure_is_rounded_to_one_significant_figure_never_below_a_unit():
    assert [one_significant_figure(m) for m in (0, 0.4, 2.37, 9.9, 37, 137, -37)] == [
        1,
        1,
        1,
        1,
        10,
        100,
        10,
    ]
    five = describe([1.2, 2.2, 2.37, 3.9, 4.1], 3.0, KPI_ROUNDING)
    assert five.coarse and five.median == 2 and five.q1 is None and five.percentile is None
    assert describe([30, 35, 37, 41, 44], None, KPI_ROUNDING).median == 40
    assert describe([120, 130, 137, 150, 160], None, KPI_ROUNDING).median == 100
    assert describe([-40, -38, -37, -20, -10], None, KPI_ROUNDING).median == -40


def test_ten_key_figures_show_whole_unit_median_and_quartiles():
    stat = describe([0.5, 1.0, 1.2, 1.9, 2.2, 2.6, 3.1, 4.0, 5.5, 8.0], 2.0, KPI_ROUNDING)
    assert not stat.coarse
    assert (stat.q1, stat.median, stat.q3) == (1.0, 2.0, 4.0)


# --- the section builder ----------------------------------------------------------------------


def _group(key: str, name: str, kpis: dict[str, Stat], shown: bool = True) -> GroupView:
    return GroupView(key, name, 12, shown, "" if shown else "too_few", None, {}, kpis)


@pytest.mark.django_db
def test_the_section_shows_values_changes_and_shown_groups_only(framework):
    fw = selectors.framework_of(framework)
    now = ScoreSnapshot(kpis={SPEND: 2.4, CHANGE: -3.25, USE_CASES: 4.0})
    before = ScoreSnapshot(kpis={SPEND: 1.9, CHANGE: 1.0}, created_at=timezone.now())
    everyone = _group(
        "all",
        "All issuers",
        {
            SPEND: Stat(n=12, q1=1.0, median=2.0, q3=4.0),
            CAPEX: Stat(n=3),  # withheld for this figure
            USE_CASES: Stat(n=7, median=5.0, coarse=True),
        },
    )
    hidden = _group("board", "Board: GEM", {SPEND: Stat(n=3, median=9.0)}, shown=False)
    section = kpis_section(
        snapshot=now,
        previous=before,
        peers=Peers(groups=[everyone, hidden], primary=everyone),
        fw=fw,
        language="en",
    )
    assert [k.code for k in section.items] == [i.code for i in kinds.kpi_items(fw)]
    assert len(section.items) == 5 and section.groups == ["All issuers"]
    by_code = {k.code: k for k in section.items}
    spend = by_code[SPEND]
    assert (spend.value_text, spend.unit, spend.delta_text, spend.before_text) == (
        "2.4",
        "% of revenue",
        "+0.5",
        "1.9",
    )
    assert spend.peers[0].median == "2" and spend.peers[0].spread == "1–4"
    assert not spend.peers[0].coarse
    capex = by_code[CAPEX]
    assert capex.value is None and capex.value_text == "—" and capex.delta_text == "—"
    assert capex.peers[0].median == ""  # withheld: the template shows "—"
    change = by_code[CHANGE]
    assert (change.value_text, change.delta_text) == ("-3.2", "-4.2")
    use_cases = by_code[USE_CASES]
    assert use_cases.value_text == "4" and use_cases.delta_text == "—"
    assert use_cases.peers[0].coarse and use_cases.peers[0].median == "5"
    assert section.previous_date == before.created_at
    chinese = kpis_section(
        snapshot=now, previous=None, peers=Peers(groups=[], primary=None), fw=fw, language="zh-hant"
    )
    assert chinese.previous_date is None and chinese.groups == []
    assert next(k for k in chinese.items if k.code == SPEND).unit == "佔收入百分比"


# --- through the database ---------------------------------------------------------------------


def _issuers(n: int, start: int = 0) -> list[Issuer]:
    return Issuer.objects.bulk_create(
        Issuer(
            stock_code=f"{62000 + i:05d}",
            name_en=f"Figure peer {i}",
            industry=Industry.INDUSTRIALS,
            board=Board.MAIN,
            market_cap_band=MarketCapBand.S,
        )
        for i in range(start, start + n)
    )


def _submit(framework, issuer: Issuer, kpis: dict[str, float]) -> ScoreSnapshot:
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
        overall_score=Decimal(50),
        completeness=Decimal(100),
        result={},
        shift_scores={},
        kpis=kpis,
    )


def _everyone(snapshot: ScoreSnapshot):
    snapshot = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=snapshot.pk)
    return next(g for g in peer_benchmarks(snapshot=snapshot) if g.key == "all")


@pytest.mark.django_db
def test_key_figure_medians_follow_the_peer_rules_and_move_only_with_releases(framework):
    """Seven others gave their spend (coarse median), four their capex (withheld); from the
    published release only; ten others give whole units and quartiles."""
    issuers = _issuers(14)
    me = _submit(framework, issuers[0], {SPEND: 2.0, CAPEX: 10.0})
    spends = [0.8, 1.4, 2.3, 2.6, 3.3, 4.1, 12.0]
    for i, spend in enumerate(spends, start=1):
        _submit(framework, issuers[i], {SPEND: spend, **({CAPEX: 20.0 + i} if i <= 4 else {})})
    peer_releases_publish()
    release = PeerRelease.objects.get(kind="all", is_latest=True)
    assert len(release.scores[kpi_measure(SPEND)]) == 8
    everyone = _everyone(me)
    assert everyone.shown and everyone.n == 7
    spend = everyone.kpis[SPEND]
    assert spend.n == 7 and spend.coarse and spend.median == 3.0  # 2.6 to one figure
    assert spend.q1 is None and spend.percentile is None
    capex = everyone.kpis[CAPEX]
    assert capex.n == 4 and capex.median is None  # fewer than 5 others gave it
    # Five more submissions: nothing moves until more than five issuers changed.
    for i, value in enumerate([5.0, 6.0, 7.0, 8.0], start=8):
        _submit(framework, issuers[i], {SPEND: value, CAPEX: 30.0})
    assert _everyone(me).kpis[SPEND] == spend
    peer_releases_publish()
    assert _everyone(me).kpis[SPEND] == spend
    _submit(framework, issuers[12], {SPEND: 9.0})
    peer_releases_publish()
    assert _everyone(me).kpis[SPEND] == spend
    # The sixth (issuer 1 resubmitting the same figures) releases all six changes.
    _submit(framework, issuers[1], {SPEND: 0.8, CAPEX: 21.0})
    peer_releases_publish()
    detailed = _everyone(me).kpis[SPEND]
    # Others: 0.8 1.4 2.3 2.6 3.3 4.1 5 6 7 8 9 12 -> median 4.55, quartiles 2.525 and 7.25.
    assert detailed.n == 12 and not detailed.coarse
    assert (detailed.q1, detailed.median, detailed.q3) == (3.0, 5.0, 7.0)
    # Capex: 21 22 23 24 30 30 30 30 -> 8 others, median 27, to one figure 30.
    capex = _everyone(me).kpis[CAPEX]
    assert capex.n == 8 and capex.coarse and capex.median == 30.0


@pytest.mark.django_db
def test_a_figure_group_within_four_contributors_of_a_shown_one_is_withheld(framework):
    """Everyone is on the Main Board and in one industry, so "board" and "all" hold the same
    issuers; the GEM issuer alone makes them differ: the board group is withheld for the
    figure as it is for the scores."""
    issuers = _issuers(8)
    Issuer.objects.filter(pk=issuers[7].pk).update(board=Board.GEM)
    issuers[7].board = Board.GEM
    me = _submit(framework, issuers[0], {SPEND: 2.0})
    for i in range(1, 8):
        _submit(framework, issuers[i], {SPEND: float(i)})
    peer_releases_publish()
    me = ScoreSnapshot.objects.select_related("issuer", "assessment").get(pk=me.pk)
    groups = {g.key: g for g in peer_benchmarks(snapshot=me)}
    assert groups["all"].shown and groups["all"].kpis[SPEND].median is not None
    assert not groups["board"].shown and groups["board"].kpis == {}


@pytest.mark.django_db
def test_submission_freezes_the_figures_given(framework):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=5)
    fw = selectors.framework_of(framework)
    answers = {
        a.item.code: a
        for a in Answer.objects.filter(assessment=snapshot.assessment).select_related("item")
    }
    expected = {
        item.code: float(answers[item.code].number)
        for item in kinds.kpi_items(fw)
        if answers[item.code].number is not None
    }
    snapshot.refresh_from_db()
    assert snapshot.kpis == expected
    assert all(isinstance(v, float) for v in snapshot.kpis.values())


def _with_figures(issuer, framework, seed, figures):
    snapshot = submit_synthetic(issuer, framework, seed=seed)
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(kpis=figures)
    Assessment.objects.filter(pk=snapshot.assessment_id).update(
        submitted_at=timezone.now() + timedelta(seconds=seed)
    )
    return snapshot


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_results_page_and_report_show_the_key_figures(framework, language):
    issuer = IssuerFactory(industry=Industry.IT)
    _with_figures(issuer, framework, 1, {SPEND: 1.5, CAPEX: 12.0})
    now = _with_figures(issuer, framework, 2, {SPEND: 2.4, USE_CASES: 3.0})
    for n in range(6):
        peer = IssuerFactory(industry=Industry.ENERGY)
        _with_figures(peer, framework, 10 + n, {SPEND: 3.0 + n / 10, USE_CASES: 7.0})
    user = User.objects.filter(issuer=issuer).first()
    client = client_for(user)
    client.cookies["django_language"] = language
    User.objects.filter(pk=user.pk).update(language=language)
    page = client.get(reverse("reports:results", args=[now.assessment_id])).content.decode()
    report = client.get(reverse("reports:view", args=[now.assessment_id, language]))
    report_html = report.content.decode()
    fw = selectors.framework_of(framework)
    lang = "zh-hant" if language == "zh-hant" else "en"
    for html in (page, report_html):
        assert 'id="key-figures"' in html
        for item in kinds.kpi_items(fw):
            assert item.text.get(lang) in html
        assert ">2.4<" in html and "+0.9" in html  # spend now, and its change from 1.5
        assert "≈&#8239;3<" in html  # six others: the coarse median of their spend
        assert ">—<" in html  # capex not given this time: a dash, never 0
    heading = "關鍵數字" if language == "zh-hant" else "Key figures"
    assert heading in page and heading in report_html
    now = ScoreSnapshot.objects.select_related("assessment").get(pk=now.pk)
    previous = previous_snapshot(now.assessment, viewer=None)
    content = ResultContent(snapshot=now, language=language, compared_with=previous)
    assert content.kpis.groups and content.kpis.previous_date is not None


@pytest.mark.django_db
def test_the_migration_freezes_figures_as_they_were_at_submission(framework):
    """Existing snapshots get the figures their assessment had when they were taken: a
    figure edited after submission (returned and resubmitted) keeps its earlier value."""
    migration = importlib.import_module("assessments.migrations.0008_snapshot_kpis")
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=7)
    frozen = dict(ScoreSnapshot.objects.get(pk=snapshot.pk).kpis)
    answer = Answer.objects.get(assessment=snapshot.assessment, item__code=SPEND)
    # Returned and edited after submission: the answer now differs from the snapshot.
    Answer.objects.filter(pk=answer.pk).update(
        number=Decimal("4.5"), dont_know=False, updated_at=timezone.now() + timedelta(hours=1)
    )
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(kpis={})
    migration.backfill(django_apps, None)
    snapshot.refresh_from_db()
    assert snapshot.kpis == frozen
    assert snapshot.kpis.get(SPEND) == (None if answer.number is None else float(answer.number))
