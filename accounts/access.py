"""Who a person is, as the access policy needs it, and the rules of the team page.

The access policy is `assessments/access.py`. It lives above `accounts` in the dependency
order, so the few rules that `accounts` itself enforces (the team page, inviting a
colleague) and the role primitives every rule is built from sit here, and
`assessments.access` re-exports them: callers from `assessments` upwards ask that one
module, and its table test covers these too.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .models import Issuer, MembershipRole, Role, User

Person = AbstractBaseUser | AnonymousUser


def active(user: Person | None) -> User | None:
    """The signed-in, active `User`, or None: anonymous visitors and deactivated accounts
    are refused by every rule."""
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def is_admin(user: Person | None) -> bool:
    """An association admin (the data controller's staff, trusted with everything)."""
    u = active(user)
    return u is not None and u.role == Role.ASSOCIATION_ADMIN


def is_reviewer(user: Person | None) -> bool:
    """An association reviewer: sees only the cohorts assigned to them."""
    u = active(user)
    return u is not None and u.role == Role.ASSOCIATION_REVIEWER


def is_association_staff(user: Person | None) -> bool:
    u = active(user)
    return u is not None and u.is_association_staff


def member_issuer_ids(user: Person | None) -> list[int]:
    """The issuers a person acts for through an active membership (none for others)."""
    u = active(user)
    if u is None or not u.is_issuer_staff:
        return []
    return list(u.memberships_active())


def member_of(user: Person | None, issuer_id: int | None) -> User | None:
    """The user if they act for that issuer (lead or contributor) through an active
    membership, whichever issuer they have currently selected. One query per request
    (`User.memberships_active`, kept on the request's user)."""
    u = active(user)
    if u is None or issuer_id is None or issuer_id not in member_issuer_ids(u):
        return None
    return u


def lead_of(user: Person | None, issuer_id: int | None) -> bool:
    """The lead of that issuer (confirms the profile, submits, invites colleagues)."""
    u = member_of(user, issuer_id)
    return u is not None and u.memberships_active()[issuer_id or 0].role == MembershipRole.LEAD


# --- the team page -------------------------------------------------------------------------


def can_view_team(*, user: Person | None) -> bool:
    """Issuer staff see their issuer's people; everyone else gets 404 (no team exists)."""
    u = active(user)
    return u is not None and member_of(u, u.issuer_id) is not None


def can_invite_colleague(*, user: Person | None) -> bool:
    """Only the issuer's lead adds contributors (`colleague_invite`)."""
    u = active(user)
    return u is not None and lead_of(u, u.issuer_id)


# --- invitations -----------------------------------------------------------------------------


def can_add_contact(*, user: Person | None, issuer: Issuer) -> bool:
    """Make someone a contact of an issuer (`issuer_contact_add`): association admins
    (enrolment), and the issuer's lead (as a contributor, through the team page)."""
    return is_admin(user) or lead_of(user, issuer.pk)


def can_resend_invitation(*, user: Person | None) -> bool:
    """Send an invitation again, to one contact or to all not yet accepted: admins."""
    return is_admin(user)


# --- the second factor ---------------------------------------------------------------------


def can_reset_second_factor(*, user: Person | None) -> bool:
    """Remove someone else's second factor after they lost it (audited, e-mailed):
    association admins. `services.second_factor_reset` refuses one's own."""
    return is_admin(user)
