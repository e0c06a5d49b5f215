"""Read-side queries of the accounts app."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Issuer, Role, TeamInvitation, User


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

    An invitation of an address that already had an account is listed exactly like a
    newly invited colleague who has not chosen a password yet (see TeamInvitation).
    """
    rows = [
        TeamRow(
            full_name=u.full_name,
            email=u.email,
            role=u.role,
            status="inactive"
            if not u.is_active
            else ("active" if u.has_usable_password() else "invited"),
        )
        for u in User.objects.filter(issuer=issuer)
    ]
    members = {row.email.lower() for row in rows}
    rows += [
        TeamRow(
            full_name=i.full_name, email=i.email, role=Role.ISSUER_CONTRIBUTOR, status="invited"
        )
        for i in TeamInvitation.objects.filter(issuer=issuer)
        if i.email.lower() not in members
    ]
    return sorted(rows, key=lambda r: (r.role, r.full_name, r.email))


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


def issuer_contacts(*, issuer_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """Every issuer's contacts, leads first, in one query. Issuers without any are absent."""
    ids = list(issuer_ids)
    out: dict[int, list[Contact]] = {}
    if not ids:
        return out
    people = User.objects.filter(issuer_id__in=ids).order_by("issuer_id", "-role", "email")
    for u in people.only(
        "id",
        "issuer_id",
        "email",
        "full_name",
        "role",
        "language",
        "is_active",
        "password",
        "date_joined",
        "last_login",
    ):
        if not u.is_active:
            status = InvitationStatus.INACTIVE
        elif u.has_usable_password():
            status = InvitationStatus.ACCEPTED
        else:
            status = InvitationStatus.INVITED
        assert u.issuer_id is not None
        out.setdefault(u.issuer_id, []).append(
            Contact(
                user_id=u.pk,
                issuer_id=u.issuer_id,
                email=u.email,
                full_name=u.full_name,
                role=u.role,
                language=u.language,
                status=status,
                invited_at=u.date_joined,
                last_login=u.last_login,
            )
        )
    return out
