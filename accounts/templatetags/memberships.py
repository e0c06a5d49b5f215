"""`{% issuer_choices user as choices %}`: the companies the navbar's switcher offers."""

from __future__ import annotations

from django import template

from accounts.models import Membership, User

register = template.Library()


@register.simple_tag
def issuer_choices(user: object) -> list[Membership]:
    """The person's active memberships by company name, or [] when there is nothing to
    switch between (one company, or not issuer staff). No query beyond the access
    rules' own (`User.memberships_active`, kept for the request)."""
    if not isinstance(user, User) or not user.is_active or not user.is_issuer_staff:
        return []
    found = sorted(user.memberships_active().values(), key=lambda m: m.issuer.display_name)
    return found if len(found) > 1 else []
