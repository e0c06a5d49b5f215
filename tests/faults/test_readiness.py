"""`/healthz/ready` follows the worker, and a request's id follows its task (real processes).

gunicorn, a Celery worker, Celery beat (sending the heartbeat every 2 s, stale after 10 s:
tests/faults/conftest.py) and a private Redis. Production defaults are 15 s and 60 s.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from assessments.tests.factories import PASSWORD, IssuerFactory
from reports.models import Report, ReportStatus
from reports.tests.conftest import submit_synthetic

from .conftest import Browser, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def ready(app) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(app.url + "/healthz/ready", timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def json_lines(proc) -> list[dict]:
    lines = []
    for line in proc.log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_ready_turns_unhealthy_when_the_worker_dies_and_healthy_after_restart(stack, framework):
    redis = stack.redis()
    app = stack.app(broker_url=redis.url)
    status, body = ready(app)
    assert status == 503 and body["checks"]["worker"]["status"] == "down"  # no heartbeat yet
    assert body["checks"]["database"]["status"] == "ok"
    stack.beat(broker_url=redis.url)
    worker = stack.worker(broker_url=redis.url, name="first")

    wait_for(lambda: ready(app)[0] == 200, timeout=60, what="ready with a worker", every=0.5)
    status, body = ready(app)
    for name in ("database", "broker", "worker"):
        assert body["checks"][name]["status"] == "ok"
        assert isinstance(body["checks"][name]["latency_ms"], float)

    worker.kill()
    killed = time.monotonic()
    wait_for(lambda: ready(app)[0] == 503, timeout=60, what="unhealthy without a worker", every=1)
    assert time.monotonic() - killed < 60
    status, body = ready(app)
    assert body["status"] == "unhealthy"
    assert body["checks"]["worker"]["status"] == "down"
    assert body["checks"]["broker"]["status"] == "ok"  # only the worker is gone

    stack.worker(broker_url=redis.url, name="second")
    restarted = time.monotonic()
    wait_for(lambda: ready(app)[0] == 200, timeout=60, what="ready after restart", every=0.5)
    assert time.monotonic() - restarted < 60


def test_a_request_id_names_the_request_and_the_task_it_enqueued(stack, framework):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=23)
    assessment = snapshot.assessment
    redis = stack.redis()
    app = stack.app(broker_url=redis.url)
    worker = stack.worker(broker_url=redis.url, name="logs")
    browser = Browser(app.url)
    browser.login(assessment.submitted_by.email, PASSWORD)

    rid = "req-from-proxy-0042"
    page = browser.post(
        reverse("reports:request", args=[assessment.pk]),
        {"language": "en"},
        headers={"X-Request-ID": rid},
    )
    assert page.status == 302 and page.headers["X-Request-ID"] == rid
    report = Report.objects.get(assessment=assessment, language="en")

    def done():
        report.refresh_from_db()
        return report.status in (ReportStatus.READY, ReportStatus.FAILED)

    wait_for(done, timeout=90, what="the report", every=0.2)
    assert report.status == ReportStatus.READY, report.error

    def task_lines():
        return [
            line
            for line in json_lines(worker)
            if line.get("request_id") == rid and line.get("task_id") == report.task_id
        ]

    lines = wait_for(task_lines, timeout=10, what="the task's log lines with the request id")
    assert all(line["task_name"] == "reports.tasks.render_report_task" for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)

    # A generated id when the caller sent none, or sent something unsafe to log.
    for sent in (None, "bad id with spaces; and=more"):
        headers = {"X-Request-ID": sent} if sent else {}
        got = browser.get("/healthz", headers=headers).headers["X-Request-ID"]
        assert got and got != sent and len(got) == 32
