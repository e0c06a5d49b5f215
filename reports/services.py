"""Report requests and rendering. The Celery task and the CLI both call report_render."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from assessments.models import Assessment, ScoreSnapshot

from .content import report_context
from .fonts import report_fonts
from .models import Report, ReportLanguage, ReportStatus
from .rendering import html_to_pdf

logger = logging.getLogger(__name__)

# Worth another try: the database or storage blinked. Anything else (a template or
# rendering bug, bad data) fails the same way again, so it is recorded and shown.
TRANSIENT: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)


class NothingToReport(Exception):
    """The assessment has no submitted score snapshot yet."""


def report_html(
    *,
    snapshot: ScoreSnapshot,
    language: str,
    screen_links: list[dict] | None = None,
    inline_css: bool = True,
) -> str:
    """The report as one HTML page; with `inline_css=False` the caller supplies
    `report_css()` separately (the PDF path, which parses it once per worker)."""
    with translation.override(language):
        context = report_context(snapshot=snapshot, language=language)
        context["screen_links"] = screen_links or []
        context["inline_css"] = inline_css
        return render_to_string("reports/report.html", context)


def report_css() -> str:
    fonts = report_fonts()
    return (fonts.css() if fonts else "") + render_to_string("reports/report.css")


def report_pdf(*, snapshot: ScoreSnapshot, language: str) -> bytes:
    """Render synchronously: the one code path for the worker, the CLI and benchmarks."""
    return html_to_pdf(
        report_html(snapshot=snapshot, language=language, inline_css=False), css=report_css()
    )


def _latest_snapshot(assessment: Assessment) -> ScoreSnapshot:
    snapshot = (
        ScoreSnapshot.objects.select_related("issuer", "assessment__issuer", "assessment__cohort")
        .defer("assessment__framework__content")
        .filter(assessment=assessment)
        .order_by("-created_at", "-pk")
        .first()
    )
    if snapshot is None:
        raise NothingToReport
    return snapshot


def report_request(
    *, assessment: Assessment, language: str, user: User, force: bool = False
) -> Report:
    """Ask for the report of the assessment's latest scores; enqueue rendering on commit.

    Idempotent: a ready report is returned as it is (unless `force`), and a report already
    queued or rendering is not queued twice.
    """
    if language not in ReportLanguage.values:
        raise ValueError(language)
    if not (user.is_association_staff or user.issuer_id == assessment.issuer_id):
        raise PermissionDenied
    snapshot = _latest_snapshot(assessment)
    with transaction.atomic():
        report, created = Report.objects.select_for_update().get_or_create(
            snapshot=snapshot,
            language=language,
            defaults={"assessment": assessment, "requested_by": user},
        )
        if not created:
            if report.is_pending or (report.status == ReportStatus.READY and not force):
                return report
            report.status = ReportStatus.QUEUED
            report.error = ""
            report.requested_by = user
            report.requested_at = timezone.now()
            report.save(update_fields=["status", "error", "requested_by", "requested_at"])
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def _enqueue(report_id: int) -> None:
    from .tasks import render_report_task

    try:
        result = render_report_task.delay(report_id)
    except Exception as exc:
        logger.exception("could not enqueue report %s", report_id)
        Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
            error=f"queue unavailable: {type(exc).__name__}"
        )
        return
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
        task_id=str(result.id or "")[:64]
    )


@dataclass
class RenderOutcome:
    report: Report
    rendered: bool


def report_render(*, report_id: int, task_id: str = "") -> RenderOutcome:
    """Render one report. Safe to run twice or concurrently: one file wins, none leak.

    Raises the exception of a failed render after recording it on the report, so the
    caller (the task) can decide whether to retry.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == ReportStatus.READY and report.file:
            return RenderOutcome(report, rendered=False)
        report.status = ReportStatus.RENDERING
        report.started_at = timezone.now()
        report.attempts += 1
        report.task_id = task_id[:64] or report.task_id
        report.save(update_fields=["status", "started_at", "attempts", "task_id"])

    started = time.perf_counter()
    snapshot = snapshot_load(snapshot_id=report.snapshot_id)
    try:
        pdf = report_pdf(snapshot=snapshot, language=report.language)
    except Exception as exc:
        transient = isinstance(exc, TRANSIENT)
        Report.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
            status=ReportStatus.QUEUED if transient else ReportStatus.FAILED,
            error=("temporary problem, will retry: " if transient else "")
            + f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=None if transient else timezone.now(),
        )
        raise
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    checksum = hashlib.sha256(pdf).hexdigest()

    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == ReportStatus.READY and report.file:
            return RenderOutcome(report, rendered=False)  # a concurrent run finished first
        old_name = report.file.name if report.file else ""
        name = f"{report.snapshot_id}-{report.language}-{checksum[:12]}.pdf"
        report.file.save(name, ContentFile(pdf), save=False)
        new_name = report.file.name or name
        report.status = ReportStatus.READY
        report.checksum = checksum
        report.size = len(pdf)
        report.error = ""
        report.finished_at = timezone.now()
        report.render_ms = elapsed_ms
        storage = report.file.storage
        try:
            report.save()
        except Exception:
            storage.delete(new_name)  # the row was not updated: the file must not linger
            raise
        if old_name and old_name != new_name:
            transaction.on_commit(lambda: storage.delete(old_name))
    return RenderOutcome(report, rendered=True)


def snapshot_load(*, snapshot_id: int) -> ScoreSnapshot:
    """A snapshot with everything a report reads, minus the framework JSON (cached)."""
    return (
        ScoreSnapshot.objects.select_related(
            "issuer", "assessment__issuer", "assessment__cohort", "assessment__framework"
        )
        .defer("assessment__framework__content")
        .get(pk=snapshot_id)
    )


def report_mark_failed(*, report_id: int, error: str) -> None:
    Report.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
        status=ReportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )
