"""Data migrations carry existing rows over (run against the real schema history)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("assessments", "0005_answer_choice_given")]
AFTER = [("assessments", "0006_snapshot_shift_scores")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_shift_scores_are_backfilled_from_the_shift_components():
    old = _migrate(BEFORE)
    try:
        issuer = old.get_model("accounts", "Issuer").objects.create(
            stock_code="09999",
            name_en="Backfill Ltd",
            board="main",
            industry="financials",
        )
        framework = old.get_model("assessments", "FrameworkVersion").objects.create(
            version="test-0006", checksum="0" * 64, source_name="test", content={}
        )
        assessment = old.get_model("assessments", "Assessment").objects.create(
            issuer=issuer, framework=framework
        )
        snapshot = old.get_model("assessments", "ScoreSnapshot").objects.create(
            assessment=assessment,
            issuer=issuer,
            framework=framework,
            completeness=Decimal(100),
            result={},
        )
        component = old.get_model("assessments", "ScoreComponent")
        component.objects.bulk_create(
            [
                component(snapshot=snapshot, kind="shift", code="profit", score=Decimal("61.25")),
                component(snapshot=snapshot, kind="shift", code="growth", score=None),
                component(snapshot=snapshot, kind="dimension", code="p1", score=Decimal("10")),
            ]
        )
        new = _migrate(AFTER)
        migrated = new.get_model("assessments", "ScoreSnapshot").objects.get(pk=snapshot.pk)
        assert migrated.shift_scores == {"profit": 61.25, "growth": None}
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
