"""Read-side queries of the accounts app."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .models import AccountEvent, Issuer, Membership, RecoveryCodes, Role, User


@dataclass(frozen=True)
class TeamRow:
    full_name: str
    email: str
    role: str  # a Role value
    status: str  # "active" | "invited" | "inactive"

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


def team_of(issuer: Issuer) -> list[TeamRow]:
    """The issuer's people and its pending invitations, as the team page lists them.

    A lead's invitation of an address that already had an account (a pending membership)
    is listed exactly like a newly invited colleague who has not chosen a password yet.
    """
    rows = [
        TeamRow(
            full_name=m.invited_name
            if m.is_pending and m.user.anonymised_at is None
            else m.user.name_at(issuer),
            email=m.user.email,
            role=m.role,
            status="inactive"
            if not m.user.is_active or (not m.is_active and not m.is_pending)
            else ("active" if m.accepted_at is not None else "invited"),
        )
        for m in Membership.objects.filter(issuer=issuer).select_related("user")
    ]
    return sorted(rows, key=lambda r: (r.role, r.full_name, r.email))


def memberships_of(*, user: User) -> list[Membership]:
    """A person's issuers, active and awaiting their acceptance, by company name."""
    found = Membership.objects.filter(user=user).select_related("issuer")
    return sorted(
        (m for m in found if m.is_active or m.is_pending),
        key=lambda m: (not m.is_active, m.issuer.display_name),
    )


class InvitationStatus:
    """Where a contact is in the invitation lifecycle, as the association follows it up.
    Plain strings (not stored): labels come from `INVITATION_STATUS_LABELS`."""

    INVITED = "invited"  # sent, never opened
    OPENED = "opened"  # the link was opened, no password chosen yet
    ACCEPTED = "accepted"  # a password was chosen / the membership was accepted
    INACTIVE = "inactive"  # the account was deactivated


INVITATION_STATUS_LABELS = {
    InvitationStatus.INVITED: _("Invited"),
    InvitationStatus.OPENED: _("Opened the invitation"),
    InvitationStatus.ACCEPTED: _("Accepted"),
    InvitationStatus.INACTIVE: _("Deactivated"),
}


@dataclass(frozen=True)
class Contact:
    """One person who acts for an issuer, as exports, the dashboard, enrolment and
    notifications need them. The one read of "who are this issuer's contacts"."""

    user_id: int
    issuer_id: int
    email: str
    full_name: str
    role: str  # a Role value (issuer lead or contributor)
    language: str  # "" when unknown: e-mails then go in both languages
    status: str  # an InvitationStatus value
    invited_at: datetime.datetime | None
    last_login: datetime.datetime | None

    @property
    def status_label(self) -> str:
        return str(INVITATION_STATUS_LABELS[self.status])

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    @property
    def is_lead(self) -> bool:
        return self.role == Role.ISSUER_LEAD


def contact_status(*, membership: Membership, user: User) -> str:
    """Where a contact stands (an InvitationStatus value)."""
    if not user.is_active or (not membership.is_active and not membership.is_pending):
        return InvitationStatus.INACTIVE
    # Accepted means the person can sign in: an account whose password was since made
    # unusable needs a new link, like someone never activated.
    if membership.accepted_at is not None and user.has_usable_password():
        return InvitationStatus.ACCEPTED
    if membership.invitation_opened_at is not None:
        return InvitationStatus.OPENED
    return InvitationStatus.INVITED


def issuer_contacts(*, issuer_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """Every issuer's contacts, leads first, in one query. Issuers without any are absent.

    Read over memberships: a person serving two issuers is a contact of both, with each
    membership's own role and invitation status.
    """
    ids = list(issuer_ids)
    out: dict[int, list[Contact]] = {}
    if not ids:
        return out
    memberships = (
        Membership.objects.filter(issuer_id__in=ids)
        .select_related("user")
        .only(
            "issuer_id",
            "role",
            "is_active",
            "created_at",
            "invited_at",
            "invitation_opened_at",
            "accepted_at",
            "user__id",
            "user__email",
            "user__full_name",
            "user__role",
            "user__anonymised_at",
            "user__language",
            "user__is_active",
            "user__password",
            "user__last_login",
        )
        .order_by("issuer_id", "-role", "user__email")
    )
    for m in memberships:
        out.setdefault(m.issuer_id, []).append(Contact(**_contact_fields(m)))
    return out


def _contact_fields(m: Membership) -> dict[str, Any]:
    """A membership (with its user) as a Contact's fields; InvitationRow adds its own."""
    u = m.user
    return {
        "user_id": u.pk,
        "issuer_id": m.issuer_id,
        "email": u.email,
        "full_name": u.name_at(m.issuer) if u.anonymised_at else u.full_name,
        "role": m.role,
        "language": u.language,
        "status": contact_status(membership=m, user=u),
        "invited_at": m.invited_at or m.created_at,
        "last_login": u.last_login,
    }


@dataclass(frozen=True, kw_only=True)
class InvitationRow(Contact):
    """One contact's invitation, as the association follows it up (the cohort's
    invitations page): the membership to resend and every date of its lifecycle."""

    membership_id: int
    opened_at: datetime.datetime | None
    accepted_at: datetime.datetime | None

    @property
    def can_resend(self) -> bool:
        return self.status in (InvitationStatus.INVITED, InvitationStatus.OPENED)


def issuer_invitations(*, issuer_ids: Iterable[int]) -> dict[int, list[InvitationRow]]:
    """Every issuer's contacts with their invitation dates, leads first; one query."""
    out: dict[int, list[InvitationRow]] = {}
    memberships = (
        Membership.objects.filter(issuer_id__in=list(issuer_ids))
        .select_related("user")
        .order_by("issuer_id", "-role", "user__email")
    )
    for m in memberships:
        fields = _contact_fields(m)
        if m.is_pending and m.user.anonymised_at is None:
            # the name the lead typed, not the existing account's own
            fields["full_name"] = m.invited_name
        out.setdefault(m.issuer_id, []).append(
            InvitationRow(
                **fields,
                membership_id=m.pk,
                opened_at=m.invitation_opened_at,
                accepted_at=m.accepted_at,
            )
        )
    return out


def account_events_of(*, user: User, limit: int = 50) -> list[AccountEvent]:
    """The person's own audit trail, newest first, for their account page."""
    return list(
        AccountEvent.objects.filter(user=user)
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class SecondFactorStatus:
    """What the account page says about a person's second factor."""

    required: bool
    devices: list[Any]  # confirmed apps and security keys (django-otp devices)
    recovery_left: int | None  # None: no recovery codes issued

    @property
    def enrolled(self) -> bool:
        return bool(self.devices)


def second_factor_status(*, user: User) -> SecondFactorStatus:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from .mfa import required_for

    apps = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"))
    keys = list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))
    recovery = RecoveryCodes.objects.filter(user=user).first()
    return SecondFactorStatus(
        required=required_for(user),
        devices=[*apps, *keys],
        recovery_left=recovery.remaining() if recovery is not None else None,
    )
