"""Enrol issuers into a cohort from a CSV file: parse, validate every row, preview, import.

Columns (header row, any order; English names): stock_code, name_en, name_zh, industry,
board, email (the issuer lead's contact). Industry and board accept the code or the
English label (e.g. "industrials" or "Industrials", "main" or "Main Board").
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.db import transaction
from django.db.models import Field
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import (
    ASSOCIATION_ROLES,
    Board,
    Industry,
    Issuer,
    MembershipRole,
    User,
    normalise_stock_code,
)
from accounts.services import issuer_contact_add
from assessments import access
from assessments.models import Assessment
from assessments.services import assessment_create

from .models import Cohort
from .notifications import enrolled_announce

COLUMNS = ("stock_code", "name_en", "name_zh", "industry", "board", "email")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
EMAIL_MAX = User._meta.get_field("email").max_length or 254


class EnrolmentFileError(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)

    # For an issuer already on record: the details the file differs in (labels). They are
    # kept as recorded; None for a new issuer. Filled by `mark_existing` for the preview.
    on_record: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# The issuer details a file could change. An import never overwrites them for an issuer
# already on record (its profile, last year's exports and its Chinese name would silently
# change); the preview says which differ, and an admin edits a member in the admin.
ISSUER_FIELDS = ("name_en", "name_zh", "industry", "board")


def mark_existing(rows: list[Row]) -> list[Row]:
    """Note on each row naming an issuer already on record which details the file differs
    in; one query."""
    # Only validated codes reach the database (a broken row may hold anything, NUL included).
    codes = {r.values["stock_code"] for r in rows if r.ok}
    on_record = {i.stock_code: i for i in Issuer.objects.filter(stock_code__in=codes)}
    for row in rows:
        issuer = on_record.get(row.values.get("stock_code", "")) if row.ok else None
        if issuer is not None:
            row.on_record = [
                str(cast(Field, Issuer._meta.get_field(name)).verbose_name)
                for name in ISSUER_FIELDS
                if (row.values.get(name) or "") != (getattr(issuer, name) or "")
            ]
    return rows


def _choice(raw: str, choices: Any) -> str | None:
    """Accept the code, the English label or the label in the reader's language."""
    value = raw.strip().lower()
    for code, label in choices:
        with translation.override("en"):
            english = str(label).lower()
        if value in (code, english, str(label).lower()):
            return code
    return None


def parse(upload: bytes) -> list[Row]:
    if len(upload) > MAX_BYTES:
        raise EnrolmentFileError(_("The file is larger than 2 MB."))
    for encoding in ("utf-8-sig", "big5hkscs"):
        try:
            text = upload.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise EnrolmentFileError(
            _("The file is not readable text. Save it as “CSV UTF-8” and try again.")
        )
    # newline="": the csv module then sees the file's own line ends, so a lone carriage
    # return (old Mac Excel) ends a line instead of failing as a "new-line character".
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise EnrolmentFileError(
            _("The first line cannot be read as CSV column names. Expected: %(all)s.")
            % {"all": ", ".join(COLUMNS)}
        ) from exc
    missing = [c for c in COLUMNS if c not in header and c != "name_zh"]
    if missing:
        raise EnrolmentFileError(
            _("Missing column(s): %(cols)s. Expected: %(all)s.")
            % {"cols": ", ".join(missing), "all": ", ".join(COLUMNS)}
        )
    reader.fieldnames = header
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise EnrolmentFileError(_("The file has more than 5,000 rows."))
            values = {c: raw.get(c) or "" for c in COLUMNS}
            rows.append(validate_row(values, line=number, seen=seen))
    except csv.Error as exc:  # a field beyond csv.field_size_limit(), e.g. an unclosed quote
        raise EnrolmentFileError(
            _(
                "The file cannot be read as CSV near line %(n)d: a field is far too long "
                "or a quotation mark is never closed."
            )
            % {"n": reader.line_num}
        ) from exc
    if not rows:
        raise EnrolmentFileError(_("The file has a header but no rows."))
    return rows


def validate_row(raw: dict[str, str], *, line: int = 0, seen: dict[str, int] | None = None) -> Row:
    """One issuer's enrolment values, normalised, with every problem found.

    The one rule set for a CSV line and for the single-issuer form; `seen` maps stock
    codes already met in the same file to their line, to catch duplicates.
    """
    seen = {} if seen is None else seen
    values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    row = Row(line=line, values=values)
    if any("\x00" in v for v in values.values()):
        # PostgreSQL cannot store NUL in text; form fields refuse it with the same words.
        row.errors.append(str(ProhibitNullCharactersValidator.message))
    try:
        values["stock_code"] = normalise_stock_code(values["stock_code"])
    except ValueError:
        row.errors.append(_("Stock code must be 1 to 5 digits."))
    if values["stock_code"] in seen:
        row.errors.append(_("Same stock code as line %(n)d.") % {"n": seen[values["stock_code"]]})
    seen.setdefault(values["stock_code"], line)
    if not values["name_en"]:
        row.errors.append(_("The English name is missing."))
    if len(values["name_en"]) > 200 or len(values["name_zh"]) > 200:
        row.errors.append(_("Names may have at most 200 characters."))
    industry = _choice(values["industry"], Industry.choices)
    if industry is None:
        row.errors.append(_("Unknown industry “%(v)s”.") % {"v": values["industry"][:80]})
    else:
        values["industry"] = industry
    board = _choice(values["board"], Board.choices)
    if board is None:
        row.errors.append(_("Board must be Main Board or GEM."))
    else:
        values["board"] = board
    try:
        validate_email(values["email"])
        if len(values["email"]) > EMAIL_MAX:
            raise ValidationError("too long")
        values["email"] = values["email"].lower()
        # Someone may act for several issuers (memberships); the association's own staff
        # act for none.
        if User.objects.filter(email__iexact=values["email"], role__in=ASSOCIATION_ROLES).exists():
            row.errors.append(_("This e-mail address belongs to the association's staff."))
    except ValidationError:
        row.errors.append(_("Enter a valid e-mail address."))
    return row


def to_session(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def from_session(data: list[dict[str, Any]]) -> list[Row]:
    return [Row(**r) for r in data]


@transaction.atomic
def import_rows(*, cohort: Cohort, rows: list[Row], user: User, base_url: str) -> int:
    """Create new issuers, enrol them (one assessment each) and invite new leads. An issuer
    already on record keeps its details whatever the file says (see ISSUER_FIELDS). Only
    valid rows are imported; returns how many issuers were newly enrolled."""
    if not access.can_enrol(user=user, cohort=cohort):
        raise PermissionDenied
    enrolled = 0
    for row in rows:
        if not row.ok:
            continue
        v = row.values
        issuer, _created = Issuer.objects.get_or_create(
            stock_code=v["stock_code"], defaults={name: v[name] for name in ISSUER_FIELDS}
        )
        if not Assessment.objects.filter(issuer=issuer, cohort=cohort).exists():
            new = assessment_create(
                issuer=issuer, framework=cohort.framework, user=user, cohort=cohort
            )
            enrolled_announce(assessment=new)  # its existing contacts are told by e-mail
            enrolled += 1
        # A new address is invited; one that already acts for another issuer becomes a
        # contact here too and is told (e-mails go once the import commits).
        issuer_contact_add(
            issuer=issuer,
            email=v["email"],
            full_name="",
            role=MembershipRole.LEAD,
            invited_by=user,
            base_url=base_url,
            context={"cohort": cohort, "deadline": cohort.closes_on},
        )
    return enrolled
