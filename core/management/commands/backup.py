"""`manage.py backup [--dir DIR] [--keep N]`: one archive of the database and stored files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write one archive (pg_dump custom format + the stored report files + a manifest "
        "with checksums) into --dir (BACKUP_DIR, default ./backups); then deletes all but "
        "the --keep newest (BACKUP_KEEP, default 14; 0 keeps all)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            default=str(settings.BACKUP_DIR),
            help="folder for the archives (default: BACKUP_DIR, ./backups)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=settings.BACKUP_KEEP,
            help="then keep only the N newest archives (default: BACKUP_KEEP, 14; 0: all)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["keep"] < 0:
            raise CommandError("--keep must be 0 (keep all) or more.")
        try:
            archive = backup_create(directory=Path(options["dir"]), keep=options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = archive.stat().st_size
        self.stdout.write(f"Backup written: {archive} ({size / 1_048_576:.1f} MiB)")
