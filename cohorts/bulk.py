"""Reports for a whole cohort: one request per submitted assessment, a progress summary,
and a ZIP of the finished PDFs written to a temporary file and streamed from there."""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, Subquery

from accounts.models import User
from assessments import access
from assessments.models import Assessment, ScoreSnapshot
from reports import services as report_services
from reports.content import previous_snapshot_ref
from reports.models import Report, ReportLanguage, ReportStatus

from .models import Cohort


def _latest_snapshot_ids(cohort: Cohort) -> Subquery:
    newest = ScoreSnapshot.objects.filter(assessment=OuterRef("assessment")).order_by(
        "-created_at", "-pk"
    )
    return Subquery(newest.values("pk")[:1])


def cohort_reports_request(
    *, cohort: Cohort, language: str, user: User, retry_failed: bool = False
) -> int:
    """Ask for every submitted assessment's report; returns how many were (re)queued."""
    if not access.can_request_cohort_reports(user=user, cohort=cohort):
        raise PermissionDenied
    queued = 0
    assessments = (
        Assessment.objects.enrolled()
        .filter(cohort=cohort, submitted_at__isnull=False)
        .select_related("issuer", "cohort")
    )
    for assessment in assessments:
        report = report_services.report_request(
            assessment=assessment, language=language, user=user, force=False
        )
        if retry_failed and report.status == ReportStatus.FAILED:
            report_services.report_request(
                assessment=assessment, language=language, user=user, force=True
            )
            queued += 1
        elif report.status == ReportStatus.QUEUED:
            queued += 1
    return queued


# Failures listed on the page (a mail server down can fail a whole cohort); the count and
# "Retry failed" always cover all of them.
FAILURES_LISTED = 200


@dataclass
class Progress:
    total: int
    by_status: dict[str, int]
    failures: list[Report]

    @property
    def ready(self) -> int:
        return self.by_status.get(ReportStatus.READY, 0)

    @property
    def failed(self) -> int:
        """Every failed report; `failures` lists only the first FAILURES_LISTED."""
        return self.by_status.get(ReportStatus.FAILED, 0)

    @property
    def failures_cut(self) -> bool:
        return self.failed > len(self.failures)

    @property
    def pending(self) -> int:
        return self.by_status.get(ReportStatus.QUEUED, 0) + self.by_status.get(
            ReportStatus.RENDERING, 0
        )


def _reports(cohort: Cohort, language: str, user: User):  # type: ignore[no-untyped-def]
    """Each latest snapshot's report for `user`: the one comparing with the previous
    assessment they may see (the one `cohort_reports_request` asked for them)."""
    return (
        Report.objects.filter(
            assessment__cohort=cohort,
            assessment__withdrawn_at=None,
            language=language,
            snapshot_id=_latest_snapshot_ids(cohort),
        )
        .annotate(expected=previous_snapshot_ref(viewer=user))
        .filter(
            Q(compared_with_id=F("expected")) | Q(compared_with__isnull=True, expected__isnull=True)
        )
    )


def cohort_reports_progress(*, cohort: Cohort, language: str, user: User) -> Progress:
    total = Assessment.objects.enrolled().filter(cohort=cohort, submitted_at__isnull=False).count()
    by_status = dict(
        _reports(cohort, language, user)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    failures = list(
        _reports(cohort, language, user)
        .filter(status=ReportStatus.FAILED)
        .select_related("assessment__issuer")
        .order_by("assessment__issuer__stock_code")[:FAILURES_LISTED]
    )
    return Progress(total=total, by_status=by_status, failures=failures)


# Characters Windows refuses in a file name, every control character (C0, DEL, C1) and
# the invisible format characters that can make a name read otherwise than it is (bidi
# overrides: "Ab\u202efdp.exe" shows as "Abexe.pdf"; zero-width characters; BOM).
_NOT_IN_FILE_NAME = re.compile(
    '[/\\\\:*?"<>|\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff]'
)
# The company name's share of an entry name, in UTF-8 bytes: macOS and Linux allow 255
# bytes a name; a long Chinese name (3 bytes a character) is cut well before that.
MAX_NAME_BYTES = 150


def _cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def zip_entry_name(*, stock_code: str, name: str, language: str) -> str:
    """`<code> <company name> (<language>).pdf`, e.g. "00700 Harbour Precision Holdings
    Ltd (English).pdf", safe to unzip on Windows and macOS: no character either refuses,
    no control characters, whitespace runs as one space, no trailing dot or space before
    the suffix, the name cut to MAX_NAME_BYTES."""
    name = " ".join(_NOT_IN_FILE_NAME.sub(" ", name).split())
    name = _cut(name, MAX_NAME_BYTES).rstrip(". ")
    code = _NOT_IN_FILE_NAME.sub("", stock_code)
    label = ReportLanguage(language).label
    return f"{code} {name} ({label}).pdf" if name else f"{code} ({label}).pdf"


def _unique(name: str, taken: set[str]) -> str:
    """`name`, or "<stem> (2).pdf", "(3)"... if an entry already has it (compared
    without case, as Windows and macOS compare file names)."""
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{suffix}"
    taken.add(candidate.casefold())
    return candidate


def cohort_reports_zip(*, cohort: Cohort, language: str, user: User) -> IO[bytes]:
    """A ZIP of the ready PDFs, built on disk (never all PDFs in memory at once), one
    entry per issuer named by zip_entry_name in the reports' language. zipfile marks a
    name that is not ASCII as UTF-8 (general purpose flag bit 11), so Chinese names
    unzip as they are."""
    if not access.can_download_cohort_reports(user=user, cohort=cohort):
        raise PermissionDenied
    chinese = language.startswith("zh")
    taken: set[str] = set()
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the response
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        for report in (
            _reports(cohort, language, user)
            .filter(status=ReportStatus.READY)
            .select_related("assessment__issuer")
            .order_by("assessment__issuer__stock_code")
            .iterator(chunk_size=200)
        ):
            issuer = report.assessment.issuer
            entry_name = zip_entry_name(
                stock_code=issuer.stock_code,
                name=(issuer.name_zh or issuer.name_en) if chinese else issuer.name_en,
                language=language,
            )
            with (
                report.file.open("rb") as pdf,
                archive.open(_unique(entry_name, taken), "w") as entry,
            ):
                for chunk in iter(lambda: pdf.read(1 << 16), b""):
                    entry.write(chunk)
    handle.seek(0)
    return handle
