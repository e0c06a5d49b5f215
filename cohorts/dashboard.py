"""Cohort dashboard data: a fixed number of aggregate queries, whatever the cohort size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import get_language

from accounts.models import Board, Industry, MarketCapBand
from assessments import kinds
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Item,
    ScoreComponent,
    ScoreSnapshot,
)
from assessments.selectors import framework_of
from core.aggregates import PercentileCont

from .models import Cohort

BINS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))
SORTS = {
    "code": "issuer__stock_code",
    "-code": "-issuer__stock_code",
    "score": "latest_score",
    "-score": "-latest_score",
    "activity": "updated_at",
    "-activity": "-updated_at",
}


def _latest(cohort: Cohort, prefix: str = "") -> Q:
    """Snapshots of the cohort's assessments that no later snapshot of the same
    assessment replaces (a resubmission replaces the earlier one).

    Written as NOT EXISTS (a newer one) rather than "pk = newest pk": PostgreSQL runs it
    as one hash anti-join and estimates its size, where the scalar subquery was re-run per
    snapshot and estimated at a handful of rows, which made every join after it a loop.
    """
    newer = ScoreSnapshot.objects.filter(assessment=OuterRef(f"{prefix}assessment")).filter(
        Q(created_at__gt=OuterRef(f"{prefix}created_at"))
        | Q(created_at=OuterRef(f"{prefix}created_at"), pk__gt=OuterRef(f"{prefix}pk"))
    )
    return Q(~Exists(newer), **{f"{prefix}assessment__cohort": cohort})


T = TypeVar("T")
# Score aggregates only change when a snapshot is added to the cohort; a day bounds what a
# deleted snapshot could leave behind (the marker also counts them).
AGGREGATES_TTL = 60 * 60 * 24


def _aggregates_key(cohort: Cohort) -> str:
    """Snapshot rows are never edited, so (newest id, count) identifies the set exactly."""
    marker = ScoreSnapshot.objects.filter(assessment__cohort=cohort).aggregate(
        last=Max("pk"), n=Count("pk")
    )
    return f"cohort-dashboard:v2:{cohort.pk}:{cohort.framework_id}:{marker['last']}:{marker['n']}"


def _snapshot_cached(cohort: Cohort, compute: Callable[[], T]) -> T:
    """The snapshot-derived aggregates (histogram, tiers, medians, heatmap), cached per
    cohort until a snapshot is added or removed.

    At market scale they are most of a dashboard request (sorting ~50,000 component scores
    for the medians), yet they change only when someone submits; everything that moves
    with each saved answer (funnel, value-chain adoption, the issuer table) stays live.
    After a submission the worker computes them ahead of the next reader
    (`aggregates_refresh`, through cohorts.tasks).
    """
    key = _aggregates_key(cohort)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, AGGREGATES_TTL)
    return value


def _groups() -> dict[str, tuple[str, Any]]:
    return {
        "size": ("issuer__market_cap_band", MarketCapBand.choices),
        "board": ("issuer__board", Board.choices),
    }


def aggregates_refresh(*, cohort: Cohort) -> bool:
    """Compute and cache the score aggregates now, so no dashboard reader waits for them.

    Idempotent and cheap when repeated: the key names the exact snapshot set, so a batch
    of submissions (seed_demo, a bulk import) computes once and the other refreshes find
    the value already there. Returns whether it computed.
    """
    key = _aggregates_key(cohort)
    if cache.get(key) is not None:
        return False
    fw = framework_of(cohort.framework)
    tier_codes = sorted(t.code for t in fw.tiers)
    kpi_codes = [item.code for item in kinds.kpi_items(fw)]
    cache.set(key, _aggregates(cohort, tier_codes, _groups(), kpi_codes), AGGREGATES_TTL)
    return True


def _counted(cohort: Cohort, prefix: str = "") -> Q:
    """The latest snapshots that count in score aggregates: a provisional one (too little
    of its weight known) counts in none, and no earlier snapshot stands in for it."""
    return _latest(cohort, prefix) & Q(**{f"{prefix}provisional": False})


def latest_snapshots(cohort: Cohort) -> QuerySet[ScoreSnapshot]:
    """Each cohort assessment's most recent snapshot, unless it is provisional."""
    return ScoreSnapshot.objects.filter(_counted(cohort))


@dataclass
class Dashboard:
    funnel: list[tuple[str, int]]
    histogram: list[tuple[str, int]]
    shift_medians: list[tuple[str, float | None, int]]
    # Median per dimension (rows, grouped by shift) × industry present in the cohort (columns).
    heatmap_industries: list[str]
    heatmap_rows: list[tuple[str, str, list[float | None]]]  # shift, dimension, medians
    # Key figures: (median, how many gave it) per figure (rows) × industry present (columns).
    kpi_industries: list[str]
    kpi_rows: list[tuple[str, str, int, list[tuple[float | None, int]]]]  # name, unit, decimals
    tiers: list[tuple[str, int]]
    by_size: list[tuple[str, float | None, int]]
    by_board: list[tuple[str, float | None, int]]
    depths: list[str]
    value_chain: list[tuple[str, list[int]]]
    page: Page  # type: ignore[type-arg]
    total: int


def _kpi_aggregates(kpi_codes: list[str]) -> dict[str, Aggregate]:
    """Each key figure's median and count per industry, from the figures frozen on the
    snapshots (`kpis`), as FILTERed aggregates of the one snapshot aggregate query: one
    snapshot row per assessment, so a filter per industry stays cheap there."""
    if not kpi_codes:
        return {}
    figures = [Cast(KeyTextTransform(code, "kpis"), FloatField()) for code in kpi_codes]
    out: dict[str, Aggregate] = {}
    for i, (value, _label) in enumerate(Industry.choices):
        in_industry = Q(issuer__industry=value)
        out[f"kpi_{i}"] = Count("pk", filter=in_industry)
        for j, figure in enumerate(figures):
            out[f"kpi_{i}_{j}_median"] = PercentileCont(figure, 0.5, filter=in_industry)
            out[f"kpi_{i}_{j}_n"] = Count(figure, filter=in_industry)
    return out


def _kpi_medians(
    stats: dict[str, Any], kpi_codes: list[str]
) -> dict[str, dict[str, tuple[float | None, int]]]:
    """{industry: {figure code: (median, n)}} for the industries with a snapshot."""
    if not kpi_codes:
        return {}
    return {
        value: {
            code: (stats[f"kpi_{i}_{j}_median"], stats[f"kpi_{i}_{j}_n"])
            for j, code in enumerate(kpi_codes)
        }
        for i, (value, _label) in enumerate(Industry.choices)
        if stats[f"kpi_{i}"]
    }


def _aggregates(
    cohort: Cohort,
    tier_codes: list[str],
    groups: dict[str, tuple[str, Any]],
    kpi_codes: list[str],
) -> tuple[dict[str, Any], dict[str, tuple[float | None, int]], dict[str, dict[str, float | None]]]:
    stats = latest_snapshots(cohort).aggregate(
        **{
            f"b{lo}": Count("pk", filter=Q(overall_score__gte=lo, overall_score__lt=hi))
            for lo, hi in BINS
        },
        **{f"tier_{i}": Count("pk", filter=Q(tier=code)) for i, code in enumerate(tier_codes)},
        **{
            f"{key}_{kind}_{i}": agg
            for key, (lookup, choices) in groups.items()
            for i, (value, _label) in enumerate(choices)
            for kind, agg in (
                ("median", PercentileCont("overall_score", 0.5, filter=Q(**{lookup: value}))),
                ("n", Count("pk", filter=Q(**{lookup: value}))),
            )
        },
        **_kpi_aggregates(kpi_codes),
    )

    # Shift medians over the cohort, then dimension medians per industry grouped by
    # (dimension, industry): one percentile per group instead of a FILTER per industry,
    # which evaluated every filter on every one of ~50,000 component rows at market scale.
    latest_components = ScoreComponent.objects.filter(_counted(cohort, "snapshot__"))
    medians: dict[str, tuple[float | None, int]] = {
        row["code"]: (row["median"], row["n"])
        for row in latest_components.filter(kind=ScoreComponent.Kind.SHIFT)
        .values("code")
        .order_by("code")
        .annotate(median=PercentileCont("score", 0.5), n=Count("score"))
    }
    by_industry: dict[str, dict[str, float | None]] = {}
    for code, industry_code, median in (
        latest_components.filter(kind=ScoreComponent.Kind.DIMENSION)
        .values_list("code", "snapshot__issuer__industry")
        .order_by()
        .annotate(median=PercentileCont("score", 0.5))
    ):
        by_industry.setdefault(industry_code, {})[code] = median
    return stats, medians, by_industry


def cohort_dashboard(
    *, cohort: Cohort, status: str = "", industry: str = "", sort: str = "code", page: int = 1
) -> Dashboard:
    lang = get_language()
    fw = framework_of(cohort.framework)
    assessments = Assessment.objects.filter(cohort=cohort)
    funnel_row = assessments.aggregate(
        enrolled=Count("pk"),
        started=Count(
            "pk", filter=Q(Exists(Answer.objects.filter(assessment=OuterRef("pk"), version__gt=0)))
        ),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        reviewed=Count("pk", filter=Q(status=AssessmentStatus.APPROVED)),
    )
    # Histogram, tiers, the size and board medians and the key figures' medians per
    # industry come from one aggregate, shift and dimension medians from two grouped
    # queries (_aggregates), cached between submissions.
    tier_codes = sorted(t.code for t in fw.tiers)
    groups = _groups()
    kpi_items = kinds.kpi_items(fw)
    kpi_codes = [item.code for item in kpi_items]
    stats, medians, by_industry = _snapshot_cached(
        cohort, lambda: _aggregates(cohort, tier_codes, groups, kpi_codes)
    )
    kpi_medians = _kpi_medians(stats, kpi_codes)

    def breakdown(key: str) -> list[tuple[str, float | None, int]]:
        return [
            (str(label), stats[f"{key}_median_{i}"], stats[f"{key}_n_{i}"])
            for i, (_value, label) in enumerate(groups[key][1])
            if stats[f"{key}_n_{i}"]
        ]

    industries = list(Industry.values)

    stage_items = {i.code: i.value_chain_stage for i in fw.iter_items() if i.value_chain_stage}
    # Item ids first (a tiny query), so the planner sees literal ids and walks the
    # cohort's assessments through the answer_choice_given index; joining items by code
    # made it scan every cohort's choice answers. COUNT(*) keeps it index-only.
    item_codes = dict(Item.objects.filter(code__in=stage_items).values_list("pk", "code"))
    adoption: dict[str, dict[str, int]] = {}
    for item_id, choice, n in (
        Answer.objects.filter(assessment__cohort=cohort, item_id__in=list(item_codes))
        .exclude(choice="")
        .values_list("item_id", "choice")
        .order_by()
        .annotate(n=Count("*"))
    ):
        counts = adoption.setdefault(stage_items[item_codes[item_id]], {})
        counts[choice] = counts.get(choice, 0) + n

    newest = ScoreSnapshot.objects.filter(assessment=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = assessments.select_related("issuer").annotate(
        latest_score=Subquery(newest.values("overall_score")[:1]),
        latest_provisional=Subquery(newest.values("provisional")[:1]),
    )
    if status in AssessmentStatus.values:
        rows = rows.filter(status=status)
    if industry in Industry.values:
        rows = rows.filter(issuer__industry=industry)
    rows = rows.order_by(SORTS.get(sort, "issuer__stock_code"), "pk")
    paginator = Paginator(rows, 50)
    labels = dict(Industry.choices)
    return Dashboard(
        funnel=[
            ("enrolled", funnel_row["enrolled"]),
            ("started", funnel_row["started"]),
            ("submitted", funnel_row["submitted"]),
            ("reviewed", funnel_row["reviewed"]),
        ],
        histogram=[(f"{lo}–{min(hi, 100)}", stats[f"b{lo}"]) for lo, hi in BINS],
        shift_medians=[(s.name.get(lang), *medians.get(s.code, (None, 0))) for s in fw.shifts],
        heatmap_industries=[str(labels[code]) for code in industries if code in by_industry],
        heatmap_rows=[
            (
                shift.name.get(lang),
                dim.name.get(lang),
                [by_industry[code].get(dim.code) for code in industries if code in by_industry],
            )
            for shift in fw.shifts
            for dim in shift.dimensions
        ]
        if by_industry
        else [],
        kpi_industries=[str(labels[code]) for code in industries if code in kpi_medians],
        kpi_rows=[
            (
                item.text.get(lang),
                item.unit.get(lang) if item.unit else "",
                item.decimals,
                [kpi_medians[code][item.code] for code in industries if code in kpi_medians],
            )
            for item in kpi_items
        ]
        if kpi_medians
        else [],
        tiers=[
            (fw.tier(code).name.get(lang), stats[f"tier_{i}"])
            for i, code in enumerate(tier_codes)
            if stats[f"tier_{i}"]
        ],
        by_size=breakdown("size"),
        by_board=breakdown("board"),
        depths=[d.label.get(lang) for d in fw.depths],
        value_chain=[
            (stage.name.get(lang), [adoption.get(stage.code, {}).get(d.code, 0) for d in fw.depths])
            for stage in fw.stages
        ],
        page=paginator.get_page(page),
        total=paginator.count,
    )
