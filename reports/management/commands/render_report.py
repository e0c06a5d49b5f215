from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Issuer, normalise_stock_code
from assessments.models import ScoreSnapshot
from reports.content import previous_snapshot
from reports.models import ReportLanguage
from reports.services import report_pdf, snapshot_load


class Command(BaseCommand):
    help = "Render the PDF report of an issuer's latest submitted assessment (synchronously)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--issuer", required=True, help="HKEX stock code, e.g. 700 or 00700")
        parser.add_argument("--lang", required=True, choices=ReportLanguage.values)
        parser.add_argument("--out", required=True, help="path of the PDF to write")

    def handle(self, *args: Any, issuer: str, lang: str, out: str, **options: Any) -> None:
        try:
            code = normalise_stock_code(issuer)
        except ValueError:
            raise CommandError(f"{issuer!r} is not a stock code (1 to 5 digits).") from None
        target = Issuer.objects.filter(stock_code=code).first()
        if target is None:
            raise CommandError(f"No issuer with stock code {code}.")
        current = (
            ScoreSnapshot.objects.filter(issuer=target, is_current=True)
            .values_list("pk", flat=True)
            .first()
        )
        if current is None:
            raise CommandError(f"Issuer {code} has no submitted assessment to report on.")
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        started = time.perf_counter()
        snapshot = snapshot_load(snapshot_id=current)
        # The operator's copy: compared with the issuer's previous assessment, as its own
        # staff see it.
        previous = previous_snapshot(snapshot.assessment, viewer=None)
        pdf = report_pdf(snapshot=snapshot, language=lang, compared_with=previous)
        try:
            path.write_bytes(pdf)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Wrote {path} ({len(pdf) / 1024:.0f} KiB) in {elapsed:.2f} s.")
