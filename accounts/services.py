from __future__ import annotations

import datetime
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from functools import partial
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.mail import mail_send
from core.models import EmailKind

from . import mfa
from .access import (
    can_add_contact,
    can_invite_colleague,
    can_resend_invitation,
    can_reset_second_factor,
    is_admin,
)
from .models import (
    AccountEvent,
    AccountEventKind,
    Issuer,
    Membership,
    MembershipRole,
    RecoveryCode,
    RecoveryCodes,
    User,
)
from .throttle import client_ip

logger = logging.getLogger(__name__)


def account_event_record(
    *,
    user: User,
    kind: AccountEventKind,
    actor: User | None = None,
    detail: Mapping[str, Any] | None = None,
    request: Any = None,
) -> AccountEvent:
    """Write one row of the account audit trail. `actor` defaults to the person themselves;
    `request` (optional) gives the client address as the login throttle sees it. `detail`
    must never hold a secret, a code or an answer."""
    return AccountEvent.objects.create(
        user=user,
        actor=actor if actor is not None else user,
        kind=kind,
        detail=dict(detail or {}),
        ip_address=client_ip(request) if request is not None else None,
    )


def user_language_set(*, user: User, language: str, request: Any = None) -> None:
    """Remember the language a signed-in user chose, for every device they use (and for
    their e-mails); a change is in their account's audit trail."""
    if user.language != language:
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        account_event_record(
            user=user,
            kind=AccountEventKind.LANGUAGE_CHANGED,
            detail={"from": before, "to": language},
            request=request,
        )


class ContactNotAllowed(ValueError):
    """The address belongs to the association's own staff, who act for no issuer."""


class InvitationNotNeeded(ValueError):
    """The contact has already accepted (or was deactivated): nothing to resend."""


def issuer_switch(*, user: User, issuer: Issuer) -> None:
    """Act for another of one's issuers: the selected issuer and the role there follow
    the membership, so "my home" and "my team" show that company."""
    membership = user.memberships_active().get(issuer.pk)
    if not user.is_active or not user.is_issuer_staff or membership is None:
        raise PermissionDenied
    if (user.issuer_id, user.role) != (issuer.pk, membership.role):
        user.issuer, user.role = issuer, membership.role
        user.save(update_fields=["issuer", "role"])


@transaction.atomic
def issuer_contact_add(
    *,
    issuer: Issuer,
    email: str,
    full_name: str,
    role: str,
    invited_by: User,
    base_url: str,
    context: Mapping[str, Any] | None = None,
) -> tuple[Membership, bool]:
    """Make the owner of `email` a contact of `issuer`; returns the membership and whether
    an account was created. `context` may name the `cohort` and its `deadline` for the
    invitation e-mail. Every e-mail goes once the transaction commits.

    - A new address gets an account without a password, an active membership and an
      invitation (a link to choose a password).
    - An existing account added by the association (e.g. a company-secretarial firm
      serving two issuers) gets an active membership at once and is told by e-mail.
    - An existing account a lead asks for gets a pending membership that grants nothing
      until its owner accepts it, and its owner an e-mail; the lead's page looks the same
      as for a new address, so it reveals nothing about who has an account.
    """
    if not can_add_contact(user=invited_by, issuer=issuer):
        raise PermissionDenied
    if role not in MembershipRole.values or (
        not is_admin(invited_by) and role != MembershipRole.CONTRIBUTOR
    ):
        raise PermissionDenied
    address = email.strip().lower()
    context = dict(context or {})
    now = timezone.now()
    user = User.objects.filter(email__iexact=address).first()
    if user is None:
        user = User.objects.create_user(
            address, None, full_name=full_name.strip(), role=role, issuer=issuer
        )
        membership = Membership.objects.get(user=user, issuer=issuer)
        membership.invited_by, membership.invited_at = invited_by, now
        membership.invited_name = full_name.strip()
        membership.save(update_fields=["invited_by", "invited_at", "invited_name"])
        _on_commit_send(membership=membership, base_url=base_url, context=context)
        return membership, True
    if is_admin(invited_by) and not user.is_issuer_staff:
        raise ContactNotAllowed(address)
    membership, created = Membership.objects.get_or_create(
        user=user,
        issuer=issuer,
        defaults={
            "role": role,
            "is_active": False,
            "invited_by": invited_by,
            "invited_at": now,
            "invited_name": full_name.strip(),
        },
    )
    if is_admin(invited_by) and not membership.is_active:
        # The association vouches for the person: no acceptance step.
        membership.is_active = True
        if user.has_usable_password() and membership.accepted_at is None:
            membership.accepted_at = now
        membership.save(update_fields=["is_active", "accepted_at"])
        _on_commit_send(membership=membership, base_url=base_url, context=context)
    elif created:
        _on_commit_send(membership=membership, base_url=base_url, context=context)
    return membership, False


def colleague_invite(*, lead: User, email: str, full_name: str, base_url: str) -> None:
    """The lead adds a contributor to their issuer (see `issuer_contact_add`: an address
    that already has an account is asked to accept, and the lead cannot tell)."""
    if not can_invite_colleague(user=lead) or lead.issuer is None:
        raise PermissionDenied
    issuer_contact_add(
        issuer=lead.issuer,
        email=email,
        full_name=full_name,
        role=MembershipRole.CONTRIBUTOR,
        invited_by=lead,
        base_url=base_url,
    )


def membership_accept(*, user: User, membership: Membership) -> None:
    """The owner accepts a lead's invitation to act for one more issuer."""
    if membership.user_id != user.pk or not user.is_active or not user.is_issuer_staff:
        raise PermissionDenied
    if membership.is_pending:
        membership.is_active, membership.accepted_at = True, timezone.now()
        membership.save(update_fields=["is_active", "accepted_at"])
        user.memberships_forget()


def invitation_opened(*, user: User) -> None:
    """The invitation link was opened (a valid password link): note it once."""
    Membership.objects.filter(
        user=user, accepted_at__isnull=True, invitation_opened_at__isnull=True
    ).update(invitation_opened_at=timezone.now())


def invitation_accepted(*, user: User) -> None:
    """A password was chosen through the link: every active membership is accepted."""
    Membership.objects.filter(user=user, is_active=True, accepted_at__isnull=True).update(
        accepted_at=timezone.now()
    )


def invitation_resend(
    *,
    membership: Membership,
    by: User,
    base_url: str,
    context: Mapping[str, Any] | None = None,
) -> bool:
    """Send a contact's invitation again (a fresh link, with its expiry); False if the
    mail server refused it (logged). Refused with `InvitationNotNeeded` once accepted or
    for a deactivated account."""
    if not can_resend_invitation(user=by):
        raise PermissionDenied
    user = membership.user
    if not user.is_active or (membership.accepted_at is not None and user.has_usable_password()):
        raise InvitationNotNeeded(user.email)
    membership.invited_at = timezone.now()
    membership.save(update_fields=["invited_at"])
    return membership_mail_send(
        membership=membership, base_url=base_url, context=dict(context or {})
    )


def invitations_resend_pending(
    *,
    issuer_ids: Iterable[int],
    by: User,
    base_url: str,
    context: Mapping[str, Any] | None = None,
) -> int:
    """Resend every not yet accepted invitation of these issuers' contacts; how many went
    out (a refused one is logged as failed and does not stop the others)."""
    if not can_resend_invitation(user=by):
        raise PermissionDenied
    pending = (
        Membership.objects.filter(issuer_id__in=list(issuer_ids), user__is_active=True)
        # Not accepted, or accepted by an account that can no longer sign in (as
        # `selectors.contact_status` counts it).
        .filter(
            Q(accepted_at__isnull=True) | Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
        )
        .select_related("user", "issuer")
        .order_by("pk")
    )
    sent = 0
    for membership in pending:
        sent += invitation_resend(membership=membership, by=by, base_url=base_url, context=context)
    return sent


def password_link(*, user: User, base_url: str) -> tuple[str, datetime.datetime]:
    """A single-use link to choose a password (Django's password-reset link, so nobody
    ever receives a password by e-mail) and when it stops working."""
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return link, timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def _on_commit_send(*, membership: Membership, base_url: str, context: dict[str, Any]) -> None:
    # Only once committed: never invite into a rolled-back account or membership; and a
    # failed send (logged by mail_send) must not fail the enrolment that caused it.
    transaction.on_commit(
        partial(membership_mail_send, membership=membership, base_url=base_url, context=context),
        robust=True,
    )


def membership_mail_send(
    *, membership: Membership, base_url: str, context: Mapping[str, Any]
) -> bool:
    """The e-mail that fits where the membership stands, in the recipient's language (both
    when unknown), through the e-mail log (`core.mail.mail_send`; a cohort's invitations
    are listed in its log). False when it could not be sent (logged as failed).

    - no password chosen yet: the invitation, with a link and when it expires;
    - a lead's invitation of an existing account: how to accept it;
    - otherwise (the association added an existing account): a notice with the login link.
    """
    user, issuer = membership.user, membership.issuer
    if not user.is_active:
        return False  # a deactivated account is not invited back by e-mail
    inviter = membership.invited_by
    root = base_url.rstrip("/")
    ctx: dict[str, Any] = {
        **context,
        "issuer": issuer,
        "recipient_name": user.full_name,
        # A lead names themselves; the association's staff speak as the association.
        "inviter": inviter.display_name if inviter and inviter.is_issuer_staff else "",
        "login": root + reverse("login"),
        "reset": root + reverse("password_reset"),
        "accept": root + reverse("memberships"),
    }
    kind = EmailKind.INVITATION
    if membership.is_pending:
        name = "membership_offer" if user.is_issuer_staff else "account_exists"
        kind = EmailKind.INVITATION if user.is_issuer_staff else EmailKind.ACCOUNT_EXISTS
    elif not user.has_usable_password():
        name = "invite"
        ctx["link"], ctx["expires"] = password_link(user=user, base_url=base_url)
    else:
        name = "membership_added"
    cohort = context.get("cohort")
    try:
        return mail_send(
            to=user.email,
            kind=kind,
            template=f"accounts/email/{name}",
            context=ctx,
            language=user.language,
            # The round's e-mail log lists it (the scope cohorts.notifications uses).
            scope=f"cohort:{cohort.pk}" if cohort is not None else "",
            user_id=user.pk,
        )
    except Exception as exc:  # noqa: BLE001 - logged as failed by mail_send
        logger.warning("invitation e-mail to user %s failed: %s", user.pk, exc)
        return False


def user_sessions_end(*, user: User) -> int:
    """Delete every stored session of `user` (all devices); returns how many.

    A deactivated user is already anonymous on their next request (ModelBackend.get_user
    refuses inactive users), but the session rows would survive and become valid again
    if the account were reactivated. Deleting them makes deactivation final.

    Sessions are signed blobs, not queryable by user, so this reads every unexpired one:
    fine for this service's few thousand sessions and an admin action that is rare.
    Only database-backed engines (db, cached_db) can be enumerated; with any other
    engine the per-request check above is the only guard.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    wanted = str(user.pk)
    rows = (
        store_class.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        .only("session_key", "session_data")
    )
    keys = [
        row.session_key for row in rows.iterator() if row.get_decoded().get(SESSION_KEY) == wanted
    ]
    for key in keys:
        # Through the store, so that cached_db also drops its cached copy.
        store_class(session_key=key).delete()
    return len(keys)


# --- the second factor (accounts/mfa.py) -----------------------------------------------------

RECOVERY_CODE_COUNT = 10
# 31 letters and digits without look-alikes (0/o, 1/l/i): ten of them are ~50 random bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class SecondFactorNeeded(ValueError):
    """The person must keep a second factor: their last one cannot be removed."""


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, key: str, code: str, request: Any = None
) -> tuple[TOTPDevice, list[str] | None]:
    """Add an authenticator app whose secret `key` (hex) the person was shown, once the
    app's current `code` proves they set it up; a wrong code raises ValueError and stores
    nothing. Returns the device and, when the person had no recovery codes, a new set (to
    be shown once)."""
    if not user.is_active:
        raise PermissionDenied
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time()
    code = code.strip()
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        raise ValueError(code)
    device = TOTPDevice.objects.create(
        user=user, name="app", key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
    )
    account_event_record(
        user=user, kind=AccountEventKind.MFA_ENROLLED, detail={"device": "app"}, request=request
    )
    return device, _first_recovery_codes(user=user, request=request)


def _first_recovery_codes(*, user: User, request: Any) -> list[str] | None:
    if mfa.has_recovery_codes(user):
        return None
    return recovery_codes_issue(user=user, request=request)


def second_factor_added(*, user: User, device: Device, request: Any = None) -> None:
    """A security key was registered (by django-otp-webauthn): into the audit trail. The
    page then asks for the first recovery codes (`views.mfa_recovery_codes`, `first`), so
    they are shown in a page of their own rather than lost in a JSON answer."""
    if device.user_id != user.pk:
        raise PermissionDenied
    account_event_record(
        user=user, kind=AccountEventKind.MFA_ENROLLED, detail={"device": "key"}, request=request
    )


@transaction.atomic
def recovery_codes_issue(*, user: User, request: Any = None) -> list[str]:
    """A new set of recovery codes (any earlier set stops working); returns them in plain
    text, the only time they exist outside the person's hands."""
    if not user.is_active:
        raise PermissionDenied
    device, _created = RecoveryCodes.objects.get_or_create(
        user=user, defaults={"name": "recovery", "confirmed": True}
    )
    device.salt = secrets.token_hex(16)
    device.confirmed = True
    device.save(update_fields=["salt", "confirmed"])
    device.codes.all().delete()
    codes = []
    for _n in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=device.digest(code)) for code in codes
    )
    account_event_record(
        user=user,
        kind=AccountEventKind.RECOVERY_CODES_ISSUED,
        detail={"count": len(codes)},
        request=request,
    )
    return codes


def second_factor_check(*, user: User, code: str, request: Any) -> Device | None:
    """The device that accepts `code` (an app's code or a recovery code, each once), or
    None: then the failure is audited and counted by the login lockout (django-axes)."""
    code = code.strip()
    device = _second_factor_match(user=user, code=code)
    if device is None:
        second_factor_failed(user=user, request=request)
        return None
    if isinstance(device, RecoveryCodes):
        account_event_record(
            user=user,
            kind=AccountEventKind.RECOVERY_CODE_USED,
            detail={"remaining": device.remaining()},
            request=request,
        )
    return device


def second_factor_failed(*, user: User, request: Any) -> None:
    """A wrong code or a refused key: in the audit trail, and one more failed login of
    that account from that address for django-axes."""
    account_event_record(user=user, kind=AccountEventKind.MFA_FAILED, request=request)
    mfa.failure_count(request, user)


@transaction.atomic
def _second_factor_match(*, user: User, code: str) -> Device | None:
    if not user.is_active or not code:
        return None
    if code.isdigit() and len(code) <= 8:  # an app's code; recovery codes are 10 long
        apps = TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update()
        for app in apps:
            if app.verify_token(code):
                return app
        return None
    recovery = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
    return recovery if recovery is not None and recovery.verify_token(code) else None


@transaction.atomic
def second_factor_remove(*, user: User, device: Device, request: Any = None) -> None:
    """The person removes one of their apps or keys. Someone who must use a second factor
    keeps at least one; recovery codes go with the last one (they back up a device)."""
    if device.user_id != user.pk or isinstance(device, RecoveryCodes) or not user.is_active:
        raise PermissionDenied
    others = [
        d
        for d in mfa.devices_of(user)
        if not isinstance(d, RecoveryCodes) and d.persistent_id != device.persistent_id
    ]
    if not others and mfa.required_for(user):
        raise SecondFactorNeeded(device.persistent_id)
    kind = "app" if isinstance(device, TOTPDevice) else "key"
    device.delete()
    if not others:
        RecoveryCodes.objects.filter(user=user).delete()
    account_event_record(
        user=user, kind=AccountEventKind.MFA_REMOVED, detail={"device": kind}, request=request
    )


@transaction.atomic
def second_factor_reset(*, user: User, by: User, request: Any = None) -> None:
    """An association admin removes every device of someone who lost theirs: audited, the
    person's sessions end (they sign in again and enrol anew) and they are told by e-mail,
    so a reset is never silent. Nobody resets their own."""
    if not can_reset_second_factor(user=by) or user.pk == by.pk:
        raise PermissionDenied
    for device in mfa.devices_of(user):
        device.delete()
    account_event_record(user=user, kind=AccountEventKind.MFA_RESET, actor=by, request=request)
    user_sessions_end(user=user)
    transaction.on_commit(partial(_second_factor_reset_mail, user=user, by=by), robust=True)


def _second_factor_reset_mail(*, user: User, by: User) -> None:
    root = settings.SITE_URL.rstrip("/")
    try:
        mail_send(
            to=user.email,
            kind=EmailKind.SECOND_FACTOR_RESET,
            template="accounts/email/mfa_reset",
            context={
                "recipient_name": user.full_name,
                "by": by.display_name,
                "when": timezone.now(),
                "login": root + reverse("login"),
            },
            language=user.language,
            user_id=user.pk,
        )
    except Exception as exc:  # noqa: BLE001 - logged as failed by mail_send
        logger.warning("second-factor reset e-mail to user %s failed: %s", user.pk, exc)
