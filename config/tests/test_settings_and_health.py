from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


# The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployed
# process never has it (and `check --deploy` rightly refuses it).
NOT_IN_PRODUCTION = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_fresh(*argv: str, timeout: int = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """`python *argv` in a new process with the real settings and only `env` on top of a
    production-like environment (no DEBUG, no SECRET_KEY unless given)."""
    clean = {k: v for k, v in os.environ.items() if k not in NOT_IN_PRODUCTION}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_fresh("-c", "import django; django.setup()", timeout=60, **env)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    # An empty .env in a temporary copy would be overkill; the env wins over .env anyway.
    result = _import_settings({"DEBUG": "false", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_starts_without_a_secret_key():
    assert _import_settings({"DEBUG": "true", "SECRET_KEY": ""}).returncode == 0


# Imports the settings as a server with nothing configured would: no .env file is read
# (a developer's .env may say DEBUG=true), DEBUG and SECRET_KEY are not set at all.
_BARE_START = (
    "import environ; environ.Env.read_env = classmethod(lambda *a, **k: None); "
    "import django; django.setup()"
)


def test_a_server_with_nothing_configured_refuses_to_start():
    result = run_fresh("-c", _BARE_START)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_deployment_checks_pass_with_production_settings():
    """What `make check-deploy` (run by CI) runs: any warning fails."""
    result = run_fresh(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        timeout=120,
        DEBUG="false",
        ALLOWED_HOSTS="ai-readiness.example.org",
        SECRET_KEY=secrets.token_urlsafe(64),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_throttling_limits_come_from_the_environment():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.TRUSTED_PROXY_COUNT)"
    )
    result = run_fresh(
        "-c",
        script,
        DEBUG="true",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="30",
        TRUSTED_PROXY_COUNT="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "1800", "1"]


@pytest.mark.django_db
def test_healthz_reports_database_and_broker():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == ("ok" if settings.CELERY_BROKER_URL else "eager")


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_says_when_the_broker_is_down():
    response = Client().get("/healthz")
    assert response.status_code == 200  # the web tier still serves pages
    assert response.json()["broker"] == "down"


def test_ci_runs_against_the_real_services():
    """In CI the suite must use PostgreSQL and Redis, never silently fall back."""
    if not IN_CI:
        pytest.skip("outside CI the quick-start defaults (SQLite, eager Celery) are fine")
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    import redis

    assert redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=3).ping()
