from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import translation

from assessments.services import FRAMEWORK_DIR, framework_load

V1_PATH = FRAMEWORK_DIR / "v1.yaml"
V2_PATH = FRAMEWORK_DIR / "v2.yaml"  # v1's content under scoring rules 2


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rolled-back rows can come back with the same ids (SQLite reuses them), so a value
    cached by one test must never answer another."""
    from django.core.cache import cache

    from reports.releases import release_cache_clear

    cache.clear()
    release_cache_clear()
    yield
    cache.clear()
    release_cache_clear()
    # A test's last request leaves its language active in this thread; the next test
    # must start in the default language, whatever ran before it.
    translation.deactivate()


@pytest.fixture(scope="session")
def v1_content() -> dict[str, Any]:
    return yaml.safe_load(V1_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def v2_content() -> dict[str, Any]:
    return yaml.safe_load(V2_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def framework(db):
    version, _ = framework_load(path=V1_PATH)
    return version


@pytest.fixture
def framework_v2(db):
    version, _ = framework_load(path=V2_PATH)
    return version


def write_framework(tmp_path: Path, content: dict[str, Any], name: str = "v9.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def big_framework(db, tmp_path, v1_content):
    """v1 with every maturity item repeated three times: same shape, 3x the items."""
    content = copy.deepcopy(v1_content)
    content["version"] = "test-big"
    for shift in content["shifts"]:
        for dim in shift["dimensions"]:
            extra = []
            for item in dim["items"]:
                if item["kind"] == "maturity":
                    for n in (2, 3):
                        clone = copy.deepcopy(item)
                        clone["code"] = f"{item['code']}_x{n}"
                        extra.append(clone)
            dim["items"].extend(extra)
    version, _ = framework_load(path=write_framework(tmp_path, content))
    return version


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager():
    """Run tasks inline (the quick-start mode) even when CI points Celery at Redis."""
    from config.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def oncommit(django_capture_on_commit_callbacks):
    """Run transaction.on_commit callbacks (tests run inside a never-committed transaction)."""
    return django_capture_on_commit_callbacks
