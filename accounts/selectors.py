"""Read-side queries of the accounts app."""

from __future__ import annotations

from dataclasses import dataclass

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
