"""Change since the previous assessment: scores now against the issuer's previous submitted
assessment, overall, per shift and per dimension."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import User
from assessments import access
from assessments.framework import Dimension, Framework
from assessments.models import Assessment, AssessmentStatus, ScoreSnapshot


@dataclass(frozen=True)
class Change:
    name: str
    before: float | None
    now: float | None
    delta: int | None
    dimensions: list[Change] = field(default_factory=list)
    new: bool = False  # a part of this edition that the previous assessment's did not have


@dataclass(frozen=True)
class Changes:
    date: datetime  # when the previous scores were frozen
    overall_before: float | None
    overall_delta: int | None
    shifts: list[Change]
    # The previous assessment's framework version when it differs from this one's ("" if
    # the same): its dimensions are matched by code or `carried_from` (SCHEMA.md).
    previous_version: str = ""


def _previous(
    *, issuer: Any, submitted_at: Any, assessment: Any, viewer: User | None
) -> QuerySet[ScoreSnapshot]:
    """Snapshots of the issuer's earlier submitted assessments that `viewer` may see (None:
    any), newest first. Arguments are values or OuterRefs (see `previous_snapshot_ref`)."""
    snapshots = ScoreSnapshot.objects.filter(
        issuer_id=issuer, assessment__submitted_at__lt=submitted_at
    )
    if viewer is not None:
        visible = access.visible_assessments(user=viewer, queryset=Assessment.objects.all())
        snapshots = snapshots.filter(assessment__in=visible.values("pk"))
    return (
        snapshots.exclude(assessment_id=assessment)
        .exclude(assessment__status=AssessmentStatus.DRAFT)
        .order_by("-assessment__submitted_at", "-created_at", "-pk")
    )


def previous_snapshot(assessment: Assessment, *, viewer: User | None) -> ScoreSnapshot | None:
    """The latest snapshot of the issuer's previous submitted assessment that `viewer` may
    see (None: any, the issuer's own view). A reviewer of this cohort never gets another
    cohort's scores through the comparison."""
    if assessment.submitted_at is None:
        return None
    return _previous(
        issuer=assessment.issuer_id,
        submitted_at=assessment.submitted_at,
        assessment=assessment.pk,
        viewer=viewer,
    ).first()


def previous_snapshot_ref(*, viewer: User | None, assessment: str = "assessment") -> Subquery:
    """`previous_snapshot` as a subquery on the outer row's `assessment` relation, for
    annotating many rows in one query (cohort bulk reports)."""
    return Subquery(
        _previous(
            issuer=OuterRef(f"{assessment}__issuer_id"),
            submitted_at=OuterRef(f"{assessment}__submitted_at"),
            assessment=OuterRef(f"{assessment}_id"),
            viewer=viewer,
        ).values("pk")[:1]
    )


def _dimension_change(
    dim: Dimension, before: dict[str, float | None], now: dict[str, float | None], language: str
) -> Change:
    """The change of one dimension since the previous assessment, whose scores `before` may
    come from an earlier edition: the dimension continues the one of the same code, or those
    in its `carried_from`; with none of them in `before` it is new in this edition."""
    sources = (dim.code,) if dim.carried_from is None else dim.carried_from
    source = next((code for code in sources if code in before), None)
    score = before.get(source) if source else None
    return Change(
        name=dim.name.get(language),
        before=score,
        now=now.get(dim.code),
        delta=_delta(score, now.get(dim.code)),
        new=source is None,
    )


def changes_section(
    *, snapshot: ScoreSnapshot, previous: ScoreSnapshot | None, fw: Framework, language: str
) -> Changes | None:
    """None when there is nothing (visible) to compare with."""
    if previous is None:
        return None
    before, now = previous.result, snapshot.result
    shifts_before = {s["code"]: s["score"] for s in before["shifts"]}
    dims_before = {d["code"]: d["score"] for d in before["dimensions"]}
    shifts_now = {s["code"]: s["score"] for s in now["shifts"]}
    dims_now = {d["code"]: d["score"] for d in now["dimensions"]}
    return Changes(
        date=previous.created_at,
        previous_version=""
        if previous.framework_id == snapshot.framework_id
        else previous.framework.version,
        overall_before=before["overall"],
        overall_delta=_delta(before["overall"], now["overall"]),
        shifts=[
            Change(
                name=shift.name.get(language),
                before=shifts_before.get(shift.code),
                now=shifts_now.get(shift.code),
                delta=_delta(shifts_before.get(shift.code), shifts_now.get(shift.code)),
                dimensions=[
                    _dimension_change(dim, dims_before, dims_now, language)
                    for dim in shift.dimensions
                ],
                new=shift.code not in shifts_before,
            )
            for shift in fw.shifts
        ],
    )


def whole(value: float | None) -> int | None:
    """A score as every page prints it (`floatformat:0`: half away from zero)."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _delta(before: float | None, now: float | None) -> int | None:
    """The difference of the two whole numbers shown beside it, so the row adds up
    (75 → 17 is −58, never −58.3)."""
    b, n = whole(before), whole(now)
    if b is None or n is None:
        return None
    return n - b
