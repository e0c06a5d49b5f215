"""A real Celery worker on the real Redis broker renders a report requested from the page."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments.tests.factories import PASSWORD, IssuerFactory, login_request
from config.celery import app as celery_app
from reports.models import Report, ReportStatus

from .conftest import submit_synthetic

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def worker():
    if not settings.CELERY_BROKER_URL:
        if IN_CI:
            pytest.fail("CI must set CELERY_BROKER_URL to the Redis broker")
        pytest.skip("needs CELERY_BROKER_URL (Redis); CI always sets it")
    from celery.contrib.testing.worker import start_worker

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        celery_app.conf.task_always_eager = before


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_enqueue_from_the_view_and_a_worker_renders_it(framework, worker):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=11)
    assessment = snapshot.assessment
    client = Client()
    assert client.login(
        request=login_request(), username=assessment.submitted_by.email, password=PASSWORD
    )
    response = client.post(
        reverse("reports:request", args=[assessment.pk]), {"language": "zh-hant"}
    )
    assert response.status_code == 302
    report = Report.objects.get(assessment=assessment, language="zh-hant")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in (ReportStatus.READY, ReportStatus.FAILED):
            break
        time.sleep(0.5)
    assert report.status == ReportStatus.READY, report.error
    assert report.task_id
    download = client.get(reverse("reports:download", args=[assessment.pk, "zh-hant"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
