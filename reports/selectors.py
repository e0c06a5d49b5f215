from __future__ import annotations

from assessments.models import Assessment
from assessments.selectors import latest_snapshot_id

from .models import Report, ReportLanguage


def reports_for_latest(assessment: Assessment) -> dict[str, Report | None]:
    """The report of the assessment's latest snapshot per language (None if never asked)."""
    reports = dict.fromkeys(ReportLanguage.values)
    latest = latest_snapshot_id(assessment)
    if latest is None:
        return reports
    for report in Report.objects.filter(snapshot_id=latest).defer("error"):
        reports[report.language] = report
    return reports  # type: ignore[return-value]
