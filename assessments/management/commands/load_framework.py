from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.framework import FrameworkError
from assessments.services import FRAMEWORK_DIR, FrameworkConflict, framework_load


class Command(BaseCommand):
    help = (
        "Load framework content files (default: every assessments/frameworks/v*.yaml). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="framework YAML files to load")

    def handle(self, *args: Any, paths: list[str], **options: Any) -> None:
        files = [Path(p) for p in paths] or sorted(FRAMEWORK_DIR.glob("v*.yaml"))
        if not files:
            raise CommandError(f"No framework files found in {FRAMEWORK_DIR}.")
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
            try:
                version, created = framework_load(path=path)
            except (FrameworkError, FrameworkConflict) as exc:
                raise CommandError(str(exc)) from exc
            state = "loaded" if created else "already loaded, unchanged"
            self.stdout.write(f"{path.name}: version {version.version} {state}.")
