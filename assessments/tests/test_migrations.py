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


def _dimension(code, shift, items):
    return {
        "code": code,
        "shift": shift,
        "score": None,
        "level": None,
        "known_share": 0.0,
        "next_level_at": None,
        "contributions": [
            {"code": f"{code}.{n}", "score": score, "weight": 1.0, "answer": answer}
            for n, (score, answer) in enumerate(items)
        ],
    }


def _result(known_per_dimension):
    """Two shifts of weight 1, each with two dimensions of weight 1 and two items."""
    dims = [
        _dimension(f"s{s}.d{d}", f"s{s}", known_per_dimension[s * 2 + d])
        for s in range(2)
        for d in range(2)
    ]
    return {
        "overall_contributions": [
            {"code": "s0", "score": None, "weight": 1.0, "answer": ""},
            {"code": "s1", "score": None, "weight": 1.0, "answer": ""},
        ],
        "shifts": [
            {
                "code": f"s{s}",
                "contributions": [
                    {"code": f"s{s}.d{d}", "score": None, "weight": 1.0, "answer": ""}
                    for d in range(2)
                ],
            }
            for s in range(2)
        ],
        "dimensions": dims,
    }


KNOWN = [(50.0, "3"), (75.0, "4")]
UNKNOWN = [(None, "dont_know"), (None, "")]


@pytest.mark.django_db(transaction=True)
def test_stored_snapshots_are_labelled_provisional_from_their_own_result():
    """Snapshots stored before the flag: 3 of 4 equal dimensions known is 75 % (stands);
    half known is provisional. Their scores are not touched."""
    old = _migrate([("assessments", "0007_snapshot_peer_groups")])
    try:
        issuer = old.get_model("accounts", "Issuer").objects.create(
            stock_code="09998", name_en="Backfill Ltd", board="main", industry="financials"
        )
        framework = old.get_model("assessments", "FrameworkVersion").objects.create(
            version="test-0008", checksum="0" * 64, source_name="test", content={}
        )
        snapshot_model = old.get_model("assessments", "ScoreSnapshot")
        made = {}
        for name, dims in {
            "stands": [KNOWN, KNOWN, KNOWN, UNKNOWN],
            "provisional": [KNOWN, UNKNOWN, KNOWN, UNKNOWN],
            "empty": None,
        }.items():
            assessment = old.get_model("assessments", "Assessment").objects.create(
                issuer=issuer, framework=framework
            )
            made[name] = snapshot_model.objects.create(
                assessment=assessment,
                issuer=issuer,
                framework=framework,
                completeness=Decimal(50),
                overall_score=Decimal("62.5"),
                result=_result(dims) if dims else {},
            ).pk
        new = _migrate([("assessments", "0009_answer_not_applicable_snapshot_provisional")])
        migrated = new.get_model("assessments", "ScoreSnapshot").objects
        assert not migrated.get(pk=made["stands"]).provisional
        assert migrated.get(pk=made["provisional"]).provisional
        assert not migrated.get(pk=made["empty"]).provisional
        assert migrated.get(pk=made["provisional"]).overall_score == Decimal("62.5")
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_releases_holding_a_provisional_result_stop_being_the_latest():
    old = _migrate(
        [
            ("assessments", "0009_answer_not_applicable_snapshot_provisional"),
            ("reports", "0004_release_kpis"),
        ]
    )
    try:
        issuer = old.get_model("accounts", "Issuer").objects.create(
            stock_code="09997", name_en="Release Ltd", board="main", industry="financials"
        )
        framework = old.get_model("assessments", "FrameworkVersion").objects.create(
            version="test-r0003", checksum="0" * 64, source_name="test", content={}
        )
        assessment = old.get_model("assessments", "Assessment").objects.create(
            issuer=issuer, framework=framework
        )
        snapshots = old.get_model("assessments", "ScoreSnapshot").objects
        counted, provisional = (
            snapshots.create(
                assessment=assessment,
                issuer=issuer,
                framework=framework,
                completeness=Decimal(100),
                result={},
                provisional=flag,
            )
            for flag in (False, True)
        )
        releases = old.get_model("reports", "PeerRelease").objects
        clean = releases.create(
            framework=framework, kind="industry", value="a", members={"1": counted.pk}
        )
        holding = releases.create(
            framework=framework, kind="industry", value="b", members={"2": provisional.pk}
        )
        new = _migrate([("reports", "0005_releases_without_provisional")])
        migrated = new.get_model("reports", "PeerRelease").objects
        assert migrated.get(pk=clean.pk).is_latest
        assert not migrated.get(pk=holding.pk).is_latest
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
