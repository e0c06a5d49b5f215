"""One cohort's counted results, read once: a fixed number of queries whatever its size.

A company counts when its assessment is enrolled (not withdrawn) and its latest snapshot
is not provisional, exactly as on the dashboard (`dashboard.latest_snapshots`). Its
groups are those frozen in the snapshot at submission, as for peer statistics. Nothing
here holds a company's name: issuers are ids, used only to match two years and to count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from assessments.models import Assessment, AssessmentStatus, ScoreComponent, ScoreSnapshot

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


def cohort_data(*, cohort: Cohort) -> CohortData:
    """Four queries: participation, the counted snapshots, their dimension scores, and
    the provisional ones left out."""
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
            "result__heatmap",
        ).order_by("issuer_id", "pk")
    )
    dims: dict[int, dict[str, float]] = {}
    for snapshot_id, code, score in ScoreComponent.objects.filter(
        snapshot__in=snapshots.values("pk"), kind=ScoreComponent.Kind.DIMENSION, score__isnull=False
    ).values_list("snapshot_id", "code", "score"):
        dims.setdefault(snapshot_id, {})[code] = float(score or 0)  # nulls filtered above
    members = []
    seen: set[int] = set()
    for pk, issuer, overall, level, tier, industry, size, board, shifts, kpis, heat in rows:
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
                stages={c["stage"]: c.get("depth") or "" for c in heat or [] if "stage" in c},
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
