"""Two workers sending the same reminder at the same moment: one message, one log row.
Real transactions and connections (one per thread), so the database's unique constraint,
not Python, decides."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from core.mail import mail_send
from core.models import EmailKind, EmailStatus, SentEmail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _test_templates(settings):
    extra = Path(__file__).parent / "templates"
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], extra]}
    ]


def test_concurrent_sends_of_one_reason_send_once():
    start = threading.Barrier(4)
    results: list[bool] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(
                mail_send(
                    to="lead@example.org",
                    kind=EmailKind.REMINDER,
                    template="coretest/hello",
                    context={"name": "Harbour"},
                    language="en",
                    reason="reminder:c1:a1",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1
    assert SentEmail.objects.get().status == EmailStatus.SENT
