from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments import kinds
from assessments.framework import Framework, ItemDef, Text
from assessments.models import FrameworkVersion
from assessments.selectors import framework_of


def _t(text: Text | None) -> dict[str, str] | None:
    return text.as_dict() if text else None


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
    out.update(kinds.of(item).export(item))
    return out


def framework_as_json(fw: Framework) -> dict[str, Any]:
    return {
        "version": fw.version,
        "name": _t(fw.name),
        "levels": [
            {"level": lv.level, "min_score": lv.min_score, "name": _t(lv.name)} for lv in fw.levels
        ],
        "shifts": [
            {
                "code": s.code,
                "name": _t(s.name),
                "purpose": _t(s.purpose),
                "weight": s.weight,
                "dimensions": [
                    {
                        "code": d.code,
                        "name": _t(d.name),
                        "description": _t(d.description),
                        "weight": d.weight,
                        "value_role": d.value_role,
                        "items": [_item(i) for i in d.items],
                    }
                    for d in s.dimensions
                ],
            }
            for s in fw.shifts
        ],
    }


class Command(BaseCommand):
    help = "Print a loaded framework version to stdout (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json"], default="json")
        parser.add_argument(
            "--framework-version", dest="fw_version", help="framework version (default: latest)"
        )

    def handle(self, *args: Any, fw_version: str | None, **options: Any) -> None:
        qs = FrameworkVersion.objects.defer("content").order_by("-loaded_at", "-pk")
        row = qs.filter(version=fw_version).first() if fw_version else qs.first()
        if row is None:
            raise CommandError(
                f"Framework version {fw_version!r} is not loaded."
                if fw_version
                else "No framework is loaded; run `manage.py load_framework` first."
            )
        self.stdout.write(
            json.dumps(framework_as_json(framework_of(row)), ensure_ascii=False, indent=2)
        )
