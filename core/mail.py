"""Sending e-mail built from templates, in the recipient's language, logged and sent once.

`mail_send` is what every notification goes through: it renders a subject, a text part
and an HTML part in the recipient's language (both languages, English first, when the
language is unknown), records the message in `SentEmail` before sending it (the row's
unique key is what makes a reminder go out once a day even with several workers), and
records the outcome. `templated_mail_send` is the older plain-text helper, kept for its
callers (plain text, the active language), also logged.
"""

from __future__ import annotations

import datetime
import smtplib
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .models import BOTH_LANGUAGES, EmailKind, EmailStatus, SentEmail

# The order of the two languages in a message to someone whose language is unknown:
# English first, as the association's name and HKEX's bilingual documents are written.
BOTH_ORDER = ("en", "zh-hant")
SECTION_RULE = "\n\n" + "—" * 24 + "\n\n"


def templated_mail_send(
    *,
    subject_template: str,
    body_template: str,
    context: Mapping[str, Any],
    to: list[str],
    kind: str = EmailKind.OTHER,
    scope: str = "",
) -> None:
    """Render and send one plain-text message from the default sender, in the active
    language, logged in `SentEmail` (one row per recipient, no dedup: a blank reason).

    The older helper of the invitations; new messages use `mail_send` (both parts, the
    recipient's language, once a day per reason). The subject may show user-entered text
    (an issuer's name) holding line breaks: a mail header may not (send_mail would raise
    BadHeaderError), so all whitespace becomes single spaces.
    """
    to = [address for address in to if not undeliverable(address)]
    if not to:
        return
    subject = " ".join(render_to_string(subject_template, dict(context)).split())
    body = render_to_string(body_template, dict(context))
    rows = [
        SentEmail.objects.create(
            recipient=address.strip().lower(),
            kind=kind,
            scope=scope,
            on_date=timezone.localdate(),
            subject=subject[:400],
            language=mail_language(translation.get_language()),
        )
        for address in to
    ]
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=to)
    except Exception as exc:
        for row in rows:
            row.status, row.error = EmailStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["status", "error"])
        raise
    SentEmail.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=EmailStatus.SENT, sent_at=timezone.now()
    )


# RFC 2606 reserves the `invalid` top-level domain: an anonymised person's address is a
# placeholder there (privacy.services), and nothing is ever sent to it.
RESERVED_DOMAIN = "invalid"


def undeliverable(address: str) -> bool:
    """An address in the reserved `.invalid` domain, which no message may go to."""
    domain = address.strip().lower().rstrip(".").rpartition("@")[2]
    return domain == RESERVED_DOMAIN or domain.endswith("." + RESERVED_DOMAIN)


def mail_language(language: str | None) -> str:
    """A stored language preference as one of the site's languages, or BOTH_LANGUAGES."""
    code = (language or "").strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh-hant"
    if code.startswith("en"):
        return "en"
    return BOTH_LANGUAGES


def association_name(language: str) -> str:
    """The association's name in `language` (settings ASSOCIATION_NAME_EN / _ZH)."""
    if language.startswith("zh"):
        return str(settings.ASSOCIATION_NAME_ZH)
    return str(settings.ASSOCIATION_NAME_EN)


def site_link(path: str) -> str:
    """An absolute link for an e-mail: SITE_URL (no request to build one from) + path."""
    return str(settings.SITE_URL).rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def mail_render(*, template: str, context: Mapping[str, Any], language: str) -> Rendered:
    """The message `template` (`<template>_subject.txt`, `.txt`, `.html` fragment) in
    `language`, or in both languages when it is BOTH_LANGUAGES."""
    languages = BOTH_ORDER if language == BOTH_LANGUAGES else (language,)
    parts = [_render_one(template, context, code) for code in languages]
    html = render_to_string(
        "core/mail_layout.html",
        {"sections": [(code, part.html) for code, part in zip(languages, parts, strict=True)]},
    )
    return Rendered(
        subject=" / ".join(part.subject for part in parts),
        text=SECTION_RULE.join(part.text for part in parts),
        html=html,
    )


def _render_one(template: str, context: Mapping[str, Any], language: str) -> Rendered:
    with translation.override(language):
        ctx = {
            **context,
            "association": association_name(language),
            "site_url": str(settings.SITE_URL).rstrip("/"),
        }
        # User-entered text (a company name) may hold line breaks; a header may not.
        subject = " ".join(_plain(f"{template}_subject.txt", ctx).split())
        body = _plain(f"{template}.txt", ctx).strip()
        text = _plain("core/mail_section.txt", {**ctx, "body": body})
        html = render_to_string(
            "core/mail_section.html",
            {**ctx, "body": render_to_string(f"{template}.html", ctx), "language": language},
        )
    return Rendered(subject=subject, text=text, html=html)


def _plain(name: str, context: Mapping[str, Any]) -> str:
    """A text template rendered without HTML escaping, whether or not it says
    `{% autoescape off %}`: "&" in a company name stays "&" in a text part."""
    template = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(dict(context), autoescape=False)))


def _claim(*, recipient: str, kind: str, reason: str, on_date: datetime.date) -> SentEmail | None:
    """Write the log row before sending; None if this message was already sent today.

    A row that failed earlier the same day is taken over (a retry); one still pending
    belongs to another worker, or to one killed mid-send, and is left alone: for a
    reminder, once at most beats twice.
    """
    key = {"recipient": recipient, "kind": kind, "reason": reason, "on_date": on_date}
    if not reason:
        return SentEmail.objects.create(**key)
    try:
        with transaction.atomic():
            return SentEmail.objects.create(**key)
    except IntegrityError:
        pass
    with transaction.atomic():
        row = SentEmail.objects.select_for_update().filter(**key).first()
        if row is None or row.status != EmailStatus.FAILED:
            return None
        row.status = EmailStatus.PENDING
        row.attempts += 1
        row.error = ""
        row.save(update_fields=["status", "attempts", "error"])
        return row


def mail_send(
    *,
    to: str,
    kind: str,
    template: str,
    context: Mapping[str, Any],
    language: str | None,
    reason: str = "",
    scope: str = "",
    user_id: int | None = None,
    on_date: datetime.date | None = None,
) -> bool:
    """Send one message, logged; False (nothing sent) when the same `reason` was already
    sent to `to` on this Hong Kong day, or `to` is an anonymised person's placeholder.
    A blank `reason` always sends.

    `language` is the recipient's stored preference ("" or None: unknown, so both
    languages). A failure is logged as failed and re-raised, so a Celery task can retry
    the transient ones (`mail_error_is_transient`); the retry takes the failed row over.
    """
    recipient = to.strip().lower()
    if undeliverable(recipient):
        return False
    code = mail_language(language)
    # Rendered first: a template error is a bug to see, not a log row stuck pending.
    rendered = mail_render(template=template, context=context, language=code)
    row = _claim(
        recipient=recipient,
        kind=kind,
        reason=reason,
        on_date=on_date or timezone.localdate(),
    )
    if row is None:
        return False
    row.user_id = user_id
    row.scope = scope
    row.subject = rendered.subject[:400]
    row.language = code
    message = EmailMultiAlternatives(rendered.subject, rendered.text, None, [recipient])
    message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except Exception as exc:
        row.status = EmailStatus.FAILED
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.save()
        raise
    row.status = EmailStatus.SENT
    row.sent_at = timezone.now()
    row.save()
    return True


def mail_error_is_transient(exc: BaseException) -> bool:
    """Worth retrying later: the server was unreachable or answered 4xx (try again)."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPException):  # recipients refused, bad sender...
        return False
    return isinstance(exc, ConnectionError | TimeoutError | socket.gaierror)
