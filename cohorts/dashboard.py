"""Cohort dashboard data: a fixed number of aggregate queries, whatever the cohort size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import get_language

from accounts.models import Board, Industry, MarketCapBand
from assessments.models import Answer, Assessment, AssessmentStatus, ScoreComponent, ScoreSnapshot
from assessments.selectors import framework_of
from reports.benchmarks import PercentileCont

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


def latest_snapshots(cohort: Cohort) -> QuerySet[ScoreSnapshot]:
    """Each cohort assessment's most recent snapshot (resubmissions replace earlier ones)."""
    newest = ScoreSnapshot.objects.filter(assessment=OuterRef("assessment")).order_by(
        "-created_at", "-pk"
    )
    return ScoreSnapshot.objects.filter(
        assessment__cohort=cohort, pk=Subquery(newest.values("pk")[:1])
    )


@dataclass
class Dashboard:
    funnel: list[tuple[str, int]]
    histogram: list[tuple[str, int]]
    shift_medians: list[tuple[str, float | None, int]]
    industry_rows: list[tuple[str, list[float | None]]]
    shift_names: list[str]
    tiers: list[tuple[str, int]]
    by_size: list[tuple[str, float | None, int]]
    by_board: list[tuple[str, float | None, int]]
    depths: list[str]
    value_chain: list[tuple[str, list[int]]]
    page: Page  # type: ignore[type-arg]
    total: int


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
    snapshots = latest_snapshots(cohort)
    bins = snapshots.aggregate(
        **{
            f"b{lo}": Count("pk", filter=Q(overall_score__gte=lo, overall_score__lt=hi))
            for lo, hi in BINS
        }
    )
    tiers = dict(snapshots.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    components = ScoreComponent.objects.filter(
        kind=ScoreComponent.Kind.SHIFT, snapshot__in=snapshots
    )
    medians = {
        r["code"]: (r["median"], r["n"])
        for r in components.values("code").annotate(
            median=PercentileCont("score", 0.5), n=Count("score")
        )
    }
    by_industry: dict[str, dict[str, float | None]] = {}
    for r in components.values("snapshot__issuer__industry", "code").annotate(
        median=PercentileCont("score", 0.5)
    ):
        by_industry.setdefault(r["snapshot__issuer__industry"], {})[r["code"]] = r["median"]

    def breakdown(field: str, choices: Any) -> list[tuple[str, float | None, int]]:
        labels = dict(choices)
        found = {
            r[field]: (r["median"], r["n"])
            for r in snapshots.values(field).annotate(
                median=PercentileCont("overall_score", 0.5), n=Count("pk")
            )
        }
        return [(str(labels[code]), *found[code]) for code in labels if code in found]

    stage_items = {i.code: i.value_chain_stage for i in fw.iter_items() if i.value_chain_stage}
    adoption: dict[str, dict[str, int]] = {}
    for code, choice, n in (
        Answer.objects.filter(assessment__cohort=cohort, item__code__in=list(stage_items))
        .exclude(choice="")
        .values_list("item__code", "choice")
        .annotate(n=Count("pk"))
    ):
        adoption.setdefault(stage_items[code], {})[choice] = n

    rows = assessments.select_related("issuer").annotate(
        latest_score=Subquery(
            ScoreSnapshot.objects.filter(assessment=OuterRef("pk"))
            .order_by("-created_at", "-pk")
            .values("overall_score")[:1]
        ),
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
        histogram=[(f"{lo}–{min(hi, 100)}", bins[f"b{lo}"]) for lo, hi in BINS],
        shift_medians=[(s.name.get(lang), *medians.get(s.code, (None, 0))) for s in fw.shifts],
        industry_rows=[
            (str(labels.get(code, code)), [values.get(s.code) for s in fw.shifts])
            for code, values in sorted(by_industry.items())
        ],
        shift_names=[s.name.get(lang) for s in fw.shifts],
        tiers=[(fw.tier(code).name.get(lang), n) for code, n in sorted(tiers.items()) if code],
        by_size=breakdown("issuer__market_cap_band", MarketCapBand.choices),
        by_board=breakdown("issuer__board", Board.choices),
        depths=[d.label.get(lang) for d in fw.depths],
        value_chain=[
            (stage.name.get(lang), [adoption.get(stage.code, {}).get(d.code, 0) for d in fw.depths])
            for stage in fw.stages
        ],
        page=paginator.get_page(page),
        total=paginator.count,
    )
