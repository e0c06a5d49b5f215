"""The framework published whole: the export holds everything the file holds, and its
JSON Schema (frameworks/export.schema.json) describes it."""

from __future__ import annotations

import copy
import json
from io import StringIO

import jsonschema
import pytest
import yaml
from django.core.management import call_command

from assessments.framework import parse_framework
from assessments.framework_export import export_schema, framework_as_json
from assessments.services import FRAMEWORK_DIR

SHIPPED = sorted(FRAMEWORK_DIR.glob("v*.yaml"))


def _validator() -> jsonschema.protocols.Validator:
    schema = export_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.name)
def shipped(request):
    return parse_framework(yaml.safe_load(request.param.read_text(encoding="utf-8")))


def test_every_shipped_version_is_shipped():
    assert {p.name for p in SHIPPED} >= {"v1.yaml", "v2.yaml"}


def test_the_export_round_trips_to_the_same_framework(shipped):
    """Everything the file holds is in the export: parsing the export gives back an equal
    framework (every level, tier, rule, role, depth and recommendation)."""
    exported = json.loads(json.dumps(framework_as_json(shipped), ensure_ascii=False))
    again = parse_framework(exported)
    assert again == shipped
    assert again.items == shipped.items


def test_the_export_is_valid_against_its_schema(shipped):
    errors = list(_validator().iter_errors(framework_as_json(shipped)))
    assert errors == []


def test_the_export_names_what_the_old_export_left_out(shipped):
    data = framework_as_json(shipped)
    assert len(data["tiers"]) >= 2 and data["tier_rule"]["conditions"]
    assert {r["code"] for r in data["value_roles"]} == {"creation", "realisation", "maintenance"}
    assert all("description" in level for level in data["scoring"]["levels"])
    assert data["value_chain"]["depths"][0]["code"] == "none"
    dims = [d for s in data["shifts"] for d in s["dimensions"]]
    assert all(set(d["recommendations"]) == {"1", "2", "3", "4", "5"} for d in dims)


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda d: d.pop("tier_rule"), "tier_rule"),
        (lambda d: d["shifts"][0].update(colour="red"), "colour"),
        (lambda d: d["value_roles"][0]["name"].pop("zh-hant"), "zh-hant"),
        (lambda d: d["shifts"][0]["dimensions"][0]["recommendations"].pop("3"), "'3'"),
        (lambda d: d["scoring"]["levels"][0].update(min_score=101), "101"),
    ],
)
def test_the_schema_refuses_an_incomplete_or_unknown_export(mutate, where):
    data = copy.deepcopy(
        framework_as_json(parse_framework(yaml.safe_load(SHIPPED[-1].read_text())))
    )
    mutate(data)
    errors = [e.message for e in _validator().iter_errors(data)]
    assert errors and any(where in message for message in errors), errors


@pytest.mark.django_db
def test_export_framework_command_prints_the_whole_version_valid_against_the_schema():
    call_command("load_framework", stdout=StringIO())
    for path in SHIPPED:
        fw = parse_framework(yaml.safe_load(path.read_text(encoding="utf-8")))
        out = StringIO()
        call_command(
            "export_framework", "--format", "json", "--framework-version", fw.version, stdout=out
        )
        data = json.loads(out.getvalue())
        assert list(_validator().iter_errors(data)) == []
        assert parse_framework(data) == fw
