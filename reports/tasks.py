from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import releases, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=4)
def render_report_task(self, report_id: int) -> str:  # type: ignore[no-untyped-def]
    """Thin: render through the service; retry only transient errors, with backoff."""
    try:
        outcome = services.report_render(report_id=report_id, task_id=self.request.id or "")
    except services.TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            services.report_mark_failed(report_id=report_id, error=f"gave up after retries: {exc}")
            return "failed"
        raise self.retry(exc=exc, countdown=min(120, 5 * 2**self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        services.report_mark_failed(
            report_id=report_id, error="Rendering took too long and was stopped."
        )
        return "failed"
    except Exception:
        logger.exception("report %s failed", report_id)
        return "failed"
    return "rendered" if outcome.rendered else "unchanged"


@shared_task(ignore_result=True)
def requeue_stale_reports_task() -> int:
    """Thin: send stuck reports again (asked for by config.celery.ReportSweep)."""
    return services.reports_requeue_stale()


@shared_task(ignore_result=True)
def publish_peer_releases_task() -> int:
    """Thin: publish the peer groups that moved enough (Celery beat, PEER_RELEASE_SECONDS)."""
    return releases.peer_releases_publish()
