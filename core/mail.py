"""Sending e-mail built from a pair of templates (subject, body)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string


def templated_mail_send(
    *, subject_template: str, body_template: str, context: Mapping[str, Any], to: list[str]
) -> None:
    """Render and send one plain-text message from the default sender.

    The subject may show user-entered text (an issuer's name) holding line breaks: a mail
    header may not (send_mail would raise BadHeaderError), so all whitespace becomes
    single spaces.
    """
    subject = " ".join(render_to_string(subject_template, dict(context)).split())
    send_mail(
        subject=subject,
        message=render_to_string(body_template, dict(context)),
        from_email=None,
        recipient_list=to,
    )
