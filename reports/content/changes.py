"""Change since the previous assessment: scores now against the issuer's previous submitted
assessment, overall, per shift and per dimension."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from assessments.framework import Framework
from assessments.models import Assessment, AssessmentStatus, ScoreSnapshot


@dataclass(frozen=True)
class Change:
    name: str
    before: float | None
    now: float | None
    delta: float | None
    dimensions: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Changes:
    date: datetime  # when the previous scores were frozen
    overall_before: float | None
    overall_delta: float | None
    shifts: list[Change]


def previous_snapshot(assessment: Assessment) -> ScoreSnapshot | None:
    """The latest snapshot of the issuer's previous submitted assessment."""
    if assessment.submitted_at is None:
        return None
    return (
        ScoreSnapshot.objects.filter(
            issuer_id=assessment.issuer_id,
            assessment__submitted_at__lt=assessment.submitted_at,
        )
        .exclude(assessment_id=assessment.pk)
        .exclude(assessment__status=AssessmentStatus.DRAFT)
        .order_by("-assessment__submitted_at", "-created_at")
        .first()
    )


def _change(name: str, before: float | None, now: float | None) -> Change:
    return Change(name=name, before=before, now=now, delta=_delta(before, now))


def changes_section(*, snapshot: ScoreSnapshot, fw: Framework, language: str) -> Changes | None:
    """None for an issuer's first submitted assessment."""
    previous = previous_snapshot(snapshot.assessment)
    if previous is None:
        return None
    before, now = previous.result, snapshot.result
    shifts_before = {s["code"]: s["score"] for s in before["shifts"]}
    dims_before = {d["code"]: d["score"] for d in before["dimensions"]}
    shifts_now = {s["code"]: s["score"] for s in now["shifts"]}
    dims_now = {d["code"]: d["score"] for d in now["dimensions"]}
    return Changes(
        date=previous.created_at,
        overall_before=before["overall"],
        overall_delta=_delta(before["overall"], now["overall"]),
        shifts=[
            Change(
                name=shift.name.get(language),
                before=shifts_before.get(shift.code),
                now=shifts_now.get(shift.code),
                delta=_delta(shifts_before.get(shift.code), shifts_now.get(shift.code)),
                dimensions=[
                    _change(
                        dim.name.get(language), dims_before.get(dim.code), dims_now.get(dim.code)
                    )
                    for dim in shift.dimensions
                ],
            )
            for shift in fw.shifts
        ],
    )


def _delta(before: float | None, now: float | None) -> float | None:
    if before is None or now is None:
        return None
    return round(now - before, 1)
