from __future__ import annotations

from celery import shared_task

from .dashboard import aggregates_refresh
from .models import Cohort


@shared_task(ignore_result=True)
def refresh_dashboard_task(cohort_id: int) -> None:
    """Thin: recompute a cohort's cached score aggregates after a submission. Idempotent;
    a lost run only means the next dashboard reader computes them itself."""
    cohort = Cohort.objects.select_related("framework").filter(pk=cohort_id).first()
    if cohort is not None:
        aggregates_refresh(cohort=cohort)
