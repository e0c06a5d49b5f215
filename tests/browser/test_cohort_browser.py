"""Association flow in a real browser: create a cohort, enrol issuers from a CSV with a bad
row, a lead answers and submits, a reviewer returns it with a comment, the lead edits and
resubmits, the reviewer approves, and the dashboard shows it."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User
from assessments import selectors
from assessments.services import framework_load
from assessments.tests.factories import PASSWORD, association_admin, reviewer
from cohorts.models import Cohort
from conftest import V1_PATH

from .conftest import screenshot
from .test_wizard_browser import answer_item, choose, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "stock_code,name_en,name_zh,industry,board,email\n"
    "1234,Peak Robotics Limited,山頂機械人有限公司,Industrials,Main Board,lead@peak.example\n"
    "99999999,Broken Row Limited,,Space,Moon,not-an-email\n"
)


def logout(page):
    page.click("nav button:has-text('Log out')")
    page.wait_for_url("**/accounts/login/")


def test_cohort_enrolment_review_and_approval(page, tmp_path):
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    admin, rev = association_admin(), reviewer()

    # The admin creates a cohort on the app's own page and assigns the reviewer.
    login(page, admin.email)
    page.goto(page.base + "/cohorts/")
    page.click("text=New cohort")
    page.fill("#id_name_en", "Browser cohort 2026")
    page.fill("#id_name_zh", "瀏覽器測試批次")
    page.fill("#id_slug", "browser-2026")
    page.fill("#id_year", "2026")
    page.select_option("#id_framework", index=1)
    page.fill("#id_opens_on", "2026-01-01")
    page.fill("#id_closes_on", "2026-12-31")
    page.select_option("#id_status", "open")
    page.check(f"input[name=reviewers][value='{rev.pk}']")
    page.click("input[name=save]")
    page.wait_for_url("**/cohorts/browser-2026/enrol/")
    cohort = Cohort.objects.get(slug="browser-2026")
    assert list(cohort.reviewers.all()) == [rev]

    # CSV with one bad row: the preview shows the error; the rest is imported.
    page.goto(page.base + "/cohorts/browser-2026/enrol/")
    path = tmp_path / "issuers.csv"
    path.write_text(CSV, encoding="utf-8")
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#enrol-preview")
    assert page.locator("text=Stock code must be 1 to 5 digits").count() == 1
    choose(page, "#skip")
    page.click("button:has-text('Import')")
    page.wait_for_url("**/cohorts/browser-2026/")
    assert page.text_content("[data-key=enrolled]").strip() == "1"
    logout(page)

    # The invited lead chooses a password from the e-mail, then answers and submits.
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)
    page.goto(page.base + link)
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD)
    page.click("form input[type=submit]")
    page.wait_for_url("**/profile/")  # logged in and straight into the assessment
    page.select_option("#id_market_cap_band", index=1)
    page.select_option("#id_revenue_band", index=1)
    page.select_option("#id_employee_band", index=1)
    page.click("input[type=submit][value='Confirm and continue']")
    for shift in fw.shifts:
        page.wait_for_url(f"**/step/{shift.code}/")
        for item in shift.items:
            answer_item(page, item)
        page.click("button[name=go][value=next]")
    page.wait_for_url("**/review/")
    page.click("text=Submit assessment")
    page.wait_for_url("**/results/")
    logout(page)

    # The reviewer returns it with a comment.
    login(page, rev.email)
    page.click("a:has-text('Review') >> nth=0")
    page.wait_for_url("**/review-submission/")
    page.fill("textarea[name=text]", "Please add evidence for the governance answers.")
    page.click("button[value=return]")
    page.wait_for_selector("text=Assessment returned to the issuer.")
    logout(page)

    # The lead sees the comment, edits an answer and resubmits.
    login(page, "lead@peak.example")
    page.click("text=Continue")  # everything is answered, so this opens the review page
    page.wait_for_url("**/review/")
    page.wait_for_selector("#returned-note")
    assert page.locator("text=Please add evidence for the governance answers.").count() >= 1
    first = fw.shifts[-1].items[0]
    page.click(f"a[href$='/step/{first.shift_code}/']")
    page.wait_for_url(f"**/step/{first.shift_code}/")
    answer_item(page, first, level=5)
    page.click("button[name=go][value=stay]")
    page.wait_for_selector("text=Saved")
    page.goto(page.url.replace(f"/step/{first.shift_code}/", "/review/"))
    page.click("text=Submit assessment")
    page.wait_for_url("**/results/")
    logout(page)

    # The reviewer approves; the dashboard reflects it.
    login(page, rev.email)
    page.goto(page.base + "/cohorts/browser-2026/")
    page.click("#issuers a:has-text('Review')")
    page.wait_for_url("**/review-submission/")
    page.click("button[value=approve]")
    page.wait_for_selector("text=Assessment approved.")
    page.goto(page.base + "/cohorts/browser-2026/")
    assert page.text_content("[data-key=reviewed]").strip() == "1"
    screenshot(page, "cohort-dashboard")
    assert User.objects.get(email="lead@peak.example").issuer.stock_code == "01234"
