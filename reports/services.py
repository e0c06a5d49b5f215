"""Report requests and rendering. The Celery task and the CLI both call report_render."""

from __future__ import annotations

import hashlib
import logging
import posixpath
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from assessments import access
from assessments.models import Assessment, ScoreSnapshot

from .content import previous_snapshot, report_context
from .fonts import report_fonts
from .models import Report, ReportLanguage, ReportStatus, report_upload_to
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
    csp_nonce: str = "",
    compared_with: ScoreSnapshot | None,
) -> str:
    """The report as one HTML page; with `inline_css=False` the caller supplies
    `report_css()` separately (the PDF path, which parses it once per worker).
    In a browser, the inline <style> needs the response's CSP nonce (`csp_nonce`)."""
    with translation.override(language):
        context = report_context(snapshot=snapshot, language=language, compared_with=compared_with)
        context["screen_links"] = screen_links or []
        context["inline_css"] = inline_css
        context["csp_nonce"] = csp_nonce
        return render_to_string("reports/report.html", context)


def report_css() -> str:
    fonts = report_fonts()
    return (fonts.css() if fonts else "") + render_to_string("reports/report.css")


def report_pdf(
    *, snapshot: ScoreSnapshot, language: str, compared_with: ScoreSnapshot | None
) -> bytes:
    """Render synchronously: the one code path for the worker, the CLI and benchmarks."""
    html = report_html(
        snapshot=snapshot, language=language, inline_css=False, compared_with=compared_with
    )
    return html_to_pdf(html, css=report_css())


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
    queued or rendering is not queued twice, unless it is stuck (see `_stuck`): then it is
    sent again. The task id is re-read after the enqueue, so `awaiting_queue` tells whether
    the broker took the message (the status stays as requested: callers count it).
    """
    if language not in ReportLanguage.values:
        raise ValueError(language)
    if not access.can_request_report(user=user, assessment=assessment):
        raise PermissionDenied
    snapshot = _latest_snapshot(assessment)
    compared_with = previous_snapshot(assessment, viewer=user)
    now = timezone.now()
    with transaction.atomic():
        report, created = Report.objects.select_for_update().get_or_create(
            snapshot=snapshot,
            language=language,
            compared_with=compared_with,
            defaults={"assessment": assessment, "requested_by": user, "task_id": _task_id()},
        )
        if not created:
            if report.status == ReportStatus.READY and not force:
                return report
            if report.is_pending and not Report.objects.filter(_stuck(now), pk=report.pk).exists():
                return report
            report.status = ReportStatus.QUEUED
            report.error = ""
            report.requested_by = user
            report.requested_at = now
            report.task_id = _task_id()
            report.save(
                update_fields=["status", "error", "requested_by", "requested_at", "task_id"]
            )
        transaction.on_commit(partial(_enqueue, report.pk, report.task_id))
    report.refresh_from_db(fields=["task_id"])
    return report


def _task_id() -> str:
    # Chosen before publishing and stored with the request, so "queued without a task id"
    # means exactly "the broker never took the message".
    return str(uuid.uuid4())


def _enqueue(report_id: int, task_id: str) -> bool:
    from .tasks import render_report_task

    try:
        render_report_task.apply_async(args=(report_id,), task_id=task_id)
    except Exception as exc:
        # Broker down: the page says so, the report stays queued and a sweep sends it later.
        logger.exception("could not enqueue report %s", report_id)
        Report.objects.filter(pk=report_id, status=ReportStatus.QUEUED, task_id=task_id).update(
            task_id="", error=f"queue unavailable: {type(exc).__name__}"
        )
        return False
    return True


# A message the broker accepted but no worker has started for this long was most likely
# lost (a Redis restart without persistence); sending it again at worst renders twice,
# which report_render turns into one file.
QUEUED_LOST_AFTER = timedelta(minutes=30)
WORKER_LOST = "worker lost, sent again"


def _stuck(now: datetime) -> Q:
    """Pending reports nothing will move: never published, or lost with a broker or worker.

    A report rendering for longer than the hard time limit has no live worker; a killed
    worker's message normally comes back by itself (acks_late, Redis visibility timeout),
    but not if the broker lost it too.
    """
    queued_since = now - QUEUED_LOST_AFTER
    rendering_since = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return (
        Q(status=ReportStatus.QUEUED, task_id="")
        | (
            Q(status=ReportStatus.QUEUED, requested_at__lt=queued_since)
            & (Q(started_at__isnull=True) | Q(started_at__lt=queued_since))
        )
        | Q(status=ReportStatus.RENDERING, started_at__lt=rendering_since)
    )


def reports_requeue_stale(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send stuck reports again (workers call this on connect and periodically).

    A report found dead while rendering a second time is marked failed instead, so a
    report that always kills its worker does not loop. Returns how many were sent again.
    """
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        stuck = (
            Report.objects.select_for_update(skip_locked=True)
            .filter(_stuck(now))
            .order_by("requested_at")[:limit]
        )
        for report in stuck:
            if report.status == ReportStatus.RENDERING:
                if report.error.startswith(WORKER_LOST):
                    report.status = ReportStatus.FAILED
                    report.error = "Rendering stopped twice before it finished."
                    report.finished_at = now
                    report.save(update_fields=["status", "error", "finished_at"])
                    continue
                report.error = WORKER_LOST
            report.status = ReportStatus.QUEUED
            report.task_id = _task_id()
            report.save(update_fields=["status", "error", "task_id"])
            transaction.on_commit(partial(_enqueue, report.pk, report.task_id))
            sent += 1
    if sent:
        logger.info("sent %s stuck report(s) again", sent)
    return sent


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
        compared_with = (
            None if report.compared_with_id is None else _snapshot(report.compared_with_id)
        )
        pdf = report_pdf(snapshot=snapshot, language=report.language, compared_with=compared_with)
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
        _delete_orphans(report, keep=old_name or "")
        name = f"{_file_prefix(report)}{checksum[:12]}.pdf"
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


def _delete_orphans(report: Report, *, keep: str) -> None:
    """Delete this report's files that no row points to (call under the row lock).

    A run killed between storing its file and committing leaves one behind. Every run
    stores its file under this lock and commits before releasing it, so a file of this
    report other than the committed one is never a concurrent run's work in progress.
    """
    storage = report.file.storage
    directory = posixpath.dirname(report_upload_to(report, "x.pdf"))
    prefix = _file_prefix(report)
    try:
        _dirs, files = storage.listdir(directory)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        path = posixpath.join(directory, name)
        if name.startswith(prefix) and name.endswith(".pdf") and path != keep:
            logger.warning("deleting orphaned report file %s", path)
            storage.delete(path)


def _file_prefix(report: Report) -> str:
    # Reports of one snapshot and language differ by what they compare with.
    return f"{report.snapshot_id}-{report.language}-h{report.compared_with_id or 0}-"


def _snapshot(pk: int) -> ScoreSnapshot:
    return ScoreSnapshot.objects.get(pk=pk)


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
