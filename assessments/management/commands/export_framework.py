from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.framework_export import framework_as_json
from assessments.models import FrameworkVersion
from assessments.selectors import framework_of


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
