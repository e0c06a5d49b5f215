"""Autosave tells the respondent what happened: saved, offline, session expired, restored.

Its messages are server-translated <template> elements; reading them with `textContent`
gave empty strings, so none of these was ever shown."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments import selectors
from assessments.services import framework_load
from assessments.tests.factories import lead
from conftest import V1_PATH

from .test_wizard_browser import choose, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_autosave_says_saved_offline_expired_and_restored(page):
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    user = lead(full_name="Mei Chan")
    login(page, user.email)
    page.click("text=Start a new assessment")
    page.wait_for_url("**/profile/")
    page.click("input[type=submit][value='Confirm and continue']")
    page.wait_for_url("**/step/profit/")
    items = [i for i in fw.shift("profit").items if i.levels][:3]

    choose(page, f'input[name="{items[0].code}__value"][value="3"]')
    expect(page.locator("#autosave-status")).to_have_text("Saved")
    meta = page.locator(f'fieldset[data-item="{items[0].code}"] [data-role=meta]')
    assert meta.inner_text().startswith("Saved · Mei Chan")

    page.context.set_offline(True)
    choose(page, f'input[name="{items[1].code}__value"][value="4"]')
    banner = page.locator("#save-banner")
    banner.wait_for(state="visible")
    assert "Could not reach the server" in banner.inner_text()
    page.context.set_offline(False)

    page.reload()  # the unsent answer comes back from this browser, and is said to
    banner.wait_for(state="visible")
    assert "Restored changes you made earlier" in banner.inner_text()
    assert page.is_checked(f'input[name="{items[1].code}__value"][value="4"]')

    page.context.clear_cookies()  # the session is gone
    choose(page, f'input[name="{items[2].code}__value"][value="2"]')
    expect(page.locator("#save-banner")).to_contain_text("session has expired")
