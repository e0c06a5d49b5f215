"""Probes: `/healthz` (liveness, cheap, public) and `/healthz/ready` (operator's readiness).

`/healthz` is what the container healthcheck and a load balancer call every few seconds:
one `SELECT 1` and a broker connection, 200 unless the database is down.

`/healthz/ready` answers the operator's question "is everything that does the work alive?":
the database, the broker and a worker, each with its latency in ms, 503 when any is not.
A worker is alive when the heartbeat task (`config.celery.worker_heartbeat`, sent by Celery
beat every HEARTBEAT_SECONDS) ran within HEARTBEAT_MAX_AGE seconds: the task goes through
the queue like any report, so a worker that is dead, stuck or not consuming stops writing
it. Only loopback callers that no proxy relayed, or callers with the HEALTHZ_TOKEN, may
ask: the answer tells an attacker which part is down.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEARTBEAT_KEY = "ai-readiness:worker-heartbeat"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down"; the probe must not raise
        return "down"
    return "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception:  # noqa: BLE001
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database()
    return JsonResponse(
        {"database": database, "broker": _broker()},
        status=200 if database == "ok" else 503,
    )


# -- readiness ---------------------------------------------------------------------------


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )


def heartbeat_write() -> None:
    """Called by the heartbeat task on a worker: now, as seen by that worker."""
    if settings.CELERY_BROKER_URL:
        _redis().set(HEARTBEAT_KEY, f"{time.time():.3f}", ex=24 * 3600)


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - a probe reports, never raises
        result = {"status": "down", "error": type(exc).__name__}
    result["latency_ms"] = round((time.perf_counter() - start) * 1000, 1)
    return result


def _ready_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "ok"}


def _ready_broker() -> dict[str, Any]:
    if not settings.CELERY_BROKER_URL:
        return {"status": "eager"}
    return {"status": "ok" if _redis().ping() else "down"}


def _ready_worker() -> dict[str, Any]:
    if not settings.CELERY_BROKER_URL:
        return {"status": "eager"}  # tasks run inside the web process
    raw = _redis().get(HEARTBEAT_KEY)
    if raw is None:
        return {"status": "down", "error": "no heartbeat yet"}
    age = max(0.0, time.time() - float(raw))
    fresh = age <= settings.HEARTBEAT_MAX_AGE
    return {"status": "ok" if fresh else "down", "heartbeat_age_s": round(age, 1)}


def _allowed(request: HttpRequest) -> bool:
    token = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token", "")
    if token and given and hmac.compare_digest(token.encode(), given.encode()):
        return True
    # A request relayed by a reverse proxy on this host arrives from loopback too: only a
    # direct one (no forwarding header) counts as the operator's own.
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    if not _allowed(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    checks = {
        "database": _timed(_ready_database),
        "broker": _timed(_ready_broker),
        "worker": _timed(_ready_worker),
    }
    healthy = all(c["status"] in ("ok", "eager") for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )
