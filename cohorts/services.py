"""Writes of the cohort vertical that are not enrolment (enrolment.py) or bulk reports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from assessments import access
from assessments.models import FrameworkVersion

from .models import Cohort

EDITABLE = ("name_en", "name_zh", "slug", "year", "opens_on", "closes_on", "status")


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
) -> Cohort:
    if not access.can_create_cohort(user=user):
        raise PermissionDenied
    cohort = Cohort(
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
