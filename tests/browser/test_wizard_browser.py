"""A lead walks the whole questionnaire in a real browser (headless Chromium)."""

from __future__ import annotations

import pytest

from accounts.mfa import required_for
from accounts.models import User
from assessments import selectors
from assessments.models import Answer, Assessment, AssessmentStatus
from assessments.services import framework_load
from assessments.tests.factories import PASSWORD, authenticator_for, lead, totp_code
from conftest import V1_PATH

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, email):
    """Sign in through the login page; someone who must use a second factor (association
    staff) types their authenticator app's code on the next page, as a person would."""
    user = User.objects.get(email=email)
    device = authenticator_for(user) if required_for(user) else None
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form input[type=submit]")
    if device is not None:
        page.wait_for_url("**/accounts/mfa/**")
        page.fill("input[name=code]", totp_code(device))
        page.click("form input[type=submit]")
    page.wait_for_url(page.base + "/")


def choose(page, selector):
    # A direct click on the input: the sticky action bar can sit over the item at the
    # bottom of the viewport, and a pointer click there would land on the bar.
    page.eval_on_selector(selector, "el => el.click()")
    assert page.is_checked(selector), selector


def answer_item(page, item, level=3):
    if item.kind == "maturity":
        choose(page, f'input[name="{item.code}__value"][value="{level}"]')
    elif item.kind == "choice":
        choose(page, f'input[name="{item.code}__value"][value="{item.options[-2].code}"]')
    else:
        page.fill(f'input[name="{item.code}__value"]', str(item.min_value + 1))


def test_lead_answers_resumes_submits_and_sees_scores(page):
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    user = lead(full_name="Mei Chan")

    login(page, user.email)
    page.click("text=Start a new assessment")
    page.wait_for_url("**/profile/")
    page.click("input[type=submit][value='Confirm and continue']")
    page.wait_for_url("**/step/profit/")
    profit = fw.shift("profit").items
    half = profit[: len(profit) // 2]
    for item in half:
        answer_item(page, item, level=4)
    page.fill(f'textarea[name="{half[0].code}__note"]', "Documented in the 2025 annual report")
    page.click("button[name=go][value=stay]")
    page.wait_for_selector("text=Saved")
    screenshot(page, "wizard-profit-saved")

    # Log out and back in; the work is there and the wizard resumes on the same step.
    page.click("nav button:has-text('Log out')")
    page.wait_for_url("**/accounts/login/")
    login(page, user.email)
    page.click("text=Continue")
    page.wait_for_url("**/step/profit/")
    for item in half:
        if item.kind == "maturity":
            assert page.is_checked(f'input[name="{item.code}__value"][value="4"]'), item.code
    assert (
        page.input_value(f'textarea[name="{half[0].code}__note"]')
        == "Documented in the 2025 annual report"
    )
    assert page.locator("text=Last changed by Mei Chan").count() >= len(
        [i for i in half if i.kind == "maturity"]
    )

    for shift in fw.shifts:
        if shift.code != "profit":
            page.wait_for_url(f"**/step/{shift.code}/")
        for item in shift.items:
            if shift.code == "profit" and item in half:
                continue
            answer_item(page, item)
        page.click("button[name=go][value=next]")
    page.wait_for_url("**/review/")
    assert page.locator("text=Every required question has an answer").is_visible()
    page.click("text=Submit assessment")
    page.wait_for_url("**/results/")
    overall = page.text_content("#overall-score").strip()
    screenshot(page, "results")
    assessment = Assessment.objects.get(issuer=user.issuer)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert overall == f"{assessment.snapshots.get().overall_score:.0f}"
    assert Answer.objects.filter(
        assessment=assessment, note="Documented in the 2025 annual report"
    ).exists()


def test_first_step_in_traditional_chinese(page):
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    user = lead()
    login(page, user.email)
    page.click("button[name=language][value=zh-hant]")
    page.wait_for_load_state()
    page.click("form[action$='/assessments/start/'] button")
    page.wait_for_url("**/profile/")
    page.click("input[type=submit]")
    page.wait_for_url("**/step/profit/")
    shift = fw.shift("profit")
    assert page.text_content("h1").strip() == shift.name.zh
    item = shift.items[0]
    assert page.locator(f"text={item.levels[2].zh}").count() == 1
    answer_item(page, item, level=2)
    page.fill(f'textarea[name="{item.code}__note"]', "已於董事會會議記錄存檔")
    page.click("button[name=go][value=stay]")
    page.wait_for_load_state()
    screenshot(page, "wizard-zh-hant")
    stored = Answer.objects.get(assessment__issuer=user.issuer, item__code=item.code)
    assert (stored.level, stored.note) == (2, "已於董事會會議記錄存檔")
    user.refresh_from_db()
    assert user.language == "zh-hant"
