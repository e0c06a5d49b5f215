from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Issuer, Membership, User
from accounts.selectors import InvitationRow, issuer_invitations
from assessments import access
from assessments.models import Assessment

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


@dataclass(frozen=True)
class IssuerInvitations:
    issuer: Issuer
    contacts: list[InvitationRow]


def cohort_invitations(*, cohort: Cohort, page: str | None) -> Page[IssuerInvitations]:
    """The cohort's enrolled issuers (50 a page, by stock code), each with its contacts'
    invitations; three queries whatever the page."""
    issuers = (
        Issuer.objects.filter(assessments__cohort=cohort, assessments__withdrawn_at=None)
        .distinct()
        .order_by("stock_code")
    )
    found: Page[Any] = Paginator(issuers, 50).get_page(page)
    contacts = issuer_invitations(issuer_ids=[i.pk for i in found.object_list])
    found.object_list = [IssuerInvitations(i, contacts.get(i.pk, [])) for i in found.object_list]
    return cast("Page[IssuerInvitations]", found)


def cohort_issuer_ids(*, cohort: Cohort) -> list[int]:
    """The issuers enrolled in the cohort (one assessment each), not those withdrawn."""
    return list(
        Assessment.objects.enrolled()
        .filter(cohort=cohort)
        .values_list("issuer_id", flat=True)
        .distinct()
    )


def cohort_contact(*, issuer_ids: list[int], membership_id: str) -> Membership | None:
    """A contact (membership) of one of these issuers by its posted id, or None for
    anything else (not an id, another round's contact)."""
    if not (membership_id.isascii() and membership_id.isdigit()):
        return None
    return (
        Membership.objects.filter(pk=int(membership_id), issuer_id__in=issuer_ids)
        .select_related("user", "issuer")
        .first()
    )


def comparable_cohorts(*, user: User, cohort: Cohort) -> QuerySet[Cohort]:
    """The cohorts the dashboard may compare `cohort` with: the others `user` may see."""
    return cohorts_visible_to(user).exclude(pk=cohort.pk).order_by("-year", "slug")
