"""The e-mails of a programme round: deadline reminders and what the review workflow and
enrolment tell people (returned, resubmitted, approved, enrolled into a new round).

Every message goes through `core.mail.mail_send`, so it is in the recipient's language
(both when unknown), logged in `SentEmail` under the cohort's scope (`cohort_scope`) and
sent at most once a day per reason: a task that runs twice, a retry after a transient
error, or an admin who clicks twice sends nothing more. Contacts are read only through
`accounts.selectors.issuer_contacts`.

Tasks (`tasks.py`) call the `*_notify` / `reminders_send` functions with ids; the
functions re-read everything, so a message describes the state when it is sent.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import Contact, InvitationStatus, issuer_contacts
from assessments import access
from assessments.models import EDITABLE_STATUSES, Assessment, StatusChange
from core.mail import mail_error_is_transient, mail_send, site_link
from core.models import EmailKind, SentEmail

from .models import Cohort, CohortStatus

logger = logging.getLogger(__name__)


def cohort_scope(cohort_id: int) -> str:
    """The `SentEmail.scope` of a cohort's messages: what its e-mail log lists. Lower
    apps that send for a cohort (invitations at enrolment) write the same string."""
    return f"cohort:{cohort_id}"


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str  # "" unknown: both languages
    user_id: int | None
    name: str


@dataclass
class Outcome:
    """What one run sent. `retry`: a send failed for a reason that may pass (the server
    was unreachable or said "try later"); the task tries again, and the log keeps those
    already sent from going twice."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retry: bool = False

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.retry = self.retry or other.retry


def _deliver(
    outcome: Outcome,
    recipients: Iterable[Recipient],
    *,
    kind: str,
    template: str,
    context: Mapping[str, Any],
    reason: str,
    cohort_id: int,
    on_date: datetime.date | None = None,
) -> Outcome:
    for person in recipients:
        try:
            sent = mail_send(
                to=person.email,
                kind=kind,
                template=template,
                context={**context, "recipient_name": person.name},
                language=person.language,
                reason=reason,
                scope=cohort_scope(cohort_id),
                user_id=person.user_id,
                on_date=on_date,
            )
        # mail_send has logged the failure (failed, with the error); one refused address
        # must not keep the message from the others.
        except Exception as exc:  # noqa: BLE001
            logger.warning("%s e-mail to user %s failed: %s", kind, person.user_id, exc)
            outcome.failed += 1
            outcome.retry = outcome.retry or mail_error_is_transient(exc)
        else:
            if sent:
                outcome.sent += 1
            else:
                outcome.skipped += 1
    return outcome


# --- who ------------------------------------------------------------------------------------


def _from_contact(contact: Contact) -> Recipient:
    return Recipient(
        email=contact.email,
        language=contact.language,
        user_id=contact.user_id,
        name=contact.full_name,
    )


def _contacts(issuer_id: int) -> list[Contact]:
    return issuer_contacts(issuer_ids=[issuer_id]).get(issuer_id, [])


def _leads(issuer_id: int) -> list[Recipient]:
    return [
        _from_contact(c)
        for c in _contacts(issuer_id)
        if c.is_lead and c.status != InvitationStatus.INACTIVE
    ]


def _reviewers(cohort: Cohort) -> list[Recipient]:
    """The cohort's reviewers; the association's admins when it has none (they review
    then, as the access policy lets them)."""
    people: QuerySet[User] = cohort.reviewers.filter(is_active=True)
    if not people.exists():
        people = User.objects.filter(role=Role.ASSOCIATION_ADMIN, is_active=True)
    return [
        Recipient(email=u.email, language=u.language, user_id=u.pk, name=u.full_name)
        for u in people.order_by("email")
    ]


# --- the review workflow and enrolment --------------------------------------------------------


def _assessment(assessment_id: int) -> Assessment | None:
    return (
        Assessment.objects.select_related("issuer", "cohort")
        .filter(pk=assessment_id, cohort__isnull=False)
        .first()
    )


def _context(assessment: Assessment, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": assessment.issuer,
        "cohort": assessment.cohort,
        "deadline": assessment.deadline,
        "assessment_link": site_link(reverse("assessments:detail", args=[assessment.pk])),
        "new_link": site_link(reverse("password_reset")),
        **extra,
    }


def _change(assessment_id: int, change_id: int) -> StatusChange | None:
    return StatusChange.objects.filter(pk=change_id, assessment_id=assessment_id).first()


def returned_notify(*, assessment_id: int, change_id: int) -> Outcome:
    """Tell the issuer's lead(s) what the reviewer asked to change, and by when."""
    assessment, change = _assessment(assessment_id), _change(assessment_id, change_id)
    if assessment is None or change is None:
        return Outcome()
    return _deliver(
        Outcome(),
        _leads(assessment.issuer_id),
        kind=EmailKind.RETURNED,
        template="cohorts/email/returned",
        context=_context(assessment, note=change.note),
        reason=f"returned:a{assessment.pk}:s{change.pk}",
        cohort_id=assessment.cohort_id or 0,
    )


def resubmitted_notify(*, assessment_id: int, change_id: int) -> Outcome:
    """Tell the cohort's reviewers that a company they returned has submitted again."""
    assessment, change = _assessment(assessment_id), _change(assessment_id, change_id)
    if assessment is None or change is None or assessment.cohort is None:
        return Outcome()
    link = site_link(reverse("assessments:review_submission", args=[assessment.pk]))
    return _deliver(
        Outcome(),
        _reviewers(assessment.cohort),
        kind=EmailKind.RESUBMITTED,
        template="cohorts/email/resubmitted",
        context=_context(assessment, review_link=link),
        reason=f"resubmitted:a{assessment.pk}:s{change.pk}",
        cohort_id=assessment.cohort.pk,
    )


def approved_notify(*, assessment_id: int, change_id: int) -> Outcome:
    """Tell the issuer's lead(s) the assessment was approved and where the results are."""
    assessment, change = _assessment(assessment_id), _change(assessment_id, change_id)
    if assessment is None or change is None:
        return Outcome()
    link = site_link(reverse("reports:results", args=[assessment.pk]))
    return _deliver(
        Outcome(),
        _leads(assessment.issuer_id),
        kind=EmailKind.APPROVED,
        template="cohorts/email/approved",
        context=_context(assessment, results_link=link),
        reason=f"approved:a{assessment.pk}:s{change.pk}",
        cohort_id=assessment.cohort_id or 0,
    )


def enrolled_notify(*, assessment_id: int) -> Outcome:
    """Tell an enrolled issuer's existing contacts (accounts already in use) about the new
    round. A contact who has not accepted an invitation yet is left out: a new one gets
    the invitation instead, which says the same and carries the link they need."""
    assessment = _assessment(assessment_id)
    if assessment is None:
        return Outcome()
    # Only those who were contacts before this enrolment: one added by the same import
    # (an address that already acts for another company) is told by its own notice.
    people = [
        _from_contact(c)
        for c in _contacts(assessment.issuer_id)
        if c.status == InvitationStatus.ACCEPTED
        and c.invited_at is not None
        and c.invited_at < assessment.created_at
    ]
    return _deliver(
        Outcome(),
        people,
        kind=EmailKind.ENROLLED,
        template="cohorts/email/enrolled",
        context=_context(assessment),
        reason=f"enrolled:a{assessment.pk}",
        cohort_id=assessment.cohort_id or 0,
    )


def enrolled_announce(*, assessment: Assessment) -> None:
    """Called by enrolment for each newly enrolled issuer: once the enrolment is committed,
    have the worker tell its existing contacts."""
    from .tasks import notify_enrolled_task

    transaction.on_commit(lambda: notify_enrolled_task.delay(assessment.pk), robust=True)


# --- deadline reminders -----------------------------------------------------------------------


def reminder_days() -> list[int]:
    """Days before the deadline a reminder goes out (0: on the day), latest first."""
    return sorted({int(n) for n in settings.REMINDER_DAYS_BEFORE if int(n) >= 0}, reverse=True)


@dataclass(frozen=True)
class ReminderRow:
    """One issuer that has not submitted, and its reminder on the day asked about."""

    assessment: Assessment
    deadline: datetime.date
    days_left: int  # negative: the deadline has passed
    due: int | None  # the scheduled reminder due that day (days before), or None
    next_on: datetime.date | None  # the next scheduled reminder after that day
    recipients: list[Recipient] = field(default_factory=list)


def _not_submitted() -> QuerySet[Assessment]:
    # An issuer withdrawn from its cohort gets no reminder (until reinstated).
    return (
        Assessment.objects.enrolled()
        .filter(cohort__isnull=False, status__in=EDITABLE_STATUSES)
        .select_related("issuer", "cohort")
        .order_by("cohort__slug", "issuer__stock_code")
    )


def _rows(assessments: Iterable[Assessment], *, on: datetime.date) -> list[ReminderRow]:
    assessments = list(assessments)
    contacts = issuer_contacts(issuer_ids={a.issuer_id for a in assessments})
    days = reminder_days()
    rows = []
    for a in assessments:
        assert a.cohort is not None
        deadline = a.deadline
        assert deadline is not None  # in a cohort
        left = (deadline - on).days
        schedule = [
            deadline - datetime.timedelta(days=d)
            for d in days
            if deadline - datetime.timedelta(days=d) >= a.cohort.opens_on
        ]
        open_on_day = a.cohort.status == CohortStatus.OPEN and on >= a.cohort.opens_on
        rows.append(
            ReminderRow(
                assessment=a,
                deadline=deadline,
                days_left=left,
                due=left if open_on_day and left in days else None,
                next_on=min((d for d in schedule if d > on), default=None),
                recipients=[
                    _from_contact(c)
                    for c in contacts.get(a.issuer_id, [])
                    if c.status != InvitationStatus.INACTIVE
                ],
            )
        )
    return rows


def not_submitted(*, cohort: Cohort, on: datetime.date) -> list[ReminderRow]:
    """Every issuer of the cohort that has not submitted (in progress or returned), with
    the reminder it gets on `on`, if any: what `cohort_reminders` prints."""
    return _rows(_not_submitted().filter(cohort=cohort), on=on)


def reminders_due(*, on: datetime.date, cohort: Cohort | None = None) -> list[ReminderRow]:
    """Who gets which scheduled reminder on `on` (a Hong Kong date): issuers that have not
    submitted, in open cohorts that have opened, whose deadline is one of
    `REMINDER_DAYS_BEFORE` days away. Pure read; the beat task sends them."""
    wanted = [on + datetime.timedelta(days=d) for d in reminder_days()]
    rows = _not_submitted().filter(
        Q(extended_until__in=wanted) | Q(extended_until__isnull=True, cohort__closes_on__in=wanted),
        cohort__status=CohortStatus.OPEN,
        cohort__opens_on__lte=on,
    )
    if cohort is not None:
        rows = rows.filter(cohort=cohort)
    return [row for row in _rows(rows, on=on) if row.due is not None]


def _remind(rows: Iterable[ReminderRow], *, on: datetime.date) -> Outcome:
    outcome = Outcome()
    for row in rows:
        a = row.assessment
        assert a.cohort_id is not None
        _deliver(
            outcome,
            row.recipients,
            kind=EmailKind.REMINDER,
            template="cohorts/email/reminder",
            context=_context(a, days_left=row.days_left),
            # One reminder per assessment and day, scheduled or asked for by an admin.
            reason=f"reminder:c{a.cohort_id}:a{a.pk}",
            cohort_id=a.cohort_id,
            on_date=on,
        )
    return outcome


def reminders_send(*, on: datetime.date, cohort: Cohort | None = None) -> Outcome:
    """Send the scheduled reminders due on `on` (the beat task, for today)."""
    return _remind(reminders_due(on=on, cohort=cohort), on=on)


def remindable(*, cohort: Cohort, on: datetime.date) -> list[ReminderRow]:
    """Who a reminder sent now reaches: not submitted, deadline not passed, cohort open."""
    if cohort.status != CohortStatus.OPEN or on < cohort.opens_on:
        return []
    return [row for row in not_submitted(cohort=cohort, on=on) if row.days_left >= 0]


def remind_now_send(*, cohort_id: int, on: datetime.date) -> Outcome:
    """The admin's "remind those not submitted" (the task): a reminder to each, today."""
    cohort = Cohort.objects.filter(pk=cohort_id).first()
    if cohort is None:
        return Outcome()
    return _remind(remindable(cohort=cohort, on=on), on=on)


class RemindError(Exception):
    """Nobody can be reminded (the cohort is not open); the message says why."""


def cohort_remind_now(*, cohort: Cohort, user: User) -> int:
    """Have the worker remind every issuer of the cohort that has not submitted, now (once
    a day per issuer, whoever asks). Returns how many issuers that is."""
    if not access.can_send_reminders(user=user, cohort=cohort):
        raise PermissionDenied
    on = timezone.localdate()
    if cohort.status != CohortStatus.OPEN or on < cohort.opens_on:
        raise RemindError
    rows = remindable(cohort=cohort, on=on)
    if rows:
        from .tasks import remind_now_task

        transaction.on_commit(lambda: remind_now_task.delay(cohort.pk, on.isoformat()), robust=True)
    return len(rows)


# --- the log ----------------------------------------------------------------------------------


def email_log(*, cohort: Cohort) -> QuerySet[SentEmail]:
    """The cohort's e-mails, newest first (paginate it)."""
    return SentEmail.objects.filter(scope=cohort_scope(cohort.pk)).order_by("-created_at", "-pk")
