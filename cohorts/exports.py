"""Cohort results as CSV or XLSX, row by row, never the whole export in memory.

Two shapes: `summary` (one row per issuer: profile, status and scores) and `answers`
(the long format: one row per answer). Any text cell that a spreadsheet would read as a
formula (=, +, -, @, tab, CR, LF at the start) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from assessments import access, kinds
from assessments.models import Answer, Assessment, ScoreComponent, ScoreSnapshot
from assessments.selectors import framework_of

from . import xlsx
from .models import Cohort

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
KINDS = ("summary", "answers")
FORMATS = ("csv", "xlsx")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return neutralise(value)


def summary_rows(cohort: Cohort, language: str) -> Iterator[list[Any]]:
    """Header, then one row per issuer enrolled in the cohort (its latest scores)."""
    with translation.override(language):
        fw = framework_of(cohort.framework)
        shifts = [s.code for s in fw.shifts]
        yield [
            _("HKEX stock code"),
            _("name (English)"),
            _("name (Chinese)"),
            _("board"),
            _("industry"),
            _("market capitalisation"),
            _("annual revenue"),
            _("employees"),
            _("Status"),
            _("Submitted"),
            _("Overall score"),
            _("Maturity level"),
            _("Path"),
            _("Completeness"),
            *[s.name.get(language) for s in fw.shifts],
        ]
        latest = ScoreSnapshot.objects.filter(assessment=OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        assessments = (
            Assessment.objects.filter(cohort=cohort)
            .select_related("issuer")
            .annotate(snapshot_id=Subquery(latest.values("pk")[:1]))
            .order_by("issuer__stock_code")
        )
        snapshot_ids = [a.snapshot_id for a in assessments if a.snapshot_id]
        snapshots = {
            s.pk: s
            for s in ScoreSnapshot.objects.filter(pk__in=snapshot_ids).only(
                "pk", "overall_score", "maturity_level", "tier", "completeness"
            )
        }
        shift_scores: dict[int, dict[str, Any]] = {}
        for snapshot_id, code, score in ScoreComponent.objects.filter(
            snapshot_id__in=snapshot_ids, kind=ScoreComponent.Kind.SHIFT
        ).values_list("snapshot_id", "code", "score"):
            shift_scores.setdefault(snapshot_id, {})[code] = score
        tiers = {t.code: t.name.get(language) for t in fw.tiers}
        for a in assessments:
            issuer = a.issuer
            snap = snapshots.get(a.snapshot_id)
            scores = shift_scores.get(a.snapshot_id, {})
            yield [
                _cell(v)
                for v in (
                    issuer.stock_code,
                    issuer.name_en,
                    issuer.name_zh,
                    issuer.get_board_display(),
                    issuer.get_industry_display(),
                    issuer.get_market_cap_band_display(),
                    issuer.get_revenue_band_display(),
                    issuer.get_employee_band_display(),
                    a.get_status_display(),
                    a.submitted_at,
                    snap.overall_score if snap else None,
                    snap.maturity_level if snap else None,
                    tiers.get(snap.tier, "") if snap else "",
                    snap.completeness if snap else None,
                    *[scores.get(code) for code in shifts],
                )
            ]


def answer_rows(cohort: Cohort, language: str) -> Iterator[list[Any]]:
    """Header, then every answer of every assessment in the cohort (long format).

    One column per Answer value column an item kind stores answers in (kinds.py)."""
    columns = kinds.value_columns()
    with translation.override(language):
        yield [
            _("HKEX stock code"),
            _("name (English)"),
            _("Status"),
            _("Question"),
            _("Shift"),
            _("Dimension"),
            *[str(label) for _name, label in columns],
            _("Don't know"),
            _("Not applicable"),
            _("Evidence note"),
            _("Confidence"),
            _("Last changed"),
        ]
        rows = (
            Answer.objects.filter(assessment__cohort=cohort)
            .order_by("assessment__issuer__stock_code", "item__position")
            .values_list(
                "assessment__issuer__stock_code",
                "assessment__issuer__name_en",
                "assessment__status",
                "item__code",
                "item__shift_code",
                "item__dimension_code",
                *[name for name, _label in columns],
                "dont_know",
                "not_applicable",
                "note",
                "confidence",
                "updated_at",
            )
        )
        for row in rows.iterator(chunk_size=2000):
            yield [_cell(v) for v in row]


def rows_for(kind: str, cohort: Cohort, language: str) -> Iterator[list[Any]]:
    if kind == "answers":
        return answer_rows(cohort, language)
    return summary_rows(cohort, language)


def export_rows(*, user: User, cohort: Cohort, kind: str, language: str) -> Iterator[list[Any]]:
    """`rows_for` on a person's behalf: the access policy is asked again here (the
    `export_cohort` command acts as the operator and calls `rows_for`)."""
    if not access.can_export(user=user, cohort=cohort):
        raise PermissionDenied
    return rows_for(kind, cohort, language)


class _Line:
    """A write-only file for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield "\ufeff"  # so Excel opens UTF-8 (Chinese names) correctly
    for row in rows:
        yield writer.writerow(["" if v is None else v for v in row])


def write_csv(rows: Iterable[list[Any]], handle: IO[str]) -> None:
    for chunk in csv_stream(rows):
        handle.write(chunk)


def write_xlsx(rows: Iterable[list[Any]], path: str, sheet: str) -> None:
    """A one-sheet workbook, header row in bold, streamed: each row is compressed into the
    file as it is written (cohorts.xlsx; text stays text, never a formula)."""
    xlsx.write_workbook(path, rows, sheet)


def xlsx_tempfile(rows: Iterable[list[Any]], sheet: str) -> IO[bytes]:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open, closed by the response
    write_xlsx(rows, handle.name, sheet)
    handle.seek(0)
    return handle
