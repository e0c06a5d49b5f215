"""The cohort calendar in the browser: a closed round refuses the issuer's answers and
says why (keeping what was typed), the admin grants an extension, the issuer saves."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments import selectors, services
from assessments.models import Answer
from assessments.services import framework_load
from assessments.tests.factories import CohortFactory, association_admin, lead
from conftest import V1_PATH

from .test_wizard_browser import choose, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_closed_round_refuses_and_an_extension_lets_the_issuer_answer(page, browser):
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    today = timezone.localdate()
    cohort = CohortFactory(framework=version, name_en="2026 members survey")
    the_lead = lead(full_name="Mei Chan")
    the_lead.issuer.profile_confirmed_at = timezone.now()
    the_lead.issuer.save()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=version, user=the_lead, cohort=cohort
    )
    first, second = [i for i in fw.shift("profit").items if i.kind == "maturity"][:2]
    step = f"{page.base}/assessments/{assessment.pk}/step/profit/"

    # The issuer opens the step while the round is open...
    login(page, the_lead.email)
    expect(page.locator(f'tr[data-assessment="{assessment.pk}"]')).to_contain_text(
        "2026 members survey"
    )
    page.click(f'tr[data-assessment="{assessment.pk}"] >> text=Continue')
    page.goto(step)
    # ...and the association closes it (status Closed, closing date passed) meanwhile.
    cohort.status, cohort.closes_on = "closed", today - datetime.timedelta(days=1)
    cohort.opens_on = today - datetime.timedelta(days=60)
    cohort.save()

    choose(page, f'input[name="{first.code}__value"][value="3"]')
    expect(page.locator("#save-banner")).to_contain_text("This round closed on")
    page.fill(f'textarea[name="{first.code}__note"]', "Minutes of the March board meeting")
    page.click("button[name=go][value=stay]")
    expect(page.locator("#calendar-notice")).to_contain_text(
        "ask the association", ignore_case=True
    )
    expect(page.locator(".alert", has_text="Nothing was saved")).to_be_visible()
    # What was typed is still on the page, read-only.
    assert page.is_checked(f'input[name="{first.code}__value"][value="3"]')
    assert page.input_value(f'textarea[name="{first.code}__note"]') == (
        "Minutes of the March board meeting"
    )
    assert Answer.objects.get(assessment=assessment, item__code=first.code).level is None

    # The admin grants this issuer an extension of a week.
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    admin_page = admin_context.new_page()
    admin_page.set_default_timeout(15000)
    admin_page.base = page.base
    login(admin_page, association_admin().email)
    admin_page.goto(f"{page.base}/assessments/{assessment.pk}/review-submission/")
    admin_page.click("#calendar-link")
    until = today + datetime.timedelta(days=7)
    admin_page.fill("input[name=until]", until.isoformat())
    admin_page.fill("input[name=note]", "Board meeting moved")
    admin_page.click("button[value=extend]")
    expect(admin_page.locator("#calendar-changes")).to_contain_text("Extension granted")
    expect(admin_page.locator("#calendar-notice")).to_contain_text("can answer today")
    admin_context.close()

    # The issuer can answer again, and sees the new deadline.
    page.goto(step)
    expect(page.locator("#wizard-deadline")).to_contain_text("extended")
    choose(page, f'input[name="{second.code}__value"][value="4"]')
    # This item's own "saved" line: the status line may also speak for another save.
    meta = page.locator(f'fieldset[data-item="{second.code}"] [data-role=meta]')
    expect(meta).to_contain_text("Saved · Mei Chan")
    assert Answer.objects.get(assessment=assessment, item__code=second.code).level == 4
