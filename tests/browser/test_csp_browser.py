"""The Content-Security-Policy as Chromium enforces it: the pages work and nothing is blocked."""

from __future__ import annotations

import pytest

from assessments import selectors, services
from assessments.services import framework_load
from assessments.tests.factories import IssuerFactory, lead
from conftest import V1_PATH
from reports.tests.conftest import submit_synthetic

from .test_wizard_browser import choose, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script, outside the page's policy (DevTools injects it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI}`);
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_pages_run_under_the_policy_without_violations(page) -> None:
    version, _ = framework_load(path=V1_PATH)
    fw = selectors.framework_of(version)
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))

    # A draft: the wizard's autosave (static script, token from the form) still saves.
    drafting = lead()
    draft = services.assessment_start(user=drafting, framework=version)
    login(page, drafting.email)
    assert violations(page) == []
    shift = fw.shifts[0]
    item = next(i for i in shift.items if i.kind == "maturity")
    page.goto(page.base + f"/assessments/{draft.pk}/step/{shift.code}/")
    with page.expect_response(lambda r: "/autosave/" in r.url) as saved:
        choose(page, f'input[name="{item.code}__value"][value="3"]')
    assert saved.value.status == 200
    assert violations(page) == []
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")

    # Results (inline SVG, bar widths in style attributes) and the HTML report (nonce).
    snapshot = submit_synthetic(IssuerFactory(), version, seed=5)
    login(page, snapshot.assessment.submitted_by.email)
    page.goto(page.base + f"/assessments/{snapshot.assessment_id}/results/")
    bar = page.locator(".scorebar span").first
    assert bar.evaluate("el => el.getBoundingClientRect().width") > 0
    assert violations(page) == []
    page.goto(page.base + f"/reports/{snapshot.assessment_id}/en/view/")
    # The inline stylesheet applied (a <nav> is display: block without it).
    assert page.locator(".screen-bar").evaluate("el => getComputedStyle(el).display") == "flex"
    assert violations(page) == []

    assert not [
        line for line in console if "Content Security Policy" in line and "file:" not in line
    ]
