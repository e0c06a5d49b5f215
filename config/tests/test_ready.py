"""/healthz/ready (who may ask, what it checks), the request id and the JSON log lines.

The worker going away and coming back, with real processes: tests/faults/test_readiness.py.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from config import health
from core.requestid import RequestIdFilter, request_id_for

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def redis_broker():
    if not settings.CELERY_BROKER_URL:
        if IN_CI:
            pytest.fail("CI must provide Redis (CELERY_BROKER_URL)")
        pytest.skip("needs Redis: set CELERY_BROKER_URL")
    client = health._redis()
    client.delete(health.HEARTBEAT_KEY)
    yield client
    client.delete(health.HEARTBEAT_KEY)


@pytest.mark.django_db
def test_ready_without_a_heartbeat_is_unhealthy_and_says_which_part(redis_broker):
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["worker"] == {
        "status": "down",
        "error": "no heartbeat yet",
        "latency_ms": body["checks"]["worker"]["latency_ms"],
    }
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())


@pytest.mark.django_db
def test_ready_with_a_fresh_heartbeat_is_healthy_and_a_stale_one_is_not(redis_broker):
    health.heartbeat_write()
    response = Client().get("/healthz/ready")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["worker"]["heartbeat_age_s"] < 5

    redis_broker.set(health.HEARTBEAT_KEY, f"{time.time() - settings.HEARTBEAT_MAX_AGE - 5}")
    response = Client().get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["status"] == "down"


@pytest.mark.django_db
def test_the_heartbeat_task_writes_the_heartbeat(redis_broker):
    from config.celery import worker_heartbeat

    worker_heartbeat.apply()  # the task body, in this process
    assert Client().get("/healthz/ready").status_code == 200


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_ready_with_the_broker_down_is_unhealthy_within_seconds():
    started = time.monotonic()
    response = Client().get("/healthz/ready")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["status"] == "down" and checks["broker"]["error"]
    assert checks["worker"]["status"] == "down"
    assert checks["database"]["status"] == "ok"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="")
def test_ready_without_a_broker_runs_tasks_eagerly_and_is_healthy():
    response = Client().get("/healthz/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["status"] == "eager"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="", HEALTHZ_TOKEN="s3cret-probe-token")
@pytest.mark.parametrize(
    ("remote", "headers", "status"),
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("203.0.113.9", {}, 403),
        ("10.0.0.2", {}, 403),
        # A proxy on this host relays from loopback: not the operator's own request.
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 403),
        ("127.0.0.1", {"Forwarded": "for=203.0.113.9"}, 403),
        ("203.0.113.9", {"X-Healthz-Token": "s3cret-probe-token"}, 200),
        ("203.0.113.9", {"X-Healthz-Token": "wrong"}, 403),
        ("203.0.113.9", {"X-Healthz-Token": ""}, 403),
    ],
)
def test_ready_answers_loopback_or_the_token_only(remote, headers, status):
    response = Client(REMOTE_ADDR=remote).get("/healthz/ready", headers=headers)
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"error": "forbidden"}  # nothing about the services


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="", HEALTHZ_TOKEN="")
def test_without_a_token_configured_an_empty_token_opens_nothing():
    response = Client(REMOTE_ADDR="203.0.113.9").get(
        "/healthz/ready", headers={"X-Healthz-Token": ""}
    )
    assert response.status_code == 403


def test_ready_refuses_writes():
    assert Client().post("/healthz/ready").status_code == 405


# -- request id -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "incoming",
    [None, "", "short", "has space in it", "x" * 129, "semi;colon-123", "ünïcode-12345"],
)
def test_an_unusable_incoming_request_id_is_replaced(incoming):
    value = request_id_for(incoming)
    assert value != incoming and len(value) == 32 and value.isalnum()


@pytest.mark.parametrize("incoming", ["abcd1234", "0f8e-4a2b.c:d_e", "x" * 128])
def test_a_sane_incoming_request_id_is_kept(incoming):
    assert request_id_for(incoming) == incoming


@pytest.mark.django_db
def test_every_response_carries_its_request_id_and_the_log_lines_name_it():
    formatter_config = dict(settings.LOGGING["formatters"]["json"])
    formatter_class = formatter_config.pop("()")
    module, _, name = formatter_class.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client = Client()
        first = client.get("/no-such-page/", headers={"X-Request-ID": "from-the-proxy-1"})
        second = client.get("/no-such-page/")
    finally:
        logger.removeHandler(handler)
    assert first.status_code == 404 and first["X-Request-ID"] == "from-the-proxy-1"
    generated = second["X-Request-ID"]
    assert len(generated) == 32
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ["from-the-proxy-1", generated]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["time"].endswith("+00:00")  # ISO 8601, UTC


def test_production_logs_are_json_lines_and_text_is_an_option():
    import subprocess
    import sys

    code = (
        "from django.conf import settings; "
        "print(settings.LOGGING['handlers']['console']['formatter'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x"}
    for debug, fmt, expected in (
        ("false", "", "json"),
        ("true", "", "text"),
        ("false", "text", "text"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + code],
            env={**env, "DEBUG": debug, "LOG_FORMAT": fmt} if fmt else {**env, "DEBUG": debug},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip().splitlines()[-1] == expected
