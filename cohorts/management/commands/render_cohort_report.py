from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cohorts.index_report.content import IndexContent
from cohorts.index_report.services import index_report_css, index_report_html
from cohorts.models import Cohort
from reports.models import ReportLanguage
from reports.rendering import html_to_pdf


class Command(BaseCommand):
    help = (
        "Render a cohort's AI readiness index report (anonymised statistics of the "
        "membership, compared with the previous programme year) synchronously: PDF, or "
        "HTML when PATH ends in .html."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cohort", required=True, help="cohort slug, e.g. demo-2026")
        # Checked in handle() so that a wrong value gets one plain sentence.
        parser.add_argument("--lang", required=True, help="en or zh-hant")
        parser.add_argument("--out", required=True, help="file to write (.pdf or .html)")

    def handle(self, *args: Any, cohort: str, lang: str, out: str, **options: Any) -> None:
        if lang not in ReportLanguage.values:
            raise CommandError(f"--lang must be one of: {', '.join(ReportLanguage.values)}.")
        target = Cohort.objects.select_related("framework").filter(slug=cohort).first()
        if target is None:
            known = ", ".join(
                Cohort.objects.order_by("-year", "slug").values_list("slug", flat=True)[:10]
            )
            raise CommandError(
                f"No cohort with slug {cohort!r}." + (f" Known cohorts: {known}." if known else "")
            )
        path = Path(out)
        suffix = path.suffix.lower()
        if suffix not in (".pdf", ".html"):
            raise CommandError(f"--out must end in .pdf or .html, not {path.name!r}.")
        if path.is_dir():
            raise CommandError(f"{path} is a folder; give a file name.")
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        started = time.perf_counter()
        content = IndexContent.load(cohort=target)
        if suffix == ".html":
            data = index_report_html(content=content, language=lang).encode()
        else:
            html = index_report_html(content=content, language=lang, inline_css=False)
            data = html_to_pdf(html, css=index_report_css())
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}") from exc
        self.stdout.write(
            f"Wrote {path} ({len(data) / 1024:.0f} KB, {content.data.n} companies counted, "
            f"{time.perf_counter() - started:.1f} s)."
        )
