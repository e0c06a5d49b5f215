from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from assessments import access

from .models import Cohort


def cohorts_visible_to(user: User) -> QuerySet[Cohort]:
    """The cohorts `user` may see (the rule is `access.visible_cohorts`)."""
    return access.visible_cohorts(user=user, queryset=Cohort.objects.all())


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
