from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.mail import templated_mail_send

from .access import can_invite_colleague
from .models import Role, TeamInvitation, User


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a signed-in user chose, for every device they use."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def colleague_invite(*, lead: User, email: str, full_name: str, base_url: str) -> None:
    """Add a contributor to the lead's issuer and e-mail them a link to choose a password.

    If the address already has an account, nothing about that account changes and its
    owner is told by e-mail instead; the lead sees the same outcome either way, so the form
    cannot be used to find out who has an account (or at which company).
    """
    if not can_invite_colleague(user=lead) or lead.issuer is None:
        raise PermissionDenied
    existing = User.objects.filter(email__iexact=email.strip()).first()
    if existing is not None:
        if existing.issuer_id != lead.issuer_id:
            TeamInvitation.objects.get_or_create(
                issuer=lead.issuer,
                email=existing.email,
                defaults={"full_name": full_name.strip(), "invited_by": lead},
            )
        send_account_exists_notice(user=existing, inviter=lead, base_url=base_url)
        return
    colleague = User.objects.create_user(
        email, None, full_name=full_name.strip(), role=Role.ISSUER_CONTRIBUTOR, issuer=lead.issuer
    )
    send_invitation(user=colleague, inviter=lead.display_name, base_url=base_url)


def send_account_exists_notice(*, user: User, inviter: User, base_url: str) -> None:
    """Tell an account's owner that someone tried to invite their address, in their language."""
    context = {
        "inviter": inviter.display_name,
        "issuer": inviter.issuer,
        "login": base_url.rstrip("/") + reverse("login"),
        "reset": base_url.rstrip("/") + reverse("password_reset"),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        templated_mail_send(
            subject_template="accounts/account_exists_subject.txt",
            body_template="accounts/account_exists_email.txt",
            context=context,
            to=[user.email],
        )


def send_invitation(*, user: User, inviter: str, base_url: str) -> None:
    """E-mail a single-use link to choose a password.

    The link is Django's password-reset link (single use, expires with
    PASSWORD_RESET_TIMEOUT), so nobody ever receives a password by e-mail.
    """
    link = base_url.rstrip("/") + reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"inviter": inviter, "colleague": user, "issuer": user.issuer, "link": link}
    templated_mail_send(
        subject_template="accounts/invite_subject.txt",
        body_template="accounts/invite_email.txt",
        context=context,
        to=[user.email],
    )


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
