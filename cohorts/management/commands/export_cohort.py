from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cohorts import exports
from cohorts.models import Cohort
from reports.models import ReportLanguage


class Command(BaseCommand):
    help = "Export a cohort's results (one row per issuer, or every answer) as CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cohort", required=True, help="cohort slug, e.g. demo-2026")
        parser.add_argument("--format", dest="fmt", required=True, choices=exports.FORMATS)
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--kind", default="summary", choices=exports.KINDS)
        parser.add_argument("--lang", default="en", choices=ReportLanguage.values)

    def handle(
        self, *args: Any, cohort: str, fmt: str, out: str, kind: str, lang: str, **options: Any
    ) -> None:
        target = (
            Cohort.objects.select_related("framework")
            .defer("framework__content")
            .filter(slug=cohort)
            .first()
        )
        if target is None:
            raise CommandError(f"No cohort with slug {cohort!r}.")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        rows = exports.rows_for(kind, target, lang)
        try:
            if fmt == "csv":
                with path.open("w", encoding="utf-8", newline="") as handle:
                    exports.write_csv(rows, handle)
            else:
                exports.write_xlsx(rows, str(path), sheet=kind)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(f"Wrote {path}.")
