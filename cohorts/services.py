"""Writes of the cohort vertical that are not enrolment's import (enrolment.py) or bulk
reports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Issuer, User
from assessments import access
from assessments.models import FrameworkVersion

from .models import Cohort, CohortStatus


class EnrolmentClosed(Exception):
    """Nobody is enrolled or invited into a Closed cohort (the message says so)."""


def enrolment_open_check(*, cohort: Cohort) -> None:
    """Refuse enrolments and invitations into a Closed cohort (a Planned one takes them:
    the association enrols before the round opens)."""
    if cohort.status == CohortStatus.CLOSED:
        raise EnrolmentClosed(
            _(
                "This round is closed, so no company can be enrolled or invited. Reopen it "
                "on its settings page first, or grant a company an extension instead."
            )
        )


EDITABLE = (
    "name_en",
    "name_zh",
    "slug",
    "year",
    "opens_on",
    "closes_on",
    "status",
    "mfa_required_for_leads",
)
ISSUER_DETAILS = ("name_en", "name_zh", "industry", "board")


@transaction.atomic
def cohort_create(
    *,
    user: User,
    name_en: str,
    name_zh: str,
    slug: str,
    year: int,
    framework: FrameworkVersion,
    opens_on: date,
    closes_on: date,
    status: str,
    reviewers: Iterable[User] = (),
    mfa_required_for_leads: bool = False,
) -> Cohort:
    if not access.can_create_cohort(user=user):
        raise PermissionDenied
    cohort = Cohort(
        mfa_required_for_leads=mfa_required_for_leads,
        name_en=name_en,
        name_zh=name_zh,
        slug=slug,
        year=year,
        framework=framework,
        opens_on=opens_on,
        closes_on=closes_on,
        status=status,
    )
    cohort.full_clean()
    cohort.save()
    cohort.reviewers.set(list(reviewers))
    return cohort


@transaction.atomic
def cohort_update(
    *, cohort: Cohort, user: User, reviewers: Iterable[User] | None = None, **fields: object
) -> Cohort:
    """Change names, dates, status or reviewers; the framework stays (assessments use it)."""
    if not access.can_manage_cohort(user=user, cohort=cohort):
        raise PermissionDenied
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(cohort, name, value)
    cohort.full_clean()
    cohort.save()
    if reviewers is not None:
        cohort.reviewers.set(list(reviewers))
    return cohort


@transaction.atomic
def issuer_details_update(
    *, issuer: Issuer, user: User, cohort: Cohort, details: dict[str, str]
) -> Issuer:
    """Change an issuer's recorded details as the admin accepted them in an enrolment
    preview, each change recorded in the admin's history of the issuer (who, when, what
    was recorded before)."""
    if not access.can_enrol(user=user, cohort=cohort):
        raise PermissionDenied
    unknown = set(details) - set(ISSUER_DETAILS)
    if unknown:
        raise TypeError(f"not a detail an enrolment changes: {', '.join(sorted(unknown))}")
    fields = {name: Issuer._meta.get_field(name) for name in details}

    def shown(name: str, value: str) -> str:
        # Industries and boards by their label, never their code.
        return str(dict(fields[name].flatchoices).get(value, value))  # type: ignore[union-attr]

    message = "; ".join(
        f"{fields[name].verbose_name}: “{shown(name, getattr(issuer, name))}” → "  # type: ignore[union-attr]
        f"“{shown(name, value)}”"
        for name, value in details.items()
    )
    for name, value in details.items():
        setattr(issuer, name, value)
    issuer.full_clean()
    issuer.save(update_fields=list(details))
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[issuer],
        action_flag=CHANGE,
        change_message=_("Enrolment into %(cohort)s: %(changes)s")
        % {"cohort": cohort.name_en, "changes": message},
        single_object=True,
    )
    return issuer
