"""The admin resends an invitation from the cohort's invitations page, keyboard only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Role, User
from assessments.models import Assessment
from assessments.services import framework_load
from assessments.tests.factories import CohortFactory, IssuerFactory, association_admin
from conftest import V1_PATH

from .test_wizard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_resends_an_invitation(page):
    version, _ = framework_load(path=V1_PATH)
    cohort = CohortFactory(framework=version, name_en="Round 2026")
    issuer = IssuerFactory(name_en="Kowloon Kites Limited")
    Assessment.objects.create(issuer=issuer, framework=version, cohort=cohort)
    User.objects.create_user(
        "kite@kites.example", None, role=Role.ISSUER_LEAD, issuer=issuer, language="en"
    )
    login(page, association_admin().email)
    page.goto(page.base + f"/cohorts/{cohort.slug}/")
    page.click("text=Invitations")
    row = page.locator("#invitations tr", has_text="kite@kites.example")
    expect(row).to_contain_text("Invited")
    mail.outbox = []
    row.get_by_role("button", name=re.compile("Resend")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent again to kite@kites.example."
    )
    assert [m.to for m in mail.outbox] == [["kite@kites.example"]]
    body = mail.outbox[0].body
    assert "Round 2026" in body and "The link expires on" in body
    assert "/accounts/reset/" in body
