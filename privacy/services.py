"""Personal-data requests: exporting what is held about a person, anonymising one who left.

Both are association-admin actions (`access.can_export_personal_data`,
`access.can_anonymise_person`), re-checked here, and both leave a row in the person's
account audit trail (`DATA_EXPORTED`, `ANONYMISED`) naming the admin as the actor and no
personal detail.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountEventKind, Membership, Role, User
from accounts.services import account_event_record
from assessments import access
from core.models import EmailStatus, SentEmail

from .selectors import PersonalData, personal_data

EXPORT_FORMATS = ("html", "json")
PLACEHOLDER_DOMAIN = "anonymised.invalid"  # RFC 2606: never routable (core.mail refuses it)


def placeholder_email(user_id: int) -> str:
    """The unique, non-routable address an anonymised person keeps (e-mail is the login
    and must stay unique)."""
    return f"former-{user_id}@{PLACEHOLDER_DOMAIN}"


def personal_data_export(
    *, user: User, person: User, fmt: str, request: Any = None
) -> PersonalData:
    """Everything held about `person`, for an admin answering a data access request;
    recorded in the person's audit trail (the format only: no personal detail)."""
    if not access.can_export_personal_data(user=user) or fmt not in EXPORT_FORMATS:
        raise PermissionDenied
    data = personal_data(person=person)
    account_event_record(
        user=person,
        kind=AccountEventKind.DATA_EXPORTED,
        actor=user,
        detail={"format": fmt.upper()},
        request=request,
    )
    return data


class AnonymiseRefused(ValueError):
    """Why this person cannot be anonymised (the message is for the admin)."""


def _refusal(*, user: User, person: User, confirm_email: str) -> str | None:
    if person.pk == user.pk:
        return str(_("You cannot anonymise your own account."))
    if person.anonymised_at is not None:
        return str(_("This person has already been anonymised."))
    if confirm_email.strip().casefold() != person.email.casefold():
        return str(_("The e-mail address typed is not this person's. Nothing was changed."))
    if person.role == Role.ASSOCIATION_ADMIN and person.is_active:
        others = User.objects.select_for_update().filter(
            role=Role.ASSOCIATION_ADMIN, is_active=True
        )
        if not others.exclude(pk=person.pk).exists():
            return str(_("This is the last active association admin: appoint another first."))
    return None


@transaction.atomic
def person_anonymise(*, user: User, person: User, confirm_email: str, request: Any = None) -> None:
    """Replace a person's name and e-mail, end their access and forget their sign-ins,
    keeping everything the company and the association need: answers, notes, comments and
    status changes stay, attributed to "Former staff" (`User.display_name`; "Former staff of
    <issuer>" on that issuer's team page and contacts, `User.name_at`).

    The admin confirms by typing the person's e-mail address. Refused (AnonymiseRefused)
    for oneself, for someone already anonymised and for the last active association admin.
    """
    if not access.can_anonymise_person(user=user):
        raise PermissionDenied
    person = User.objects.select_for_update().get(pk=person.pk)
    refusal = _refusal(user=user, person=person, confirm_email=confirm_email)
    if refusal:
        raise AnonymiseRefused(refusal)
    old_email = person.email
    person.email = placeholder_email(person.pk)
    person.full_name = ""
    person.is_active = person.is_staff = person.is_superuser = False
    person.anonymised_at = timezone.now()
    person.set_unusable_password()
    # Not the selected issuer or role: saving those would re-activate that membership.
    # Saving is_active=False ends every session (accounts.signals).
    person.save(
        update_fields=[
            "email",
            "full_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "anonymised_at",
            "password",
        ]
    )
    Membership.objects.filter(user=person).update(is_active=False, invited_name="")
    person.memberships_forget()
    person.reviewed_cohorts.clear()
    _forget_contact_details(person=person, old_email=old_email)
    account_event_record(user=person, kind=AccountEventKind.ANONYMISED, actor=user, request=request)


def _forget_contact_details(*, person: User, old_email: str) -> None:
    """The e-mail log keeps what was sent (the company's and the association's record),
    to the placeholder; a message not yet sent never will be; sign-in records go."""
    mine = SentEmail.objects.filter(Q(user_id=person.pk) | Q(recipient__iexact=old_email))
    mine.filter(status=EmailStatus.PENDING).update(
        status=EmailStatus.FAILED, error="Not sent: the recipient was anonymised."
    )
    mine.update(recipient=person.email, user_id=person.pk)
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        model.objects.filter(username__iexact=old_email).delete()
    # The admin's history of this account names it as it was called then.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
    ).update(object_repr=f"#{person.pk}")
