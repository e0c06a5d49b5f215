"""Stuck reports are sent again: never published (broker down), or lost with a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from assessments.tests.factories import IssuerFactory
from reports import services
from reports.models import Report, ReportStatus

from .conftest import submit_synthetic

pytestmark = pytest.mark.django_db

WORKER_DEAD = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)


@pytest.fixture
def snapshot(framework):
    return submit_synthetic(IssuerFactory(), framework, seed=31)


def report_for(snapshot, language="en", **fields) -> Report:
    return Report.objects.create(
        assessment=snapshot.assessment, snapshot=snapshot, language=language, **fields
    )


def test_asking_again_resends_a_report_whose_worker_died_but_not_a_live_one(
    snapshot, eager, oncommit
):
    user = snapshot.assessment.submitted_by
    report = report_for(
        snapshot, status=ReportStatus.RENDERING, started_at=timezone.now(), task_id="alive"
    )
    with oncommit(execute=True):
        again = services.report_request(assessment=snapshot.assessment, language="en", user=user)
    assert again.status == ReportStatus.RENDERING and again.task_id == "alive"

    Report.objects.filter(pk=report.pk).update(started_at=timezone.now() - WORKER_DEAD)
    with oncommit(execute=True):
        again = services.report_request(assessment=snapshot.assessment, language="en", user=user)
    again.refresh_from_db()  # the test's transaction runs on-commit work only here
    assert again.status == ReportStatus.READY and again.task_id not in ("", "alive")


def test_the_sweep_sends_unpublished_and_dead_reports_and_leaves_live_ones(
    snapshot, eager, oncommit
):
    unpublished = report_for(snapshot, "en", status=ReportStatus.QUEUED, task_id="")
    assert unpublished.awaiting_queue
    assert unpublished.status_label == "Waiting for the report service"
    rendering = report_for(
        snapshot,
        "zh-hant",
        status=ReportStatus.RENDERING,
        started_at=timezone.now(),
        task_id="alive",
    )
    with oncommit(execute=True):
        assert services.reports_requeue_stale() == 1
    unpublished.refresh_from_db()
    rendering.refresh_from_db()
    assert unpublished.status == ReportStatus.READY and not unpublished.awaiting_queue
    assert rendering.status == ReportStatus.RENDERING and rendering.task_id == "alive"

    with oncommit(execute=True):
        assert services.reports_requeue_stale(now=timezone.now() + WORKER_DEAD) == 1
    rendering.refresh_from_db()
    assert rendering.status == ReportStatus.READY and rendering.error == ""


def test_a_queued_message_is_resent_only_once_it_is_probably_lost(snapshot, eager, oncommit):
    report = report_for(snapshot, status=ReportStatus.QUEUED, task_id="in-the-queue")
    assert services.reports_requeue_stale() == 0
    later = timezone.now() + services.QUEUED_LOST_AFTER + timedelta(minutes=1)
    with oncommit(execute=True):
        assert services.reports_requeue_stale(now=later) == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.READY


def test_a_report_found_dead_twice_is_failed_not_looped(snapshot):
    report = report_for(
        snapshot,
        status=ReportStatus.RENDERING,
        started_at=timezone.now() - WORKER_DEAD,
        error=services.WORKER_LOST,
        task_id="second-try",
    )
    assert services.reports_requeue_stale() == 0
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and report.finished_at


def test_a_file_left_by_a_run_killed_before_commit_is_removed_by_the_next(snapshot, media):
    report = report_for(snapshot)
    folder = media / "reports" / snapshot.issuer.stock_code
    folder.mkdir(parents=True)
    orphan = folder / f"{snapshot.pk}-en-h0-0123456789ab.pdf"
    orphan.write_bytes(b"%PDF-1.7 half a report")
    other_language = folder / f"{snapshot.pk}-zh-hant-h0-0123456789ab.pdf"
    other_language.write_bytes(b"%PDF-1.7 not this report's")
    # The same snapshot and language compared with another assessment: another report.
    other_history = folder / f"{snapshot.pk}-en-h99-0123456789ab.pdf"
    other_history.write_bytes(b"%PDF-1.7 not this report's either")

    services.report_render(report_id=report.pk)

    report.refresh_from_db()
    assert sorted(folder.iterdir()) == sorted(
        [media / report.file.name, other_language, other_history]
    )
