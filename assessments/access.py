"""The access policy: who may see and do what, in one place.

Every rule is a keyword-only predicate `can_<action>(user=…, <object>=…) -> bool`, and
views, services and templates all ask these (templates through `AssessmentAccess`,
`CohortAccess` and the `user_can` context flags). Lists are scoped by
`visible_assessments` / `visible_cohorts`, which agree with `can_view` / `can_view_cohort`
row for row. `assessments/tests/test_access.py` states every predicate for every kind of
person and relationship in one table; a new predicate fails there until it has its rows.

Conventions
- Anonymous visitors and deactivated accounts are refused by every rule.
- Seeing an object and acting on it are separate rules: views look objects up through the
  scoped lookups (404 for anything outside one's scope, so ids reveal nothing), then ask
  the action's predicate (403, or a message, as each page does).
- Services re-check the predicate of what they do and raise `PermissionDenied`; they never
  trust that the caller checked. Command-line tools act as the operator and skip them.
- "Who" and "when" differ: `can_answer` and `can_submit` say who; whether the assessment
  is still open is decided under the row lock by the service (`AssessmentLocked`), so a
  second click on "Submit" says "already submitted", not "not allowed". `can_edit` and
  `can_edit_profile` combine both for pages.
- `cohorts` sits above this app, so cohort rules work through relations (`User
  .reviewed_cohorts`, `Assessment.cohort_id`) and take any model instance as the cohort.
- The cohort calendar is a "when" rule too: `answering_window` says whether an
  assessment takes answers today (Hong Kong date), `can_edit` / `can_edit_profile`
  include it, and the write services re-check it under the row lock (`AnsweringClosed`).
"""

from __future__ import annotations

import datetime
import enum
from functools import cached_property
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import (
    Person,
    active,
    can_add_contact,
    can_invite_colleague,
    can_resend_invitation,
    can_reset_second_factor,
    can_view_team,
    is_admin,
    is_association_staff,
    is_reviewer,
    lead_of,
    member_issuer_ids,
    member_of,
)
from accounts.models import Issuer

from .models import Assessment

__all__ = [
    "AssessmentAccess",
    "CohortAccess",
    "UserAccess",
    "Window",
    "answering_window",
    "can_add_contact",
    "can_anonymise_person",
    "can_answer",
    "can_comment",
    "can_confirm_profile",
    "can_create_cohort",
    "can_download_cohort_index_report",
    "can_download_cohort_reports",
    "can_download_report",
    "can_edit",
    "can_edit_profile",
    "can_enrol",
    "can_export",
    "can_export_personal_data",
    "can_invite_colleague",
    "can_list_cohorts",
    "can_manage_calendar",
    "can_manage_cohort",
    "can_request_cohort_index_report",
    "can_request_cohort_reports",
    "can_request_report",
    "can_resend_invitation",
    "can_reset_second_factor",
    "can_review",
    "can_review_submissions",
    "can_send_reminders",
    "can_start",
    "can_start_new",
    "can_submit",
    "can_use_api",
    "can_view",
    "can_view_cohort",
    "can_view_email_log",
    "can_view_history",
    "can_view_invitations",
    "can_view_results",
    "can_view_team",
    "visible_assessments",
    "visible_cohorts",
]

M = TypeVar("M", bound=models.Model)


def _reviews(user: Person | None, cohort_id: int | None) -> bool:
    """A reviewer assigned to that cohort (one small query)."""
    u = active(user)
    if u is None or cohort_id is None or not is_reviewer(u):
        return False
    return u.reviewed_cohorts.filter(pk=cohort_id).exists()


# --- the cohort calendar ---------------------------------------------------------------------

# `cohorts.models.CohortStatus` values (that app sits above this one; a test keeps them equal).
COHORT_PLANNED, COHORT_CLOSED = "planned", "closed"


class Window(enum.Enum):
    """Whether an assessment takes answers today, and if not, why (the page says which)."""

    OPEN = "open"
    NOT_OPEN = "not_open"  # the round has not opened: look, don't answer
    CLOSED = "closed"  # past the deadline, or the round closed, and no extension running
    WITHDRAWN = "withdrawn"  # withdrawn from its round: kept, read-only


def answering_window(*, assessment: Assessment, today: datetime.date | None = None) -> Window:
    """The calendar rule of one assessment on `today` (default: today in Hong Kong).

    Outside any cohort an assessment is always open. In a cohort: closed to answers while
    the cohort is Planned or before its opening date; open until its deadline (inclusive:
    `Assessment.deadline`, the extension if one was granted, else the cohort's closing
    date) while the cohort is Open. An extension that is still running
    (`extended_until` ≥ today) reopens it for this issuer even after the closing date and
    even when the cohort's status is Closed: the association grants one precisely when the
    round is over for everybody else. It never opens a round early.
    """
    if assessment.withdrawn_at is not None:
        return Window.WITHDRAWN
    cohort = assessment.cohort
    if cohort is None:
        return Window.OPEN
    today = today or timezone.localdate()
    if cohort.status == COHORT_PLANNED or today < cohort.opens_on:
        return Window.NOT_OPEN
    if assessment.extended_until is not None and assessment.extended_until >= today:
        return Window.OPEN
    deadline = assessment.deadline
    if cohort.status == COHORT_CLOSED or (deadline is not None and today > deadline):
        return Window.CLOSED
    return Window.OPEN


# --- lists -----------------------------------------------------------------------------------


def visible_assessments(
    *, user: Person | None, queryset: QuerySet[Assessment]
) -> QuerySet[Assessment]:
    """Issuer staff see their issuers' assessments, admins all, reviewers those of the
    cohorts assigned to them, anybody else none."""
    u = active(user)
    if u is None:
        return queryset.none()
    if is_admin(u):
        return queryset
    if is_reviewer(u):
        return queryset.filter(cohort__reviewers=u)
    if u.is_issuer_staff:
        # Every issuer the person acts for, not only the selected one (as `can_view`).
        return queryset.filter(issuer_id__in=member_issuer_ids(u))
    return queryset.none()


def visible_cohorts(*, user: Person | None, queryset: QuerySet[M]) -> QuerySet[M]:
    """Admins see every cohort, reviewers the cohorts assigned to them, issuers none."""
    if is_admin(user):
        return queryset
    if is_reviewer(user):
        return queryset.filter(reviewers=active(user))
    return queryset.none()


# --- one assessment --------------------------------------------------------------------------


def can_view(*, user: Person | None, assessment: Assessment) -> bool:
    """See it at all: the wizard pages read-only, its review page, results and reports."""
    if is_admin(user):
        return True
    if is_reviewer(user):
        return _reviews(user, assessment.cohort_id)
    return member_of(user, assessment.issuer_id) is not None


def can_view_results(*, user: Person | None, assessment: Assessment) -> bool:
    return can_view(user=user, assessment=assessment)


def can_answer(*, user: Person | None, assessment: Assessment) -> bool:
    """Who answers the questionnaire: the issuer's staff, lead and contributors alike
    (whether it is still open: `can_edit`, or `AssessmentLocked` in `answers_save`)."""
    return member_of(user, assessment.issuer_id) is not None


def can_edit(*, user: Person | None, assessment: Assessment) -> bool:
    """Change answers now: a respondent, while the assessment is a draft or returned and
    its cohort's calendar takes answers."""
    return (
        assessment.is_editable
        and answering_window(assessment=assessment) is Window.OPEN
        and can_answer(user=user, assessment=assessment)
    )


def can_confirm_profile(*, user: Person | None, issuer: Issuer) -> bool:
    """Only the issuer's lead confirms its company profile (peer groups depend on it)."""
    return lead_of(user, issuer.pk)


def can_edit_profile(*, user: Person | None, assessment: Assessment) -> bool:
    """The profile step is a form for the lead while the assessment is open (status and
    calendar), else read-only."""
    return (
        assessment.is_editable
        and answering_window(assessment=assessment) is Window.OPEN
        and lead_of(user, assessment.issuer_id)
    )


def can_submit(*, user: Person | None, assessment: Assessment) -> bool:
    """Only the issuer's lead submits (that it is still open is checked under the lock)."""
    return lead_of(user, assessment.issuer_id)


def can_manage_calendar(*, user: Person | None, assessment: Assessment) -> bool:
    """Grant an issuer an extension, withdraw it from its cohort or reinstate it: admins,
    for assessments in a cohort (one outside any cohort has no calendar)."""
    return assessment.cohort_id is not None and is_admin(user)


def can_review(*, user: Person | None, assessment: Assessment) -> bool:
    """Approve or return it: admins everything, reviewers their cohorts' assessments
    (whether it is awaiting review is the service's `ReviewError`)."""
    return is_admin(user) or _reviews(user, assessment.cohort_id)


def can_comment(*, user: Person | None, assessment: Assessment) -> bool:
    """Reviewer comments come from whoever may review it."""
    return can_review(user=user, assessment=assessment)


def can_view_history(*, user: Person | None, assessment: Assessment) -> bool:
    """The full audit trail (every answer change): association staff who can see the
    assessment, and the issuer's lead; contributors see the short trail only."""
    if not can_view(user=user, assessment=assessment):
        return False
    return is_association_staff(user) or lead_of(user, assessment.issuer_id)


def can_request_report(*, user: Person | None, assessment: Assessment) -> bool:
    """Ask for (or regenerate) the PDF: anyone who can see the results."""
    return can_view(user=user, assessment=assessment)


def can_download_report(*, user: Person | None, assessment: Assessment) -> bool:
    return can_view(user=user, assessment=assessment)


# --- no object -------------------------------------------------------------------------------


def can_start(*, user: Person | None) -> bool:
    """Open one's issuer's assessment (`assessment_start` returns the open one)."""
    u = active(user)
    return u is not None and member_of(u, u.issuer_id) is not None


def can_start_new(*, user: Person | None) -> bool:
    """Start a new assessment when none is open: the issuer's lead."""
    u = active(user)
    return u is not None and lead_of(u, u.issuer_id)


def can_review_submissions(*, user: Person | None) -> bool:
    """Has review pages at all (links on the home list, which is scoped so that each row
    it shows passes `can_review`)."""
    return is_association_staff(user)


def can_list_cohorts(*, user: Person | None) -> bool:
    """The Cohorts menu and the list page (scoped by `visible_cohorts`): association staff
    only; issuer staff are refused rather than shown an empty association page."""
    return is_association_staff(user)


def can_create_cohort(*, user: Person | None) -> bool:
    return is_admin(user)


def can_export_personal_data(*, user: Person | None) -> bool:
    """Find anyone with an account and export everything held about them (a PDPO data
    access request): association admins, the data controller's staff. Reviewers and
    issuer staff never learn who else has an account."""
    return is_admin(user)


def can_use_api(*, user: Person | None) -> bool:
    """Hold personal API tokens (create, list, revoke one's own): anyone signed in and
    active. A token reads exactly what its owner's pages show: each endpoint asks the same
    predicates and scoping as the page it mirrors, never this rule."""
    return active(user) is not None


def can_anonymise_person(*, user: Person | None) -> bool:
    """Anonymise a person who left: admins. Whom (not oneself, not the last active admin)
    is the service's `AnonymiseRefused`, as "when" rules are elsewhere."""
    return is_admin(user)


# --- one cohort ------------------------------------------------------------------------------


def can_view_cohort(*, user: Person | None, cohort: models.Model) -> bool:
    """The dashboard: admins every cohort, reviewers the cohorts assigned to them."""
    return is_admin(user) or _reviews(user, cohort.pk)


def can_manage_cohort(*, user: Person | None, cohort: models.Model) -> bool:
    """Change its names, dates, status and reviewers: admins."""
    return is_admin(user)


def can_enrol(*, user: Person | None, cohort: models.Model) -> bool:
    """Enrol issuers (creates issuers, assessments and invited leads): admins."""
    return can_manage_cohort(user=user, cohort=cohort)


def can_send_reminders(*, user: Person | None, cohort: models.Model) -> bool:
    """E-mail a reminder now to every issuer of the cohort that has not submitted: admins,
    who run the round (reviewers only review)."""
    return is_admin(user)


def can_view_email_log(*, user: Person | None, cohort: models.Model) -> bool:
    """The cohort's e-mail log (who was sent what, delivered or failed): admins; it lists
    every company's contacts, which a reviewer has no need to see."""
    return is_admin(user)


def can_view_invitations(*, user: Person | None, cohort: models.Model) -> bool:
    """The cohort's contacts with their invitation status, and resending: admins."""
    return is_admin(user)


def can_export(*, user: Person | None, cohort: models.Model) -> bool:
    """CSV/XLSX of the cohort's results and answers: whoever sees its dashboard."""
    return can_view_cohort(user=user, cohort=cohort)


def can_request_cohort_reports(*, user: Person | None, cohort: models.Model) -> bool:
    """Generate every report of the cohort (each through `can_request_report`)."""
    return can_view_cohort(user=user, cohort=cohort)


def can_download_cohort_reports(*, user: Person | None, cohort: models.Model) -> bool:
    return can_view_cohort(user=user, cohort=cohort)


def can_request_cohort_index_report(*, user: Person | None, cohort: models.Model) -> bool:
    """Generate the cohort's index report (anonymised statistics of its membership, year
    on year): admins and the cohort's reviewers, like its dashboard."""
    return can_view_cohort(user=user, cohort=cohort)


def can_download_cohort_index_report(*, user: Person | None, cohort: models.Model) -> bool:
    """Read the index report (PDF or HTML): whoever may generate it."""
    return can_view_cohort(user=user, cohort=cohort)


# --- flags for templates ---------------------------------------------------------------------


class AssessmentAccess:
    """`can` in assessment pages: `{% if can.edit %}` is `can_edit(user, assessment)`.
    Each flag is computed on first use, so a page pays only for what it shows."""

    def __init__(self, *, user: Person | None, assessment: Assessment) -> None:
        self.user, self.assessment = user, assessment

    @cached_property
    def answer(self) -> bool:
        return can_answer(user=self.user, assessment=self.assessment)

    @cached_property
    def edit(self) -> bool:
        return can_edit(user=self.user, assessment=self.assessment)

    @cached_property
    def edit_profile(self) -> bool:
        return can_edit_profile(user=self.user, assessment=self.assessment)

    @cached_property
    def submit(self) -> bool:
        return can_submit(user=self.user, assessment=self.assessment)

    @cached_property
    def review(self) -> bool:
        return can_review(user=self.user, assessment=self.assessment)

    @cached_property
    def manage_calendar(self) -> bool:
        return can_manage_calendar(user=self.user, assessment=self.assessment)

    @cached_property
    def view_history(self) -> bool:
        return can_view_history(user=self.user, assessment=self.assessment)

    @cached_property
    def request_report(self) -> bool:
        return can_request_report(user=self.user, assessment=self.assessment)


class CohortAccess:
    """`can` in cohort pages: `{% if can.manage %}` is `can_manage_cohort(user, cohort)`."""

    def __init__(self, *, user: Person | None, cohort: models.Model) -> None:
        self.user, self.cohort = user, cohort

    @cached_property
    def manage(self) -> bool:
        return can_manage_cohort(user=self.user, cohort=self.cohort)

    @cached_property
    def enrol(self) -> bool:
        return can_enrol(user=self.user, cohort=self.cohort)

    @cached_property
    def request_cohort_index_report(self) -> bool:
        return can_request_cohort_index_report(user=self.user, cohort=self.cohort)

    @cached_property
    def export(self) -> bool:
        return can_export(user=self.user, cohort=self.cohort)

    @cached_property
    def view_invitations(self) -> bool:
        return can_view_invitations(user=self.user, cohort=self.cohort)

    @cached_property
    def request_reports(self) -> bool:
        return can_request_cohort_reports(user=self.user, cohort=self.cohort)

    @cached_property
    def send_reminders(self) -> bool:
        return can_send_reminders(user=self.user, cohort=self.cohort)

    @cached_property
    def view_email_log(self) -> bool:
        return can_view_email_log(user=self.user, cohort=self.cohort)


class UserAccess:
    """`user_can` in every template (context processor `assessments.context_processors
    .access`): the person's rules that need no object, e.g. `{% if user_can.view_team %}`."""

    def __init__(self, *, user: Person | None) -> None:
        self.user = user

    @cached_property
    def view_team(self) -> bool:
        return can_view_team(user=self.user)

    @cached_property
    def invite_colleague(self) -> bool:
        return can_invite_colleague(user=self.user)

    @cached_property
    def start(self) -> bool:
        return can_start(user=self.user)

    @cached_property
    def start_new(self) -> bool:
        return can_start_new(user=self.user)

    @cached_property
    def review_submissions(self) -> bool:
        return can_review_submissions(user=self.user)

    @cached_property
    def list_cohorts(self) -> bool:
        return can_list_cohorts(user=self.user)

    @cached_property
    def create_cohort(self) -> bool:
        return can_create_cohort(user=self.user)

    @cached_property
    def export_personal_data(self) -> bool:
        return can_export_personal_data(user=self.user)
