from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.framework import FrameworkError, parse_framework
from assessments.models import FrameworkVersion, Item
from conftest import V1_PATH, write_framework

CJK = range(0x4E00, 0x9FFF + 1)


def test_v1_content_meets_the_brief(v1_content):
    fw = parse_framework(v1_content)
    assert [s.code for s in fw.shifts] == ["profit", "growth", "intangibles", "governance"]
    assert all(3 <= len(s.dimensions) <= 6 for s in fw.shifts)
    assert len(fw.items) >= 40
    kinds = {i.kind for i in fw.items.values()}
    assert kinds == {"maturity", "choice", "figure"}
    assert sorted(i.value_chain_stage for i in fw.items.values() if i.value_chain_stage) == sorted(
        [
            "rnd",
            "production",
            "supply_chain",
            "marketing",
            "service",
            "risk_control",
            "compliance",
            "finance",
        ]
    )
    for dim in fw.dimensions:
        assert set(dim.recommendations) == {1, 2, 3, 4, 5}
    # Chinese text really is Chinese (not an English copy) everywhere.
    for item in fw.items.values():
        assert any(ord(ch) in CJK for ch in item.text.zh), item.code
        for level in item.levels:
            assert any(ord(ch) in CJK for ch in level.zh), item.code


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["shifts"][0]["dimensions"][0]["items"][0]["levels"].pop(), "exactly 5 levels"),
        (lambda c: c["shifts"][0]["name"].pop("zh-hant"), "'en' and 'zh-hant'"),
        (lambda c: c["shifts"][0]["dimensions"][0].update(value_role="nope"), "value_role"),
        (
            lambda c: c["shifts"][1]["dimensions"][0]["items"].append(
                copy.deepcopy(c["shifts"][1]["dimensions"][0]["items"][0])
            ),
            "used twice",
        ),
        (
            lambda c: c["tier_rule"]["conditions"][2].update(dimension="profit.nothing"),
            "unknown dimension",
        ),
        (lambda c: c["scoring"]["levels"].reverse(), "levels 1..5"),
        (lambda c: c["shifts"][0]["dimensions"][0]["recommendations"].pop(3), "keys 1 to 5"),
    ],
)
def test_invalid_content_is_refused_with_its_location(v1_content, mutate, message):
    content = copy.deepcopy(v1_content)
    mutate(content)
    with pytest.raises(FrameworkError, match=message):
        parse_framework(content)


@pytest.mark.django_db
def test_load_framework_twice_changes_nothing():
    out = StringIO()
    call_command("load_framework", stdout=out)
    first = list(FrameworkVersion.objects.values_list("pk", "checksum"))
    items = Item.objects.count()
    call_command("load_framework", stdout=out)
    assert list(FrameworkVersion.objects.values_list("pk", "checksum")) == first
    assert Item.objects.count() == items
    assert "already loaded, unchanged" in out.getvalue()


@pytest.mark.django_db
def test_changed_file_under_a_loaded_version_is_refused_and_a_new_version_loads_beside(
    tmp_path, v1_content
):
    call_command("load_framework", stdout=StringIO())
    shipped = sorted(FrameworkVersion.objects.values_list("version", flat=True))
    assert shipped == ["2026.1", "2026.2", "2027.1"]  # every file in assessments/frameworks/
    changed = copy.deepcopy(v1_content)
    changed["shifts"][0]["weight"] = 2
    with pytest.raises(CommandError, match="already loaded with different content"):
        call_command("load_framework", str(write_framework(tmp_path, changed)), stdout=StringIO())
    assert FrameworkVersion.objects.count() == len(shipped)
    changed["version"] = "2099.1"
    call_command(
        "load_framework", str(write_framework(tmp_path, changed, "v9.yaml")), stdout=StringIO()
    )
    assert sorted(FrameworkVersion.objects.values_list("version", flat=True)) == [
        *shipped,
        "2099.1",
    ]


@pytest.mark.django_db
def test_load_framework_reports_bad_files_clearly(tmp_path):
    broken = tmp_path / "v5.yaml"
    broken.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot be read as YAML"):
        call_command("load_framework", str(broken), stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_framework", str(tmp_path / "missing.yaml"), stdout=StringIO())


@pytest.mark.django_db
def test_export_framework_json_shape():
    call_command("load_framework", str(V1_PATH), stdout=StringIO())
    out = StringIO()
    call_command("export_framework", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert len(data["shifts"]) == 4
    items = [i for s in data["shifts"] for d in s["dimensions"] for i in d["items"]]
    assert len(items) >= 40

    def bilingual(text):
        return isinstance(text, dict) and set(text) == {"en", "zh-hant"} and all(text.values())

    for shift in data["shifts"]:
        assert {"code", "name", "dimensions"} <= set(shift) and bilingual(shift["name"])
        for dim in shift["dimensions"]:
            assert {"code", "name", "items"} <= set(dim) and bilingual(dim["name"])
            for item in dim["items"]:
                assert {"code", "kind", "text"} <= set(item) and bilingual(item["text"])
                if item["kind"] == "maturity":
                    assert len(item["levels"]) == 5
                    assert all(bilingual(level) for level in item["levels"])
                    assert len({level["en"] for level in item["levels"]}) == 5


@pytest.mark.django_db
def test_export_framework_without_anything_loaded_says_so():
    with pytest.raises(CommandError, match="No framework is loaded"):
        call_command("export_framework", stdout=StringIO())
    with pytest.raises(CommandError, match="not loaded"):
        call_command("export_framework", "--framework-version", "1999", stdout=StringIO())
