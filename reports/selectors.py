from __future__ import annotations

from accounts.models import User
from assessments.models import Assessment
from assessments.selectors import latest_snapshot_id

from .content import previous_snapshot
from .models import Report, ReportLanguage


def reports_for_latest(assessment: Assessment, *, user: User) -> dict[str, Report | None]:
    """The report of the assessment's latest snapshot per language that `user` may read
    (one that compares only with what they may see; None if never asked)."""
    reports = dict.fromkeys(ReportLanguage.values)
    latest = latest_snapshot_id(assessment)
    if latest is None:
        return reports
    previous = previous_snapshot(assessment, viewer=user)
    rows = Report.objects.filter(
        snapshot_id=latest, compared_with_id=None if previous is None else previous.pk
    )
    for report in rows.defer("error"):
        reports[report.language] = report
    return reports  # type: ignore[return-value]
