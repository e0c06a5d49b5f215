"""What the issuer's home shows of its latest result: the home view lives in `assessments`,
which may not import `reports`, so the template asks here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils.translation import get_language

from accounts.models import User
from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from reports.content.changes import previous_snapshot, whole
from reports.models import Report
from reports.selectors import reports_for_latest

register = template.Library()


@dataclass(frozen=True)
class ResultSummary:
    score: int | None
    level: int | None
    level_name: str
    provisional: bool
    change: int | None  # whole points since the previous submitted assessment
    previous_date: datetime | None
    reports: dict[str, Report | None]  # by language, the latest snapshot's

    @property
    def ready_reports(self) -> list[tuple[str, Report]]:
        return [(code, r) for code, r in self.reports.items() if r and r.status == "ready"]


@register.simple_tag
def result_summary(assessment: Assessment, user: User) -> ResultSummary | None:
    """None before the first snapshot. Uses the home list's prefetched snapshots."""
    snapshot = next(iter(assessment.snapshots.all()), None)
    if snapshot is None:
        return None
    fw = assessment_selectors.framework_of(assessment.framework)
    level = snapshot.maturity_level
    previous = previous_snapshot(assessment, viewer=user)
    score = whole(None if snapshot.overall_score is None else float(snapshot.overall_score))
    before = None
    if previous is not None and previous.overall_score is not None:
        before = whole(float(previous.overall_score))
    return ResultSummary(
        score=score,
        level=level,
        level_name=fw.levels[level - 1].name.get(get_language()) if level else "",
        provisional=snapshot.provisional,
        change=None if score is None or before is None else score - before,
        previous_date=previous.created_at if previous else None,
        reports=reports_for_latest(assessment, user=user),
    )
