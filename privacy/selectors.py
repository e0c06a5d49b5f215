"""Everything the service holds about one person, read for a PDPO data access request.

`personal_data` is the one definition of "everything": the HTML page, its printout and the
JSON download all render the `PersonalData` it returns, so they cannot disagree. Each
`Section` names its columns (a stable key for the JSON, a label for the page) and holds
plain values: texts already in the reader's language, dates as datetimes, flags as bools.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.access import Person
from accounts.models import AccountEvent, Membership, MembershipRole, Role, User
from assessments import access
from assessments.framework import Framework
from assessments.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    CalendarChange,
    Confidence,
    ReviewComment,
    StatusChange,
)
from assessments.presenters import answer_text
from assessments.selectors import framework_of
from cohorts.models import Cohort
from core.models import SentEmail
from reports.models import Report

SEARCH_MAX = 100  # characters of a search kept; longer input is cut, never an error
RESULTS_MAX = 50


# --- finding a person -------------------------------------------------------------------------


def search_text(raw: object) -> str:
    """A typed search as something safe to look up: control characters (PostgreSQL refuses
    NUL in a query) and surrounding space removed, at most SEARCH_MAX characters."""
    text = raw if isinstance(raw, str) else ""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:SEARCH_MAX]


def people_search(*, query: str) -> list[User]:
    """People whose e-mail or name contains `query` (case-insensitive), by e-mail; none for
    an empty query. Wildcards typed in the query match themselves (the ORM escapes them)."""
    text = search_text(query)
    if not text:
        return []
    found = User.objects.filter(Q(email__icontains=text) | Q(full_name__icontains=text))
    return list(found.select_related("issuer").order_by("email")[:RESULTS_MAX])


def person_for_user(*, user: Person, pk: int) -> User:
    """The person if `user` may look at people's personal data (admins); 404 otherwise,
    and for ids that exist nowhere, so an id reveals nothing."""
    if not access.can_export_personal_data(user=user):
        raise Http404
    try:
        return User.objects.select_related("issuer").get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc


# --- what is held about them --------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the JSON key (stable, English)
    label: Promise  # the page's column heading


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    about: Promise  # one sentence: what this is and where it comes from
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def display_rows(self) -> list[list[str]]:
        """The rows as the page shows them: dates in Hong Kong time in the reader's format,
        yes/no in words, "—" for nothing."""
        return [[display(row.get(c.key)) for c in self.columns] for row in self.rows]


@dataclass(frozen=True)
class PersonalData:
    person: User
    generated_at: datetime.datetime
    sections: list[Section]

    def as_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "language": get_language(),
            "person_id": self.person.pk,
            **{s.key: s.rows for s in self.sections},
        }


def display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, dict):
        # An audit event's details: their values only (the keys are internal names).
        return ", ".join(str(v) for v in value.values()) or "—"
    return str(value)


def _cols(*pairs: tuple[str, Promise]) -> tuple[Column, ...]:
    return tuple(Column(key, label) for key, label in pairs)


def _label(choices: type[Any], value: str) -> str:
    """A stored code as its label in the reader's language ("" stays "")."""
    try:
        return str(choices(value).label) if value else ""
    except ValueError:
        return value


def _assessment(a: Assessment) -> str:
    cohort = a.cohort.display_name if a.cohort is not None else _("no round")
    return f"{a.issuer.display_name} · {cohort}"


class _Frameworks:
    """Parsed frameworks by version id, for question texts (each parsed once)."""

    def __init__(self) -> None:
        self._found: dict[int, Framework] = {}

    def question(self, assessment: Assessment, code: str) -> str:
        fw = self._found.get(assessment.framework_id)
        if fw is None:
            fw = self._found[assessment.framework_id] = framework_of(assessment.framework)
        item = fw.items.get(code)
        return item.text.get(get_language()) if item is not None else ""

    def answer(self, assessment: Assessment, code: str, value: Any) -> str:
        self.question(assessment, code)
        item = self._found[assessment.framework_id].items.get(code)
        if item is None:
            return ""
        return answer_text(item, value if value.is_answered else None, get_language())


def _account(p: User) -> Section:
    return Section(
        "account",
        gettext_lazy("Account"),
        gettext_lazy("The person's sign-in account."),
        _cols(
            ("id", gettext_lazy("Number")),
            ("email", gettext_lazy("E-mail")),
            ("full_name", gettext_lazy("Name")),
            ("role", gettext_lazy("Role")),
            ("company", gettext_lazy("Selected company")),
            ("language", gettext_lazy("Language")),
            ("active", gettext_lazy("Active")),
            ("can_sign_in_with_password", gettext_lazy("Has a password")),
            ("joined", gettext_lazy("Account created")),
            ("last_login", gettext_lazy("Last signed in")),
            ("anonymised", gettext_lazy("Anonymised")),
        ),
        [
            {
                "id": p.pk,
                "email": p.email,
                "full_name": p.full_name,
                "role": _label(Role, p.role),
                "company": p.issuer.display_name if p.issuer else "",
                "language": {"en": "English", "zh-hant": "繁體中文"}.get(p.language, ""),
                "active": p.is_active,
                "can_sign_in_with_password": p.has_usable_password(),
                "joined": p.date_joined,
                "last_login": p.last_login,
                "anonymised": p.anonymised_at,
            }
        ],
    )


def _memberships(p: User) -> Section:
    rows = Membership.objects.filter(user=p).select_related("issuer", "invited_by")
    return Section(
        "memberships",
        gettext_lazy("Companies"),
        gettext_lazy("The companies the person acts or acted for, and their invitations."),
        _cols(
            ("company", gettext_lazy("Company")),
            ("stock_code", gettext_lazy("Stock code")),
            ("role", gettext_lazy("Role")),
            ("active", gettext_lazy("Active")),
            ("invited_by", gettext_lazy("Invited by")),
            ("name_given_by_inviter", gettext_lazy("Name given by the inviter")),
            ("invited", gettext_lazy("Invited")),
            ("invitation_opened", gettext_lazy("Invitation opened")),
            ("accepted", gettext_lazy("Accepted")),
        ),
        [
            {
                "company": m.issuer.display_name,
                "stock_code": m.issuer.stock_code,
                "role": _label(MembershipRole, m.role),
                "active": m.is_active,
                "invited_by": m.invited_by.display_name if m.invited_by else "",
                "name_given_by_inviter": m.invited_name,
                "invited": m.invited_at,
                "invitation_opened": m.invitation_opened_at,
                "accepted": m.accepted_at,
            }
            for m in rows.order_by("created_at", "pk")
        ],
    )


def _reviewer_of(p: User) -> Section:
    cohorts: Iterable[Cohort] = p.reviewed_cohorts.order_by("-year", "slug")
    return Section(
        "review_assignments",
        gettext_lazy("Rounds assigned for review"),
        gettext_lazy("The assessment rounds the person reviews for the association."),
        _cols(("round", gettext_lazy("Round")), ("year", gettext_lazy("Year"))),
        [{"round": c.display_name, "year": c.year} for c in cohorts],
    )


def _assessments_acted(p: User) -> Section:
    found = (
        Assessment.objects.filter(Q(created_by=p) | Q(submitted_by=p) | Q(withdrawn_by=p))
        .select_related("issuer", "cohort")
        .order_by("created_at", "pk")
    )
    rows = []
    for a in found:
        for who, what, when in (
            (a.created_by_id, _("Started"), a.created_at),
            (a.submitted_by_id, _("Submitted (latest)"), a.submitted_at),
            (a.withdrawn_by_id, _("Withdrawn from the round"), a.withdrawn_at),
        ):
            if who == p.pk:
                rows.append({"assessment": _assessment(a), "action": what, "when": when})
    return Section(
        "assessments",
        gettext_lazy("Assessments started, submitted or withdrawn"),
        gettext_lazy("Assessments the person started, last submitted or withdrawn."),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("action", gettext_lazy("What")),
            ("when", gettext_lazy("When")),
        ),
        rows,
    )


def _answers(p: User, fws: _Frameworks) -> Section:
    found = (
        Answer.objects.filter(updated_by=p)
        .select_related("item", "assessment__issuer", "assessment__cohort")
        .order_by("assessment_id", "item__position")
    )
    return Section(
        "answers",
        gettext_lazy("Answers last changed by the person"),
        gettext_lazy(
            "Current answers whose latest change the person made, with their notes. The "
            "answers belong to the company's assessment."
        ),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("question", gettext_lazy("Question")),
            ("answer", gettext_lazy("Answer")),
            ("note", gettext_lazy("Note")),
            ("confidence", gettext_lazy("Confidence")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(a.assessment),
                "question": fws.question(a.assessment, a.item.code),
                "answer": fws.answer(a.assessment, a.item.code, a),
                "note": a.note,
                "confidence": _label(Confidence, a.confidence),
                "when": a.updated_at,
            }
            for a in found
        ],
    )


def _revisions(p: User, fws: _Frameworks) -> Section:
    found = (
        AnswerRevision.objects.filter(user=p)
        .select_related("answer__item", "answer__assessment__issuer", "answer__assessment__cohort")
        .order_by("created_at", "pk")
    )
    return Section(
        "answer_changes",
        gettext_lazy("Every answer change by the person"),
        gettext_lazy(
            "The history of answers and notes the person saved, including proposals kept "
            "aside when a colleague saved first."
        ),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("question", gettext_lazy("Question")),
            ("answer", gettext_lazy("Answer")),
            ("note", gettext_lazy("Note")),
            ("saved", gettext_lazy("Saved")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(r.answer.assessment),
                "question": fws.question(r.answer.assessment, r.answer.item.code),
                "answer": fws.answer(r.answer.assessment, r.answer.item.code, r),
                "note": r.note,
                "saved": r.applied,
                "when": r.created_at,
            }
            for r in found
        ],
    )


def _comments(p: User, fws: _Frameworks) -> Section:
    found = (
        ReviewComment.objects.filter(author=p)
        .select_related("item", "assessment__issuer", "assessment__cohort")
        .order_by("created_at", "pk")
    )
    return Section(
        "review_comments",
        gettext_lazy("Review comments"),
        gettext_lazy("Comments the person wrote as a reviewer."),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("question", gettext_lazy("Question")),
            ("text", gettext_lazy("Comment")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(c.assessment),
                "question": fws.question(c.assessment, c.item.code)
                if c.item
                else _("The assessment as a whole"),
                "text": c.text,
                "when": c.created_at,
            }
            for c in found
        ],
    )


def _status_changes(p: User) -> Section:
    found = (
        StatusChange.objects.filter(user=p)
        .select_related("assessment__issuer", "assessment__cohort")
        .order_by("created_at", "pk")
    )
    return Section(
        "status_changes",
        gettext_lazy("Status changes"),
        gettext_lazy("Submissions, approvals and returns the person made, with their message."),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("from", gettext_lazy("From")),
            ("to", gettext_lazy("To")),
            ("note", gettext_lazy("Message")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(c.assessment),
                "from": _label(AssessmentStatus, c.from_status),
                "to": _label(AssessmentStatus, c.to_status),
                "note": c.note,
                "when": c.created_at,
            }
            for c in found
        ],
    )


def _calendar_changes(p: User) -> Section:
    found = (
        CalendarChange.objects.filter(user=p)
        .select_related("assessment__issuer", "assessment__cohort")
        .order_by("created_at", "pk")
    )
    return Section(
        "calendar_changes",
        gettext_lazy("Calendar changes"),
        gettext_lazy("Extensions, withdrawals and reinstatements the person decided."),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("change", gettext_lazy("Change")),
            ("until", gettext_lazy("Until")),
            ("note", gettext_lazy("Reason")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(c.assessment),
                "change": _label(CalendarChange.Kind, c.kind),
                "until": c.until,
                "note": c.note,
                "when": c.created_at,
            }
            for c in found
        ],
    )


def _reports(p: User) -> Section:
    found = (
        Report.objects.filter(requested_by=p)
        .select_related("assessment__issuer", "assessment__cohort")
        .order_by("requested_at", "pk")
    )
    return Section(
        "reports_requested",
        gettext_lazy("Reports requested"),
        gettext_lazy("PDF reports the person last asked for."),
        _cols(
            ("assessment", gettext_lazy("Assessment")),
            ("language", gettext_lazy("Language")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "assessment": _assessment(r.assessment),
                "language": {"en": "English", "zh-hant": "繁體中文"}.get(r.language, r.language),
                "when": r.requested_at,
            }
            for r in found
        ],
    )


def _account_events(p: User) -> Section:
    found = AccountEvent.objects.filter(user=p).select_related("actor").order_by("created_at")
    return Section(
        "account_events",
        gettext_lazy("Account audit trail"),
        gettext_lazy(
            "Security and personal-data events of the account (second factor, API tokens, "
            "exports like this one), with who did it and from which address."
        ),
        _cols(
            ("event", gettext_lazy("Event")),
            ("by", gettext_lazy("Done by")),
            ("details", gettext_lazy("Details")),
            ("ip_address", gettext_lazy("IP address")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "event": e.kind_label,
                "by": e.actor.display_name if e.actor else "",
                "details": e.detail,
                "ip_address": e.ip_address,
                "when": e.created_at,
            }
            for e in found
        ],
    )


def _admin_log(p: User) -> Section:
    about = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(p.pk))
    found = (
        LogEntry.objects.filter(Q(user=p) | about)
        .select_related("user", "content_type")
        .order_by("action_time", "pk")
    )
    return Section(
        "admin_log",
        gettext_lazy("Administration history"),
        gettext_lazy(
            "Changes made in the administration site to the person's account, and changes "
            "the person made there."
        ),
        _cols(
            ("by", gettext_lazy("Done by")),
            ("record", gettext_lazy("Record")),
            ("change", gettext_lazy("Change")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "by": e.user.display_name,
                "record": e.object_repr,
                "change": str(e),
                "when": e.action_time,
            }
            for e in found
        ],
    )


def _emails(p: User) -> Section:
    found = SentEmail.objects.filter(Q(user_id=p.pk) | Q(recipient__iexact=p.email)).order_by(
        "created_at", "pk"
    )
    return Section(
        "emails",
        gettext_lazy("E-mails sent"),
        gettext_lazy("Every e-mail the service sent or tried to send to the person."),
        _cols(
            ("to", gettext_lazy("To")),
            ("subject", gettext_lazy("Subject")),
            ("language", gettext_lazy("Language")),
            ("delivery", gettext_lazy("Delivery")),
            ("when", gettext_lazy("When")),
        ),
        [
            {
                "to": e.recipient,
                "subject": e.subject,
                "language": e.language_label,
                "delivery": e.get_status_display(),
                "when": e.created_at,
            }
            for e in found
        ],
    )


def _logins(p: User) -> Section:
    """django-axes keeps sign-ins (AccessLog), failed attempts counted for the lockout
    (AccessAttempt) and, when switched on, every failure (AccessFailureLog), by address."""
    email = p.email
    rows: list[dict[str, Any]] = []
    for model, what in (
        (AccessLog, _("Signed in")),
        (AccessAttempt, _("Failed sign-in attempts")),
        (AccessFailureLog, _("Failed sign-in")),
    ):
        query: QuerySet[Any] = model.objects.filter(username__iexact=email)
        for a in query.order_by("attempt_time"):
            rows.append(
                {
                    "what": what,
                    "failures": getattr(a, "failures_since_start", None),
                    "ip_address": a.ip_address,
                    "browser": a.user_agent,
                    "when": a.attempt_time,
                }
            )
    rows.sort(key=lambda r: r["when"])
    return Section(
        "sign_ins",
        gettext_lazy("Sign-ins and failed attempts"),
        gettext_lazy(
            "Sign-ins and failed sign-in attempts with this e-mail address, from which "
            "address and browser (kept for the login throttle)."
        ),
        _cols(
            ("what", gettext_lazy("What")),
            ("failures", gettext_lazy("Failures")),
            ("ip_address", gettext_lazy("IP address")),
            ("browser", gettext_lazy("Browser")),
            ("when", gettext_lazy("When")),
        ),
        rows,
    )


def personal_data(*, person: User) -> PersonalData:
    """Everything held about `person`, in the active language."""
    fws = _Frameworks()
    builders: list[Callable[[], Section]] = [
        lambda: _account(person),
        lambda: _memberships(person),
        lambda: _reviewer_of(person),
        lambda: _assessments_acted(person),
        lambda: _answers(person, fws),
        lambda: _revisions(person, fws),
        lambda: _comments(person, fws),
        lambda: _status_changes(person),
        lambda: _calendar_changes(person),
        lambda: _reports(person),
        lambda: _account_events(person),
        lambda: _admin_log(person),
        lambda: _emails(person),
        lambda: _logins(person),
    ]
    return PersonalData(person, timezone.now(), [build() for build in builders])
