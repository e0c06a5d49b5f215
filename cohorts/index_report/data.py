"""One cohort's counted results, read once: a fixed number of queries whatever its size.

A company counts when its assessment is enrolled (not withdrawn) and its latest snapshot
is not provisional, exactly as on the dashboard (`dashboard.latest_snapshots`). Its
groups are those frozen in the snapshot at submission, as for peer statistics. Nothing
here holds a company's name: issuers are ids, used only to match two years and to count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Item,
    ScoreComponent,
    ScoreSnapshot,
)
from assessments.selectors import framework_of

# The dashboard's own rules of what counts (latest, not withdrawn, not provisional).
from ..dashboard import _latest, latest_snapshots
from ..models import Cohort


@dataclass(frozen=True)
class Member:
    """One counted company's frozen results (no name)."""

    issuer_id: int
    overall: float | None
    level: int | None
    tier: str
    industry: str
    size: str
    board: str
    shifts: dict[str, float]
    dimensions: dict[str, float]
    kpis: dict[str, float]
    stages: dict[str, str]  # stage code -> depth code ("" when unknown)


@dataclass(frozen=True)
class CohortData:
    cohort: Cohort
    enrolled: int
    submitted: int
    approved: int
    provisional: int  # latest submissions left out because too little was known
    members: list[Member] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.members)


def _f(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _stage_depths(cohort: Cohort, assessment_ids: list[int]) -> dict[int, dict[str, str]]:
    """{assessment id: {stage code: depth code}} of the value-chain items answered.

    Read from the answer rows, as the dashboard's value-chain adoption is, rather than from
    each snapshot's `result` JSON: extracting its heatmap made PostgreSQL read every
    result document whole (most of the data's read time at market scale). For a submitted
    assessment the answers are those it was scored on until it is returned for changes.
    """
    fw = framework_of(cohort.framework)
    stage_of = {i.code: i.value_chain_stage for i in fw.iter_items() if i.value_chain_stage}
    items = dict(
        Item.objects.filter(framework=cohort.framework, code__in=stage_of).values_list("pk", "code")
    )
    out: dict[int, dict[str, str]] = {}
    if not items or not assessment_ids:
        return out
    for assessment_id, item_id, choice in (
        Answer.objects.filter(assessment_id__in=assessment_ids, item_id__in=list(items))
        .exclude(choice="")
        .values_list("assessment_id", "item_id", "choice")
    ):
        out.setdefault(assessment_id, {})[stage_of[items[item_id]]] = choice
    return out


def cohort_data(*, cohort: Cohort) -> CohortData:
    """Five queries: participation, the counted snapshots, their dimension scores and
    value-chain answers, and the provisional ones left out."""
    funnel = (
        Assessment.objects.enrolled()
        .filter(cohort=cohort)
        .aggregate(
            enrolled=Count("pk"),
            submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
            approved=Count("pk", filter=Q(status=AssessmentStatus.APPROVED)),
        )
    )
    snapshots = latest_snapshots(cohort)
    rows = list(
        snapshots.values_list(
            "pk",
            "issuer_id",
            "overall_score",
            "maturity_level",
            "tier",
            "industry",
            "market_cap_band",
            "board",
            "shift_scores",
            "kpis",
            "assessment_id",
        ).order_by("issuer_id", "pk")
    )
    dims: dict[int, dict[str, float]] = {}
    for snapshot_id, code, score in ScoreComponent.objects.filter(
        snapshot__in=snapshots.values("pk"), kind=ScoreComponent.Kind.DIMENSION, score__isnull=False
    ).values_list("snapshot_id", "code", "score"):
        dims.setdefault(snapshot_id, {})[code] = float(score or 0)  # nulls filtered above
    members = []
    seen: set[int] = set()
    depths = _stage_depths(cohort, [row[-1] for row in rows])
    for pk, issuer, overall, level, tier, industry, size, board, shifts, kpis, a_id in rows:
        if issuer in seen:  # one result per company, even if enrolled twice
            continue
        seen.add(issuer)
        members.append(
            Member(
                issuer_id=issuer,
                overall=_f(overall),
                level=level,
                tier=tier or "",
                industry=industry or "",
                size=size or "",
                board=board or "",
                shifts={k: float(v) for k, v in (shifts or {}).items() if v is not None},
                dimensions=dims.get(pk, {}),
                kpis={k: float(v) for k, v in (kpis or {}).items() if v is not None},
                stages=depths.get(a_id, {}),
            )
        )
    provisional = ScoreSnapshot.objects.filter(_latest(cohort), provisional=True).count()
    return CohortData(
        cohort=cohort,
        enrolled=funnel["enrolled"],
        submitted=funnel["submitted"],
        approved=funnel["approved"],
        provisional=provisional,
        members=members,
    )
