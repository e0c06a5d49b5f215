"""The index report as HTML and PDF: the one code path of the worker, the command and the
benchmark (rendering outside any transaction, like issuer reports)."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from assessments import access
from reports import services as report_services
from reports.fonts import report_fonts
from reports.models import ReportLanguage, ReportStatus
from reports.rendering import html_to_pdf

from ..models import Cohort, CohortIndexReport
from .content import IndexContent

logger = logging.getLogger(__name__)


def association_name(language: str) -> str:
    return (
        settings.ASSOCIATION_NAME_ZH if language.startswith("zh") else settings.ASSOCIATION_NAME_EN
    )


def index_report_html(
    *,
    content: IndexContent,
    language: str,
    inline_css: bool = True,
    csp_nonce: str = "",
    screen_links: list[dict] | None = None,
) -> str:
    """The report as one HTML page; `inline_css=False` leaves the stylesheet to the PDF
    path (`index_report_css`)."""
    if language not in ReportLanguage.values:
        raise ValueError(language)
    with translation.override(language):
        context = {
            "c": content,
            "cohort": content.cohort,
            "cohort_name": content.cohort.name_zh
            if language.startswith("zh") and content.cohort.name_zh
            else content.cohort.name_en,
            "association": association_name(language),
            "language": language,
            "html_lang": "zh-Hant-HK" if language == "zh-hant" else "en",
            "generated_at": timezone.now(),
            "inline_css": inline_css,
            "csp_nonce": csp_nonce,
            "screen_links": screen_links or [],
        }
        return render_to_string("cohorts/index_report/report.html", context)


def index_report_css() -> str:
    fonts = report_fonts()
    return (fonts.css() if fonts else "") + render_to_string("cohorts/index_report/report.css")


def index_report_pdf(
    *, cohort: Cohort, language: str, compare_with: Cohort | bool | None = True
) -> bytes:
    """Render synchronously (one read of each cohort, then WeasyPrint)."""
    content = IndexContent.load(cohort=cohort, compare_with=compare_with)
    html = index_report_html(content=content, language=language, inline_css=False)
    return html_to_pdf(html, css=index_report_css())


# --- requests and rendering by the worker (like reports.services for issuer reports) -------

TRANSIENT = report_services.TRANSIENT


def _task_id() -> str:
    # Chosen before publishing, so "queued without a task id" means the broker never took it.
    return str(uuid.uuid4())


def _stuck(report: CohortIndexReport, now: datetime) -> bool:
    """Pending, but nothing will move it: never published, lost with the broker, or its
    worker died (rendering past the hard time limit)."""
    if report.status == ReportStatus.QUEUED:
        return not report.task_id or report.requested_at < now - report_services.QUEUED_LOST_AFTER
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    return report.status == ReportStatus.RENDERING and (
        report.started_at is None or report.started_at < now - limit
    )


def index_report_request(
    *, cohort: Cohort, language: str, user: User, force: bool = False
) -> CohortIndexReport:
    """Ask for the cohort's index report in `language`; the worker renders it after commit.

    Idempotent: a ready report is returned as it is unless `force` (regenerate with
    today's data), and a pending one is not queued twice unless it is stuck.
    """
    if language not in ReportLanguage.values:
        raise ValueError(language)
    if not access.can_request_cohort_index_report(user=user, cohort=cohort):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        report, created = CohortIndexReport.objects.select_for_update().get_or_create(
            cohort=cohort,
            language=language,
            defaults={"requested_by": user, "task_id": _task_id()},
        )
        if not created:
            if report.status == ReportStatus.READY and not force:
                return report
            if report.is_pending and not _stuck(report, now):
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


def _enqueue(report_id: int, task_id: str) -> bool:
    from ..tasks import render_index_report_task

    try:
        render_index_report_task.apply_async(args=(report_id,), task_id=task_id)
    except Exception as exc:
        # Broker down: the page says so; asking again (or a later request) sends it.
        logger.exception("could not enqueue index report %s", report_id)
        CohortIndexReport.objects.filter(
            pk=report_id, status=ReportStatus.QUEUED, task_id=task_id
        ).update(task_id="", error=f"queue unavailable: {type(exc).__name__}")
        return False
    return True


def index_report_render(*, report_id: int, task_id: str = "") -> bool:
    """Render one requested index report; True if this run stored the file.

    Safe to run twice or concurrently: a ready report is left alone, and the file is stored
    under the row lock only if no other run finished first. A failure is recorded on the
    row and raised, so the task can retry transient ones.
    """
    with transaction.atomic():
        report = (
            CohortIndexReport.objects.select_for_update().select_related("cohort").get(pk=report_id)
        )
        if report.status == ReportStatus.READY and report.file:
            return False
        report.status = ReportStatus.RENDERING
        report.started_at = timezone.now()
        report.attempts += 1
        report.task_id = task_id[:64] or report.task_id
        report.save(update_fields=["status", "started_at", "attempts", "task_id"])

    started = time.perf_counter()
    try:
        cohort = Cohort.objects.select_related("framework").get(pk=report.cohort_id)
        content = IndexContent.load(cohort=cohort)
        html = index_report_html(content=content, language=report.language, inline_css=False)
        pdf = html_to_pdf(html, css=index_report_css())
    except Exception as exc:
        transient = isinstance(exc, TRANSIENT)
        CohortIndexReport.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
            status=ReportStatus.QUEUED if transient else ReportStatus.FAILED,
            error=("temporary problem, will retry: " if transient else "")
            + f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=None if transient else timezone.now(),
        )
        raise
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    checksum = hashlib.sha256(pdf).hexdigest()

    with transaction.atomic():
        report = CohortIndexReport.objects.select_for_update().get(pk=report_id)
        if report.status == ReportStatus.READY and report.file:
            return False  # a concurrent run finished first
        old_name = report.file.name or ""
        report.file.save(f"{report.language}-{checksum[:12]}.pdf", ContentFile(pdf), save=False)
        new_name = report.file.name or ""
        report.status = ReportStatus.READY
        report.checksum = checksum
        report.size = len(pdf)
        report.counted = content.data.n
        report.compared_with = content.previous.cohort if content.previous else None
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
    return True


def index_report_mark_failed(*, report_id: int, error: str) -> None:
    CohortIndexReport.objects.filter(pk=report_id).exclude(status=ReportStatus.READY).update(
        status=ReportStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def index_reports_of(*, cohort: Cohort) -> dict[str, CohortIndexReport | None]:
    """The cohort's index report per language (None: never asked)."""
    found: dict[str, CohortIndexReport | None] = dict.fromkeys(ReportLanguage.values)
    for report in CohortIndexReport.objects.filter(cohort=cohort).defer("error"):
        found[report.language] = report
    return found


def index_report_file(*, cohort: Cohort, language: str, user: User) -> CohortIndexReport:
    """The ready report to download; PermissionDenied for those who may not read it,
    CohortIndexReport.DoesNotExist when there is none ready."""
    if not access.can_download_cohort_index_report(user=user, cohort=cohort):
        raise PermissionDenied
    return CohortIndexReport.objects.get(
        cohort=cohort, language=language, status=ReportStatus.READY
    )
