"""Enrol issuers into a cohort from a CSV file: read, validate every row, classify it
against what is on record, preview, import.

Columns (a header row, any order): stock code, English name, Chinese name, industry,
board, the lead's e-mail. Headers, industries and boards are accepted as codes or as
labels in either language, whatever the reader's language (files travel between people
who read different languages); stock codes as HKEX and Excel write them (`0700.HK`,
`700`, `00700`). Nothing on record changes unless the admin ticks that change in the
preview: the import never overwrites silently.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.db import transaction
from django.db.models import Field
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts.models import (
    ASSOCIATION_ROLES,
    Board,
    Industry,
    Issuer,
    Membership,
    MembershipRole,
    User,
)
from accounts.services import issuer_contact_add
from assessments import access
from assessments.models import Assessment
from assessments.services import assessment_create
from core.text import list_join

from . import services
from .models import Cohort
from .notifications import enrolled_announce

COLUMNS = ("stock_code", "name_en", "name_zh", "industry", "board", "email")
REQUIRED = ("stock_code", "name_en", "industry", "board", "email")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
EMAIL_MAX = User._meta.get_field("email").max_length or 254
# The issuer details a file could change. For an issuer already on record a difference is
# only applied when the admin ticks it (its profile, last year's exports and its Chinese
# name would otherwise silently change).
ISSUER_FIELDS = ("name_en", "name_zh", "industry", "board")

# The template's header labels (the file's columns as people name them); any of them, in
# either language, or the column's code, is accepted as a header.
HEADERS: dict[str, Any] = {
    "stock_code": pgettext_lazy("enrolment column", "Stock code"),
    "name_en": pgettext_lazy("enrolment column", "English name"),
    "name_zh": pgettext_lazy("enrolment column", "Chinese name"),
    "industry": pgettext_lazy("enrolment column", "Industry"),
    "board": pgettext_lazy("enrolment column", "Board"),
    "email": pgettext_lazy("enrolment column", "Lead's e-mail"),
}
# Other names people give these columns (matched after the same normalisation).
SYNONYMS = {
    "stock_code": ("code", "stock", "stockcode", "hkexstockcode", "股份代號", "股票代號", "代號"),
    "name_en": (
        "name",
        "nameenglish",
        "englishname",
        "companyname",
        "公司名稱英文",
        "英文名",
        "英文名稱",
    ),
    "name_zh": ("namechinese", "chinesename", "公司名稱中文", "中文名", "中文名稱"),
    "industry": ("hsicsindustry", "sector", "行業類別"),
    "board": ("listingboard", "market", "上市板塊", "板塊"),
    "email": (
        "e-mail",
        "emailaddress",
        "leademail",
        "contactemail",
        "電郵",
        "電郵地址",
        "負責人電郵",
    ),
}
LANGUAGES = ("en", "zh-hant")

# Which encodings a file is tried in, in order, and how the preview names them.
ENCODINGS = (
    ("utf-8-sig", gettext_lazy("UTF-8")),
    ("big5hkscs", gettext_lazy("Big5 (Traditional Chinese, with HKSCS)")),
    ("cp950", gettext_lazy("Big5 (Traditional Chinese, Windows code page 950)")),
    ("utf-16", gettext_lazy("UTF-16 (Excel's Unicode text)")),
)


class EnrolmentFileError(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class Change:
    """One detail of an issuer on record that the file gives differently."""

    field: str
    label: str
    recorded: str  # as shown (a label, never a code)
    proposed: str
    token: str  # fingerprint of the recorded value: a tick applies only to what was seen

    def key(self, line: int) -> str:
        return f"change-{line}-{self.field}"


@dataclass
class Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)  # in the values themselves

    # Filled by `classify` (never kept in the session: re-derived against the database,
    # afresh on every call).
    record_errors: list[str] = field(default_factory=list)  # against the record / file
    issuer_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    enrolled: bool = False  # already in this cohort
    contact: str = ""  # "new" | "existing" (acts for this issuer) | "joins" (has an account)
    also_for: list[str] = field(default_factory=list)  # other organisations the contact acts for
    shared_with: int | None = None  # an earlier line with the same new contact

    @property
    def problems(self) -> list[str]:
        return [*self.errors, *self.record_errors]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.record_errors

    @property
    def issuer_state(self) -> str:
        if self.issuer_id is None:
            return "new"
        return "differs" if self.changes else "same"

    @property
    def invite(self) -> bool:
        return self.ok and self.contact == "new" and self.shared_with is None


@dataclass
class Parsed:
    rows: list[Row]
    encoding: str = "utf-8-sig"
    empty: int = 0  # all-empty lines (Excel's ",,,,,"), ignored
    unused: list[str] = field(default_factory=list)  # header names of columns not used

    @property
    def unused_names(self) -> str:
        return list_join(self.unused)

    @property
    def encoding_label(self) -> str:
        return str(dict(ENCODINGS).get(self.encoding, self.encoding))

    @property
    def invalid(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


# ---------------------------------------------------------------------------------------
# Reading values


def _key(text: str) -> str:
    """How headers and labels are compared: full-width forms folded (NFKC), case-blind,
    without spaces (full-width ones included), underscores, hyphens or dots."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-.'’]+", "", folded)


_STOCK_CODE = re.compile(r"^(?:HK[:\s]*)?(\d{1,12})(?:[\s.]*HK)?$")


def parse_stock_code(raw: str) -> str:
    """A stock code as files write it → the five digits on record: '700', '0700',
    '00700', '0700.HK', '0700 HK', full-width digits → '00700'. Raises ValueError
    otherwise. (accounts.models.normalise_stock_code stays strict for typed input.)"""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    match = _STOCK_CODE.match(text)
    if not match or not match.group(1).isascii():
        raise ValueError(raw)
    digits = match.group(1).lstrip("0") or "0"
    if len(digits) > 5:
        raise ValueError(raw)
    return digits.zfill(5)


def _without_brackets(text: str) -> str:
    return re.sub(r"[(（][^)）]*[)）]", "", text)


@cache
def _lookup(kind: str) -> dict[str, str]:
    """Every accepted spelling of an industry or board (code, label in each language,
    label without its bracketed part, e.g. 創業板 for 創業板 (GEM)) → its code."""
    choices = Industry.choices if kind == "industry" else Board.choices
    found: dict[str, str] = {}
    for code, label in choices:
        spellings = {code, str(label)}
        for language in LANGUAGES:
            with translation.override(language):
                text = str(label)
            spellings |= {text, _without_brackets(text), text.replace("&", "and")}
        for spelling in spellings:
            if _key(spelling):
                found.setdefault(_key(spelling), code)
    if kind == "board":
        for spelling in ("main", "mainboard", "mb", "growthenterprisemarket"):
            found.setdefault(spelling, Board.MAIN if spelling.startswith("m") else Board.GEM)
    return found


@cache
def _header_lookup() -> dict[str, str]:
    """Every accepted header name (normalised) → its column."""
    found: dict[str, str] = {}
    for column, label in HEADERS.items():
        spellings = {column, *SYNONYMS[column]}
        for language in LANGUAGES:
            with translation.override(language):
                spellings.add(str(label))
                if column in ISSUER_FIELDS:
                    spellings.add(str(cast(Field, Issuer._meta.get_field(column)).verbose_name))
        for spelling in spellings:
            found.setdefault(_key(spelling), column)
    return found


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _valid_values(choices: Any) -> str:
    return list_join(label for _code, label in choices.choices)


def column_names() -> str:
    """The columns as the reader names them, for messages and the page."""
    return list_join(HEADERS[c] for c in COLUMNS)


# ---------------------------------------------------------------------------------------
# Parsing


def _decode(upload: bytes) -> tuple[str, str]:
    if upload.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" (tab-separated); only with its byte-order mark, since any
        # even number of bytes would "decode" as UTF-16.
        try:
            text = upload.decode("utf-16")
        except UnicodeDecodeError:
            text = ""
        if "\x00" not in text and ("\t" in text or "," in text):  # else junk behind a BOM
            return text, "utf-16"
    for encoding in ("utf-8-sig", "big5hkscs", "cp950"):
        try:
            return upload.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise EnrolmentFileError(
        _(
            "The file could not be read as text in UTF-8 or Big5. Save it as “CSV UTF-8” "
            "in Excel and upload it again."
        )
    )


def _header(reader: Any) -> tuple[list[str], list[str]]:
    """The file's column codes (None-like '' for unused ones) and the unused names."""
    try:
        names = list(next(reader))
    except StopIteration:
        names = []
    except csv.Error as exc:
        raise EnrolmentFileError(
            _("The first line cannot be read as CSV column names. Expected: %(all)s.")
            % {"all": column_names()}
        ) from exc
    lookup = _header_lookup()
    codes: list[str] = []
    unused: list[str] = []
    for name in names:
        code = lookup.get(_key(name), "")
        if code and code in codes:
            raise EnrolmentFileError(
                _("The column “%(name)s” appears twice.") % {"name": name.strip()[:80]}
            )
        if not code and name.strip():
            unused.append(name.strip()[:80])
        codes.append(code)
    missing = [str(HEADERS[c]) for c in REQUIRED if c not in codes]
    if missing:
        raise EnrolmentFileError(
            _("Missing column(s): %(cols)s. Expected: %(all)s.")
            % {"cols": list_join(missing), "all": column_names()}
        )
    return codes, unused


def parse(upload: bytes) -> Parsed:
    if len(upload) > MAX_BYTES:
        raise EnrolmentFileError(_("The file is larger than 2 MB."))
    text, encoding = _decode(upload)
    # newline="": the csv module then sees the file's own line ends, so a lone carriage
    # return (old Mac Excel) ends a line instead of failing as a "new-line character".
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    if first.count(";") > max(first.count(","), first.count("\t")):
        delimiter = ";"  # Excel's CSV in locales whose decimal mark is a comma
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    codes, unused = _header(reader)
    parsed = Parsed(rows=[], encoding=encoding, unused=unused)
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                parsed.empty += 1
                continue
            if len(parsed.rows) >= MAX_ROWS:
                raise EnrolmentFileError(_("The file has more than 5,000 rows."))
            values = {c: v for c, v in zip(codes, cells, strict=False) if c}
            parsed.rows.append(validate_row(values, line=line, seen=seen))
    except csv.Error as exc:  # a field beyond csv.field_size_limit(), e.g. an unclosed quote
        raise EnrolmentFileError(
            _(
                "The file cannot be read as CSV near line %(n)d: a field is far too long "
                "or a quotation mark is never closed."
            )
            % {"n": reader.line_num}
        ) from exc
    if not parsed.rows:
        raise EnrolmentFileError(_("The file has a header but no rows."))
    return parsed


def validate_row(
    raw: Mapping[str, str], *, line: int = 0, seen: dict[str, int] | None = None
) -> Row:
    """One issuer's enrolment values, normalised, with every problem found in them alone.

    The one rule set for a CSV line and for the single-issuer form; `seen` maps stock
    codes already met in the same file to their line, to catch duplicates. What depends on
    the database (on record, enrolled, contacts) is `classify`'s.
    """
    seen = {} if seen is None else seen
    values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    row = Row(line=line, values=values)
    if any("\x00" in v for v in values.values()):
        # PostgreSQL cannot store NUL in text; form fields refuse it with the same words.
        row.errors.append(str(ProhibitNullCharactersValidator.message))
    try:
        values["stock_code"] = parse_stock_code(values["stock_code"])
    except ValueError:
        row.errors.append(_("Stock code must be 1 to 5 digits, e.g. 700, 00700 or 0700.HK."))
    else:
        if values["stock_code"] in seen:
            row.errors.append(
                _("Same stock code as line %(n)d: this line is not imported.")
                % {"n": seen[values["stock_code"]]}
            )
        seen.setdefault(values["stock_code"], line)
    if not values["name_en"]:
        row.errors.append(_("The English name is missing."))
    if len(values["name_en"]) > 200 or len(values["name_zh"]) > 200:
        row.errors.append(_("Names may have at most 200 characters."))
    for name, choices in (("industry", Industry), ("board", Board)):
        code = _lookup(name).get(_key(values[name]))
        if code is not None:
            values[name] = code
            continue
        message = (
            _("Unknown industry “%(v)s”. Use one of: %(valid)s.")
            if name == "industry"
            else _("Unknown board “%(v)s”. Use one of: %(valid)s.")
        )
        row.errors.append(message % {"v": values[name][:80], "valid": _valid_values(choices)})
    try:
        validate_email(values["email"])
        if len(values["email"]) > EMAIL_MAX:
            raise ValidationError("too long")
        values["email"] = values["email"].lower()
    except ValidationError:
        row.errors.append(_("Enter a valid e-mail address."))
    return row


# ---------------------------------------------------------------------------------------
# Classifying against the database


def _token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _changes(row: Row, issuer: Issuer, labels: dict[str, str]) -> list[Change]:
    changes = []
    for name in ISSUER_FIELDS:
        new, old = row.values.get(name) or "", getattr(issuer, name) or ""
        # An empty optional cell says nothing: it never proposes erasing a recorded name.
        if new == old or (not new and name == "name_zh"):
            continue
        changes.append(
            Change(
                name,
                labels[name],
                labels.get(f"{name}:{old}", old),
                labels.get(f"{name}:{new}", new),
                _token(old),
            )
        )
    return changes


def _detail_labels() -> dict[str, str]:
    """Field labels, and industry / board labels keyed `field:code`, in the reader's
    language (computed once per file: lazy translations cost per use)."""
    labels = {
        name: str(capfirst(cast(Field, Issuer._meta.get_field(name)).verbose_name))
        for name in ISSUER_FIELDS
    }
    labels |= {f"industry:{code}": str(label) for code, label in Industry.choices}
    labels |= {f"board:{code}": str(label) for code, label in Board.choices}
    return labels


def classify(rows: list[Row], *, cohort: Cohort | None) -> list[Row]:
    """Say of every valid row whether its issuer is new, on record unchanged or on record
    with different details (which), already enrolled in `cohort`, and whether its contact
    is new (invited) or existing. A fixed number of queries, whatever the file's size."""
    for row in rows:
        row.record_errors = []
    valid = [r for r in rows if r.ok]
    codes = {r.values["stock_code"] for r in valid}
    issuers = {i.stock_code: i for i in Issuer.objects.filter(stock_code__in=codes)}
    enrolled: set[int] = set()
    if cohort is not None and issuers:
        enrolled = set(
            Assessment.objects.filter(
                cohort=cohort, issuer__in=[i.pk for i in issuers.values()]
            ).values_list("issuer_id", flat=True)
        )
    emails = {r.values["email"] for r in valid}
    users = {
        u.email_key: u
        for u in User.objects.annotate(email_key=Lower("email")).filter(email_key__in=emails)
    }
    # Whom each existing person already acts for (admins may see it: they manage members).
    acts_for: dict[int, dict[int, str]] = {}
    for m in Membership.objects.filter(
        user__in=[u.pk for u in users.values()], is_active=True
    ).select_related("issuer"):
        acts_for.setdefault(m.user_id, {})[m.issuer_id] = (
            f"{m.issuer.stock_code} {m.issuer.display_name}"
        )
    labels = _detail_labels()
    first_line: dict[str, int] = {}  # a new contact's first line in the file
    for row in valid:
        v = row.values
        issuer = issuers.get(v["stock_code"])
        row.issuer_id = issuer.pk if issuer else None
        row.changes = _changes(row, issuer, labels) if issuer else []
        row.enrolled = issuer is not None and issuer.pk in enrolled
        user = users.get(v["email"])
        if user is None:
            # One person may act for several companies (a company-secretarial firm): the
            # first line creates the account and invites, later ones add a membership.
            row.contact = "new"
            earlier = first_line.setdefault(v["email"], row.line)
            row.shared_with = earlier if earlier != row.line else None
            continue
        if user.role in ASSOCIATION_ROLES:
            row.record_errors.append(_("This e-mail address belongs to the association's staff."))
            continue
        others = dict(acts_for.get(user.pk, {}))
        row.contact = "existing" if others.pop(row.issuer_id or 0, None) else "joins"
        row.also_for = sorted(others.values())
    for row in rows:
        if not row.ok:  # rows with errors say nothing about the record
            row.issuer_id, row.changes, row.enrolled, row.contact = None, [], False, ""
            row.also_for, row.shared_with = [], None
    return rows


def summary(parsed: Parsed) -> dict[str, int]:
    rows = parsed.rows
    ok = [r for r in rows if r.ok]
    return {
        "rows": len(rows),
        "new": sum(1 for r in ok if r.issuer_state == "new"),
        "same": sum(1 for r in ok if r.issuer_state == "same"),
        "differs": sum(1 for r in ok if r.issuer_state == "differs"),
        "enrolled": sum(1 for r in ok if r.enrolled),
        "invite": sum(1 for r in ok if r.invite),
        "invalid": len(rows) - len(ok),
        "empty": parsed.empty,
    }


# ---------------------------------------------------------------------------------------
# Session (the parsed file waits there between preview and import)


def to_session(parsed: Parsed) -> dict[str, Any]:
    return {
        "rows": [{"line": r.line, "values": r.values} for r in parsed.rows],
        "encoding": parsed.encoding,
        "empty": parsed.empty,
        "unused": parsed.unused,
    }


def from_session(data: dict[str, Any]) -> Parsed:
    """The previewed file, validated again (the rules or the record may have changed)."""
    seen: dict[str, int] = {}
    rows = [validate_row(r["values"], line=r["line"], seen=seen) for r in data["rows"]]
    return Parsed(
        rows=rows, encoding=data["encoding"], empty=data["empty"], unused=list(data["unused"])
    )


# ---------------------------------------------------------------------------------------
# Import


@dataclass
class Imported:
    enrolled: int = 0
    updated: int = 0  # issuers on record whose ticked details were changed
    stale: int = 0  # ticked changes not applied: the record changed after the preview
    invited: int = 0


@transaction.atomic
def import_rows(
    *,
    cohort: Cohort,
    rows: list[Row],
    user: User,
    base_url: str,
    accepted: Mapping[str, str] | None = None,
) -> Imported:
    """Create new issuers, enrol them (one assessment each) and invite new leads. An issuer
    already on record keeps its details unless the admin ticked a change: `accepted` maps
    a ticked change's key (`Change.key`) to the token of the recorded value it was shown;
    a change whose recorded value moved since is not applied. Rows are classified again
    here, and only valid ones imported."""
    if not access.can_enrol(user=user, cohort=cohort):
        raise PermissionDenied
    services.enrolment_open_check(cohort=cohort)
    accepted = accepted or {}
    result = Imported()
    # Lock the issuers on record first, so two imports cannot interleave their changes.
    codes = [r.values["stock_code"] for r in rows if r.ok]
    list(Issuer.objects.select_for_update().filter(stock_code__in=codes).values_list("pk"))
    classify(rows, cohort=cohort)
    for row in rows:
        if not row.ok:
            continue
        v = row.values
        issuer, _created = Issuer.objects.get_or_create(
            stock_code=v["stock_code"], defaults={name: v[name] for name in ISSUER_FIELDS}
        )
        ticked = {c.field: v[c.field] for c in row.changes if c.key(row.line) in accepted}
        fresh = {c.field for c in row.changes if accepted.get(c.key(row.line)) == c.token}
        result.stale += len(ticked) - len(fresh)
        if fresh:
            services.issuer_details_update(
                issuer=issuer,
                user=user,
                cohort=cohort,
                details={name: ticked[name] for name in fresh},
            )
            result.updated += 1
        if not Assessment.objects.filter(issuer=issuer, cohort=cohort).exists():
            new = assessment_create(
                issuer=issuer, framework=cohort.framework, user=user, cohort=cohort
            )
            enrolled_announce(assessment=new)  # its existing contacts are told by e-mail
            result.enrolled += 1
        # A new address is invited; one that already acts for another issuer becomes a
        # contact here too and is told (e-mails go once the import commits).
        _membership, created = issuer_contact_add(
            issuer=issuer,
            email=v["email"],
            full_name="",
            role=MembershipRole.LEAD,
            invited_by=user,
            base_url=base_url,
            context={"cohort": cohort, "deadline": cohort.closes_on},
        )
        result.invited += created
    return result


def accepted_changes(post: Mapping[str, Any]) -> dict[str, str]:
    """The ticked changes of an import form: `change-<line>-<field>` → token."""
    return {k: str(post.get(k)) for k in post if k.startswith("change-")}


# ---------------------------------------------------------------------------------------
# Template


def template_rows(language: str) -> list[list[str]]:
    """The downloadable template: the header labels and one sample row, in `language`."""
    with translation.override(language):
        return [
            [str(HEADERS[c]) for c in COLUMNS],
            [
                "08123",
                "Lantau Foods Limited",
                "大嶼食品有限公司",
                str(Industry.CONSUMER_STAPLES.label),
                str(Board.GEM.label),
                "lead@lantau.example",
            ],
        ]


def import_messages(result: Imported, skipped: int) -> Iterable[str]:
    yield ngettext(
        "%(n)d issuer enrolled; %(skipped)d row(s) skipped.",
        "%(n)d issuers enrolled; %(skipped)d row(s) skipped.",
        result.enrolled,
    ) % {"n": result.enrolled, "skipped": skipped}
    if result.updated:
        yield ngettext(
            "The ticked details of %(n)d issuer on record were changed.",
            "The ticked details of %(n)d issuers on record were changed.",
            result.updated,
        ) % {"n": result.updated}
    if result.stale:
        yield ngettext(
            "%(n)d ticked change was not applied: the record changed after the preview.",
            "%(n)d ticked changes were not applied: the record changed after the preview.",
            result.stale,
        ) % {"n": result.stale}
