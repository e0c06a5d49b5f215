"""The security tests' world, built once per test module.

Building it (framework, submitted assessments, a real PDF) costs a few seconds, so it is
created inside one module-wide transaction that is rolled back afterwards; each test runs
in its own savepoint on top of it (pytest-django's `db`), and `rolled_back()` gives single
requests the same isolation inside one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from .world import World, build_world


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Path]:
    """One transaction for the whole module (rolled back at its end) and its own MEDIA_ROOT."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        try:
            yield media
        finally:
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def world(module_db) -> World:
    return build_world(module_db)
