"""Cohort results as CSV or XLSX, row by row, never the whole export in memory.

Two shapes: `summary` (one row per issuer: profile, contact and invitation, progress,
deadline, status and scores: the list the association follows up from) and `answers`
(the long format: one row per answer). Everything a person reads is in the export's
language (`lang`): headers, statuses, boards, industries, questions, shifts, choices,
Yes / No; the stock code and the question's code stay as the keys analysts join on.

The row builders yield typed values: text, numbers, `date`, aware `datetime` (None for
nothing). Each format writes them its own way:
* CSV has no cell types, so a spreadsheet opening it runs any text that starts like a
  formula (=, +, -, @, tab, CR, LF): such text gets an apostrophe in front (OWASP's
  advice against CSV injection). Dates are ISO 8601, date-times in Hong Kong time with
  their offset (2026-05-04T22:46:59+08:00).
* XLSX text cells are text whatever they start with, so they are written as they are
  ("=Harbour" reads "=Harbour"); dates and date-times are date cells in Hong Kong local
  time (Excel has no time zones).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import Contact, issuer_contacts
from assessments import access, kinds
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    Confidence,
    ScoreComponent,
    ScoreSnapshot,
)
from assessments.presenters import answer_text
from assessments.selectors import answered_q, framework_of

from . import xlsx
from .models import Cohort

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
KINDS = ("summary", "answers")
FORMATS = ("csv", "xlsx")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, with an apostrophe in front (CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_other(value: Any, tz: tzinfo) -> Any:
    """A CSV cell for anything but text (text is neutralised inline, see csv_stream)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def _yes_no(flag: bool) -> str:
    return _("Yes") if flag else _("No")


def _lead(contacts: list[Contact]) -> Contact | None:
    """The contact the association follows up with: the (first) lead, else whoever
    acts for the issuer (contacts come leads first)."""
    return contacts[0] if contacts else None


def summary_rows(cohort: Cohort, language: str) -> Iterator[list[Any]]:
    """Header, then one row per issuer enrolled in the cohort (its latest scores).

    A constant number of queries whatever the cohort's size: the assessments, their
    latest snapshots, those snapshots' shift scores, the answered counts and the
    contacts (accounts.selectors.issuer_contacts)."""
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
            _("Contact"),
            _("Contact's e-mail"),
            _("Invitation status"),
            _("Last login"),
            _("Status"),
            _("Answered"),
            _("Questions"),
            _("Deadline"),
            _("Extended until"),
            _("Submitted"),
            _("Overall score"),
            _("Provisional"),
            _("Maturity level"),
            _("Path"),
            _("Completeness"),
            *[s.name.get(language) for s in fw.shifts],
        ]
        latest = ScoreSnapshot.objects.filter(assessment=OuterRef("pk")).order_by(
            "-created_at", "-pk"
        )
        assessments = list(
            Assessment.objects.enrolled()
            .filter(cohort=cohort)
            .select_related("issuer")
            .annotate(snapshot_id=Subquery(latest.values("pk")[:1]))
            .order_by("issuer__stock_code")
        )
        snapshot_ids = [a.snapshot_id for a in assessments if a.snapshot_id]
        snapshots = {
            s.pk: s
            for s in ScoreSnapshot.objects.filter(pk__in=snapshot_ids).only(
                "pk", "overall_score", "maturity_level", "tier", "completeness", "provisional"
            )
        }
        shift_scores: dict[int, dict[str, Any]] = {}
        for snapshot_id, code, score in ScoreComponent.objects.filter(
            snapshot_id__in=snapshot_ids, kind=ScoreComponent.Kind.SHIFT
        ).values_list("snapshot_id", "code", "score"):
            shift_scores.setdefault(snapshot_id, {})[code] = score
        progress = {
            pk: (answered, total)
            for pk, answered, total in Answer.objects.filter(assessment__cohort=cohort)
            .values("assessment_id")
            .annotate(answered=Count("pk", filter=answered_q()), total=Count("pk"))
            .values_list("assessment_id", "answered", "total")
        }
        contacts = issuer_contacts(issuer_ids={a.issuer_id for a in assessments})
        tiers = {t.code: t.name.get(language) for t in fw.tiers}
        for a in assessments:
            a.cohort = cohort  # for a.deadline, without a query per row
            issuer = a.issuer
            snap = snapshots.get(a.snapshot_id)
            scores = shift_scores.get(a.snapshot_id, {})
            people = contacts.get(issuer.pk, [])
            lead = _lead(people)
            # Anyone's login shows the issuer has started, as on the dashboard.
            logins = [c.last_login for c in people if c.last_login is not None]
            answered, total = progress.get(a.pk, (0, 0))
            yield [
                issuer.stock_code,
                issuer.name_en,
                issuer.name_zh,
                issuer.get_board_display(),
                issuer.get_industry_display(),
                issuer.get_market_cap_band_display(),
                issuer.get_revenue_band_display(),
                issuer.get_employee_band_display(),
                lead.full_name if lead else "",
                lead.email if lead else "",
                lead.status_label if lead else "",
                max(logins, default=None),
                a.get_status_display(),
                answered,
                total,
                a.deadline,
                a.extended_until,
                a.submitted_at,
                snap.overall_score if snap else None,
                _yes_no(snap.provisional) if snap else "",
                snap.maturity_level if snap else None,
                tiers.get(snap.tier, "") if snap else "",
                snap.completeness if snap else None,
                *[scores.get(code) for code in shifts],
            ]


class _Stored:
    """One answer row's stored value, as kinds.StoredValue (reused row after row)."""

    __slots__ = ("choice", "dont_know", "level", "not_applicable", "number")

    def __init__(self) -> None:
        self.level: int | None = None
        self.choice = ""
        self.number: Decimal | None = None
        self.dont_know = False
        self.not_applicable = False


def answer_rows(cohort: Cohort, language: str) -> Iterator[list[Any]]:
    """Header, then every answer of every assessment in the cohort (long format), in
    one query read in chunks.

    The question's code stays beside its text: texts are long, can be reworded in a new
    framework version and differ by language, while the code is what analysts pivot and
    join on (and what `export_framework` lists). The answer in words ("Answer", as the
    review page words it: the level's text, the choice's label, the figure with its unit,
    "Don't know"...) comes first; then, for analysis, one column per Answer value column
    an item kind stores answers in (kinds.py), as stored."""
    columns = kinds.value_columns()
    with translation.override(language):
        fw = framework_of(cohort.framework)
        items = {item.code: item for item in fw.iter_items()}
        questions = {code: item.text.get(language) for code, item in items.items()}
        shifts = {s.code: s.name.get(language) for s in fw.shifts}
        dimensions = {d.code: d.name.get(language) for s in fw.shifts for d in s.dimensions}
        statuses = {value: str(label) for value, label in AssessmentStatus.choices}
        confidences = {value: str(label) for value, label in Confidence.choices}
        confidences[""] = ""
        yes, no = _("Yes"), _("No")
        yield [
            _("HKEX stock code"),
            _("Company"),
            _("Status"),
            _("Question code"),
            _("Question"),
            _("Shift"),
            _("Dimension"),
            _("Answer"),
            *[str(label) for _name, label in columns],
            _("Don't know"),
            _("Not applicable"),
            _("Evidence note"),
            _("Confidence"),
            _("Last changed"),
        ]
        rows = (
            Answer.objects.filter(assessment__cohort=cohort, assessment__withdrawn_at=None)
            .order_by("assessment__issuer__stock_code", "item__position")
            .values_list(
                "assessment__issuer__stock_code",
                "assessment__issuer__name_en",
                "assessment__issuer__name_zh",
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
        chinese = language.startswith("zh")
        names = [name for name, _label in columns]
        n = len(columns)
        value = _Stored()
        # The same answer to the same question reads the same: word it once.
        words: dict[tuple[Any, ...], str] = {}
        for row in rows.iterator(chunk_size=2000):
            code, name_en, name_zh, status, item_code, shift, dimension = row[:7]
            values = row[7 : 7 + n]
            dont_know, not_applicable, note, confidence, changed = row[7 + n :]
            item = items.get(item_code)
            key = (item_code, dont_know, not_applicable, *values)
            answer = words.get(key)
            if answer is None:
                for name, stored in zip(names, values, strict=True):
                    setattr(value, name, stored)
                value.dont_know, value.not_applicable = dont_know, not_applicable
                answer = answer_text(item, value, language) if item is not None else ""
                words[key] = answer
            yield [
                code,
                (name_zh or name_en) if chinese else name_en,
                statuses.get(status, status),
                item_code,
                questions.get(item_code, item_code),
                shifts.get(shift, shift),
                dimensions.get(dimension, dimension),
                answer,
                *values,
                yes if dont_know else no,
                yes if not_applicable else no,
                note,
                confidences.get(confidence, confidence),
                changed,
            ]


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
    """The rows as CSV text: formulas neutralised, dates in ISO 8601 (Hong Kong time)."""
    writer = csv.writer(_Line())
    tz = timezone.get_current_timezone()
    yield "\ufeff"  # so Excel opens UTF-8 (Chinese names) correctly
    for row in rows:
        # Text, most cells, without a call per cell.
        yield writer.writerow(
            [
                ("'" + v if v.startswith(FORMULA_START) else v)
                if type(v) is str
                else _csv_other(v, tz)
                for v in row
            ]
        )


def write_csv(rows: Iterable[list[Any]], handle: IO[str]) -> None:
    for chunk in csv_stream(rows):
        handle.write(chunk)


def write_xlsx(rows: Iterable[list[Any]], path: str, sheet: str) -> None:
    """A one-sheet workbook, header row in bold, frozen and filtered, date-times in Hong
    Kong local time, streamed (cohorts.xlsx; text stays text, never a formula)."""
    xlsx.write_workbook(path, rows, sheet, tz=timezone.get_current_timezone())


def xlsx_tempfile(rows: Iterable[list[Any]], sheet: str) -> IO[bytes]:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open, closed by the response
    write_xlsx(rows, handle.name, sheet)
    handle.seek(0)
    return handle
