"""core.mail.mail_send: languages, both parts, the log, once per reason per day, failures."""

from __future__ import annotations

import datetime
import smtplib
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction

from core.mail import (
    mail_error_is_transient,
    mail_language,
    mail_send,
    templated_mail_send,
    undeliverable,
)
from core.models import EmailKind, EmailStatus, SentEmail

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def _test_templates(settings):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES_DIR]}
    ]


class FailingBackend(BaseEmailBackend):
    error: Exception = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})

    def send_messages(self, email_messages):
        raise self.error


def _send(**kwargs):
    args = {
        "to": "Lead@Example.org",
        "kind": EmailKind.REMINDER,
        "template": "coretest/hello",
        "context": {"name": "<Harbour & Co>"},
        "language": "zh-hant",
        "reason": "reminder:demo:7d",
        "scope": "cohort:1",
        "user_id": 42,
    }
    return mail_send(**{**args, **kwargs})


def test_sends_in_the_recipients_language_with_text_and_html_parts():
    assert _send() is True
    (message,) = mail.outbox
    assert message.to == ["lead@example.org"]
    assert message.subject == "已提交: <Harbour & Co>"
    assert "已批核 <Harbour & Co>" in message.body
    assert settings.ASSOCIATION_NAME_ZH in message.body
    assert "Approved" not in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "<b>&lt;Harbour &amp; Co&gt;</b>" in html  # escaped in HTML, not in text
    assert 'lang="zh-hant"' in html
    row = SentEmail.objects.get()
    assert (row.recipient, row.status, row.language, row.user_id, row.scope) == (
        "lead@example.org",
        EmailStatus.SENT,
        "zh-hant",
        42,
        "cohort:1",
    )
    assert row.subject == message.subject and row.sent_at is not None


def test_unknown_language_sends_both_english_first():
    _send(language="")
    (message,) = mail.outbox
    assert message.subject == "Submitted: <Harbour & Co> / 已提交: <Harbour & Co>"
    assert message.body.index("Approved") < message.body.index("已批核")
    assert settings.ASSOCIATION_NAME_EN in message.body
    assert settings.ASSOCIATION_NAME_ZH in message.body
    html = message.alternatives[0][0]
    assert html.index('lang="en"') < html.index('lang="zh-hant"')
    assert SentEmail.objects.get().language_label == "English and Chinese"


def test_same_reason_same_day_is_sent_once():
    assert _send() is True
    assert _send(to="lead@example.org ") is False
    assert len(mail.outbox) == 1
    assert SentEmail.objects.count() == 1


def test_another_day_or_reason_sends_again_and_blank_reason_always_sends():
    _send()
    assert _send(on_date=datetime.date(2030, 1, 2)) is True
    assert _send(reason="reminder:demo:2d") is True
    assert _send(reason="") is True
    assert _send(reason="") is True
    assert len(mail.outbox) == 5


def test_the_database_refuses_a_second_row_for_the_same_reason_and_day():
    _send()
    row = SentEmail.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SentEmail.objects.create(
            recipient=row.recipient, kind=row.kind, reason=row.reason, on_date=row.on_date
        )


def test_a_failed_send_is_logged_as_failed_and_a_retry_takes_the_row_over(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        _send()
    row = SentEmail.objects.get()
    assert row.status == EmailStatus.FAILED
    assert "SMTPRecipientsRefused" in row.error
    assert row.subject  # what would have been sent is recorded
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _send() is True
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == (EmailStatus.SENT, 2, "")
    assert len(mail.outbox) == 1


def test_a_pending_row_of_another_worker_is_left_alone():
    SentEmail.objects.create(
        recipient="lead@example.org",
        kind=EmailKind.REMINDER,
        reason="reminder:demo:7d",
        on_date=datetime.date.today(),
    )
    assert _send(on_date=datetime.date.today()) is False
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPConnectError(421, b"busy"), True),
        (smtplib.SMTPDataError(451, b"try later"), True),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPRecipientsRefused({}), False),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (ValueError("bad header"), False),
    ],
)
def test_transient_errors(exc, transient):
    assert mail_error_is_transient(exc) is transient


@pytest.mark.parametrize(
    ("stored", "code"),
    [
        ("zh-hant", "zh-hant"),
        ("zh-Hant", "zh-hant"),
        ("zh_HK", "zh-hant"),
        ("en", "en"),
        ("en-gb", "en"),
        ("", ""),
        (None, ""),
        ("fr", ""),
    ],
)
def test_mail_language(stored, code):
    assert mail_language(stored) == code


def test_templated_mail_send_is_logged_too(settings):
    templated_mail_send(
        subject_template="coretest/hello_subject.txt",
        body_template="coretest/hello.txt",
        context={"name": "Harbour"},
        to=["New.Lead@example.org"],
        kind=EmailKind.INVITATION,
        scope="cohort:7",
    )
    templated_mail_send(
        subject_template="coretest/hello_subject.txt",
        body_template="coretest/hello.txt",
        context={"name": "Harbour"},
        to=["new.lead@example.org"],
    )
    assert len(mail.outbox) == 2  # no reason: never deduplicated
    rows = list(SentEmail.objects.order_by("pk"))
    assert [(r.recipient, r.kind, r.scope, r.status) for r in rows] == [
        ("new.lead@example.org", EmailKind.INVITATION, "cohort:7", EmailStatus.SENT),
        ("new.lead@example.org", EmailKind.OTHER, "", EmailStatus.SENT),
    ]
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        templated_mail_send(
            subject_template="coretest/hello_subject.txt",
            body_template="coretest/hello.txt",
            context={"name": "Harbour"},
            to=["x@example.org"],
        )
    failed = SentEmail.objects.get(recipient="x@example.org")
    assert failed.status == EmailStatus.FAILED and "SMTPRecipientsRefused" in failed.error


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("former-7@anonymised.invalid", True),
        ("Former-7@ANONYMISED.INVALID ", True),
        ("x@invalid", True),
        ("x@invalid.", True),
        ("x@invalid.example.org", False),
        ("lead@example.org", False),
    ],
)
def test_nothing_goes_to_the_reserved_invalid_domain(address, refused):
    """An anonymised person's placeholder (RFC 2606 `.invalid`) never gets a message."""
    assert undeliverable(address) is refused
    assert _send(to=address) is (not refused)
    templated_mail_send(
        subject_template="coretest/hello_subject.txt",
        body_template="coretest/hello.txt",
        context={"name": "Harbour"},
        to=[address],
    )
    assert len(mail.outbox) == (0 if refused else 2)
    assert SentEmail.objects.exists() is (not refused)
