"""`manage.py restore FILE`: an archive of `backup` into an empty database and storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an EMPTY database and an empty "
        "MEDIA_ROOT, after checking every checksum; refuses anything else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the archive (ai-readiness-<time>.tar)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup_restore(archive=Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = restored.manifest
        self.stdout.write(
            f"Restored {restored.tables} tables and {restored.files} files from the backup of "
            f"{manifest['created_at']} (application version {manifest['app_version']}). "
            "Run `manage.py migrate` if this version of the application is newer."
        )
