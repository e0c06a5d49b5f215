from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from assessments.models import ScoreSnapshot
from assessments.signals import assessment_approved, assessment_resubmitted, assessment_returned

logger = logging.getLogger(__name__)


def _refresh(cohort_id: int) -> None:
    from .tasks import refresh_dashboard_task

    refresh_dashboard_task.delay(cohort_id)


@receiver(post_save, sender=ScoreSnapshot, dispatch_uid="cohort-dashboard-refresh")
def snapshot_saved(sender: Any, instance: ScoreSnapshot, created: bool, **kwargs: Any) -> None:
    """A new snapshot changes its cohort's score aggregates: have the worker recompute
    them once the submission is committed. Robust: with the broker down the submission
    still succeeds, and the next dashboard reader computes the aggregates itself."""
    if not created:
        return
    cohort_id = instance.assessment.cohort_id  # the service passes the loaded assessment
    if cohort_id is not None:
        transaction.on_commit(partial(_refresh, cohort_id), robust=True)


# The review workflow's announcements (sent by assessments once committed): e-mail the
# people concerned through the worker.


@receiver(assessment_returned, dispatch_uid="cohort-notify-returned")
def returned(sender: Any, assessment_id: int, change_id: int, **kwargs: Any) -> None:
    from .tasks import notify_returned_task

    notify_returned_task.delay(assessment_id, change_id)


@receiver(assessment_resubmitted, dispatch_uid="cohort-notify-resubmitted")
def resubmitted(sender: Any, assessment_id: int, change_id: int, **kwargs: Any) -> None:
    from .tasks import notify_resubmitted_task

    notify_resubmitted_task.delay(assessment_id, change_id)


@receiver(assessment_approved, dispatch_uid="cohort-notify-approved")
def approved(sender: Any, assessment_id: int, change_id: int, **kwargs: Any) -> None:
    from .tasks import notify_approved_task

    notify_approved_task.delay(assessment_id, change_id)
