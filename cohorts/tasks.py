from __future__ import annotations

import datetime
import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from . import notifications
from .dashboard import aggregates_refresh
from .index_report import services as index_report_services
from .models import Cohort

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refresh_dashboard_task(cohort_id: int) -> None:
    """Thin: recompute a cohort's cached score aggregates after a submission. Idempotent;
    a lost run only means the next dashboard reader computes them itself."""
    cohort = Cohort.objects.select_related("framework").filter(pk=cohort_id).first()
    if cohort is not None:
        aggregates_refresh(cohort=cohort)


# --- e-mail (notifications.py). Ids in; each run re-reads and skips what the e-mail log says
# was already sent, so a duplicate or retried message sends nothing twice. Only a transient
# failure (server unreachable, "try later") is retried; a refused address stays failed in
# the log.


def _done(task: Task, outcome: notifications.Outcome) -> None:
    if outcome.retry:
        raise task.retry()


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def notify_returned_task(self: Task, assessment_id: int, change_id: int) -> None:
    _done(self, notifications.returned_notify(assessment_id=assessment_id, change_id=change_id))


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def notify_resubmitted_task(self: Task, assessment_id: int, change_id: int) -> None:
    _done(self, notifications.resubmitted_notify(assessment_id=assessment_id, change_id=change_id))


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def notify_approved_task(self: Task, assessment_id: int, change_id: int) -> None:
    _done(self, notifications.approved_notify(assessment_id=assessment_id, change_id=change_id))


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def notify_enrolled_task(self: Task, assessment_id: int) -> None:
    _done(self, notifications.enrolled_notify(assessment_id=assessment_id))


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def send_reminders_task(self: Task) -> None:
    """Celery beat, hourly in the day: today's scheduled reminders (each once a day)."""
    _done(self, notifications.reminders_send(on=timezone.localdate()))


@shared_task(bind=True, ignore_result=True, max_retries=5, default_retry_delay=300)
def remind_now_task(self: Task, cohort_id: int, on: str) -> None:
    """An admin's "remind those not submitted", for the day it was asked."""
    day = datetime.date.fromisoformat(on)
    _done(self, notifications.remind_now_send(cohort_id=cohort_id, on=day))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=4)
def render_index_report_task(self: Task, report_id: int) -> str:
    """Thin: render a cohort index report through the service; retry transient errors."""
    try:
        rendered = index_report_services.index_report_render(
            report_id=report_id, task_id=self.request.id or ""
        )
    except index_report_services.TRANSIENT as exc:
        if self.request.retries >= (self.max_retries or 0):
            index_report_services.index_report_mark_failed(
                report_id=report_id, error=f"gave up after retries: {exc}"
            )
            return "failed"
        raise self.retry(exc=exc, countdown=min(120, 5 * 2**self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        index_report_services.index_report_mark_failed(
            report_id=report_id, error="Rendering took too long and was stopped."
        )
        return "failed"
    except Exception:
        logger.exception("index report %s failed", report_id)
        return "failed"
    return "rendered" if rendered else "unchanged"
