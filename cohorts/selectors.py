from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User

from .models import Cohort


def cohorts_visible_to(user: User) -> QuerySet[Cohort]:
    """Admins see every cohort, reviewers the cohorts assigned to them, issuers none."""
    if not user.is_authenticated or not user.is_active:
        return Cohort.objects.none()
    if user.role == Role.ASSOCIATION_ADMIN:
        return Cohort.objects.all()
    if user.role == Role.ASSOCIATION_REVIEWER:
        return Cohort.objects.filter(reviewers=user)
    return Cohort.objects.none()


def cohort_for_user(*, user: User, slug: str) -> Cohort:
    try:
        return (
            cohorts_visible_to(user)
            .select_related("framework")
            .defer("framework__content")
            .get(slug=slug)
        )
    except Cohort.DoesNotExist as exc:
        raise Http404 from exc
