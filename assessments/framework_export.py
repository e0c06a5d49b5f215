"""A framework version published whole, as plain JSON-ready data.

The shape is the framework file's own (frameworks/SCHEMA.md), so the export holds
everything the file holds: `parse_framework(framework_as_json(fw)) == fw` for every
shipped version (assessments/tests/test_framework_export.py proves it), and
`frameworks/export.schema.json` describes it for readers outside the app. Used by the
`export_framework` command and by every page or API that publishes a framework, so
there is one definition of what "the framework" is. Pure: no database, no HTTP.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from . import kinds
from .framework import (
    CrosswalkEntry,
    Framework,
    ItemDef,
    Named,
    Option,
    Reference,
    Text,
    TierCondition,
)

SCHEMA_PATH = Path(__file__).resolve().parent / "frameworks" / "export.schema.json"


def _t(text: Text | None) -> dict[str, str] | None:
    return text.as_dict() if text else None


def _named(named: Named) -> dict[str, Any]:
    out: dict[str, Any] = {"code": named.code, "name": _t(named.name)}
    if named.description:
        out["description"] = _t(named.description)
    return out


def _depth(option: Option) -> dict[str, Any]:
    out: dict[str, Any] = {"code": option.code, "score": option.score, "name": _t(option.label)}
    if option.description:
        out["description"] = _t(option.description)
    return out


def _item(item: ItemDef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": item.code,
        "kind": item.kind,
        "text": _t(item.text),
        "weight": item.weight,
        "mandatory": item.mandatory,
    }
    if item.help:
        out["help"] = _t(item.help)
    if item.not_applicable:
        out["not_applicable"] = True
    out.update(kinds.of(item).export(item))
    return out


def _crosswalk(entry: CrosswalkEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"ref": entry.ref}
    if entry.where:
        out["where"] = _t(entry.where)
    return out


def _reference(ref: Reference) -> dict[str, Any]:
    out: dict[str, Any] = {"code": ref.code, "kind": ref.kind, "name": _t(ref.name)}
    if ref.short:
        out["short"] = _t(ref.short)
    return out


def _condition(cond: TierCondition) -> dict[str, Any]:
    out: dict[str, Any] = {"code": cond.code, "kind": cond.kind, "text": _t(cond.text)}
    # Only the keys the condition's kind reads, so the file round-trips exactly.
    if cond.depth:
        out["depth"] = cond.depth
    if cond.min_count:
        out["min_count"] = cond.min_count
    if cond.kind == "dimension_min":
        out["dimension"] = cond.target
    elif cond.kind == "shift_min":
        out["shift"] = cond.target
    if cond.min_score:
        out["min_score"] = cond.min_score
    return out


def _scoring(fw: Framework) -> dict[str, Any]:
    out: dict[str, Any] = {"min_known_share": fw.min_known_share}
    if fw.scoring_rules >= 2:
        out.update(
            min_scored_share=fw.min_scored_share,
            provisional_below=fw.provisional_below,
            max_not_applicable_share=fw.max_not_applicable_share,
        )
    out["levels"] = [
        {
            "level": lv.level,
            "min_score": lv.min_score,
            "name": _t(lv.name),
            "description": _t(lv.description),
        }
        for lv in fw.levels
    ]
    return out


def _tier_rule(fw: Framework) -> dict[str, Any]:
    rule = fw.tier_rule
    out: dict[str, Any] = {
        "target": rule.target,
        "otherwise": rule.otherwise,
        "min_met": rule.min_met,
    }
    if rule.not_yet:
        out["not_yet"] = {"tier": rule.not_yet, "below_level": rule.not_yet_below_level}
    out["conditions"] = [_condition(c) for c in rule.conditions]
    return out


def framework_as_json(fw: Framework) -> dict[str, Any]:
    """Everything the framework holds, in the framework file's shape (JSON-ready)."""
    return {
        "version": fw.version,
        "scoring_rules": fw.scoring_rules,
        "name": _t(fw.name),
        "scoring": _scoring(fw),
        "value_roles": [_named(r) for r in fw.value_roles],
        "value_chain": {
            "stages": [_named(s) for s in fw.stages],
            "depths": [_depth(d) for d in fw.depths],
        },
        "tiers": [_named(t) for t in fw.tiers],
        **({"references": [_reference(r) for r in fw.references]} if fw.references else {}),
        "tier_rule": _tier_rule(fw),
        "shifts": [
            {
                "code": s.code,
                "weight": s.weight,
                "name": _t(s.name),
                "purpose": _t(s.purpose),
                "dimensions": [
                    {
                        "code": d.code,
                        "weight": d.weight,
                        "value_role": d.value_role,
                        "name": _t(d.name),
                        "description": _t(d.description),
                        **(
                            {"carried_from": list(d.carried_from)}
                            if d.carried_from is not None
                            else {}
                        ),
                        **(
                            {"crosswalk": [_crosswalk(c) for c in d.crosswalk]}
                            if d.crosswalk
                            else {}
                        ),
                        "recommendations": {
                            str(level): _t(text)
                            for level, text in sorted(d.recommendations.items())
                        },
                        "items": [_item(i) for i in d.items],
                    }
                    for d in s.dimensions
                ],
            }
            for s in fw.shifts
        ],
    }


@cache
def export_schema() -> dict[str, Any]:
    """The JSON Schema of `framework_as_json`'s output (frameworks/export.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
