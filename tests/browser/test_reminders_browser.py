"""The secretary reminds the companies that have not submitted, from the cohort's e-mail
page, with the keyboard alone; each contact gets one reminder in their own language and
the log says it was delivered."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from assessments.services import assessment_create, framework_load
from assessments.tests.factories import CohortFactory, IssuerFactory, association_admin, lead
from cohorts.models import CohortStatus
from conftest import V1_PATH

from .conftest import screenshot
from .test_wizard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sends_reminders_from_the_email_log(page, eager):
    version, _ = framework_load(path=V1_PATH)
    today = timezone.localdate()
    cohort = CohortFactory(
        framework=version,
        status=CohortStatus.OPEN,
        slug="remind-2026",
        name_en="Reminder round",
        opens_on=today - datetime.timedelta(days=5),
        closes_on=today + datetime.timedelta(days=9),
    )
    for n, language in enumerate(("en", "zh-hant")):
        issuer = IssuerFactory(name_en=f"Late Company {n} Limited")
        lead(issuer, email=f"late{n}@example.org", language=language)
        assessment_create(issuer=issuer, framework=version, user=None, cohort=cohort)
    admin = association_admin()

    login(page, admin.email)
    page.goto(page.base + "/cohorts/remind-2026/")
    page.click("text=E-mails and reminders")
    page.wait_for_url("**/cohorts/remind-2026/emails/")
    assert "2 issuers have not submitted" in page.text_content("#remind-form")
    page.focus("#remind-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=A reminder is being sent to 2 issuers")
    rows = page.locator("#email-log tbody tr")
    assert rows.count() == 2
    assert rows.filter(has_text="Delivered to the mail server").count() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "Reminder: 9 days left to submit, Reminder round",
        f"提示：距離提交限期尚餘9日，{cohort.name_zh}",
    ]
    screenshot(page, "cohort-email-log")

    # Again the same day: nothing more goes out.
    page.focus("#remind-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=A reminder is being sent to 2 issuers")
    assert len(mail.outbox) == 2
    assert page.locator("#email-log tbody tr").count() == 2
