from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Role, User


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a signed-in user chose, for every device they use."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def colleague_invite(*, lead: User, email: str, full_name: str, base_url: str) -> User:
    """Add a contributor to the lead's issuer and e-mail them a link to choose a password."""
    if not lead.is_issuer_lead or lead.issuer is None:
        raise PermissionDenied
    colleague = User.objects.create_user(
        email, None, full_name=full_name.strip(), role=Role.ISSUER_CONTRIBUTOR, issuer=lead.issuer
    )
    send_invitation(user=colleague, inviter=lead.display_name, base_url=base_url)
    return colleague


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
    send_mail(
        subject=render_to_string("accounts/invite_subject.txt", context).strip(),
        message=render_to_string("accounts/invite_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
