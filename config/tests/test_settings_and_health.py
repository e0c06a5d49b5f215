from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    # An empty .env in a temporary copy would be overkill; the env wins over .env anyway.
    result = _import_settings({"DEBUG": "false", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_development_starts_without_a_secret_key():
    assert _import_settings({"DEBUG": "true", "SECRET_KEY": ""}).returncode == 0


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
