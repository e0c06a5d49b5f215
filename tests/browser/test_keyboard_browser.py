"""The whole questionnaire with the keyboard alone (issue 15, deliver 7): log in, start,
confirm the profile, answer every question of every step and submit, with Tab, the arrow
keys, Space and Enter only: no mouse click and no `fill` anywhere. Focus stays visible."""

from __future__ import annotations

import pytest

from assessments import selectors
from assessments.models import Answer, Assessment, AssessmentStatus
from assessments.services import FRAMEWORK_DIR, framework_load
from assessments.tests.factories import PASSWORD, lead

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE = """(() => {
  const e = document.activeElement;
  return e ? {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
              text: (e.innerText || '').trim()} : null;
})()"""


def tab_to(page, wanted, limit: int = 600) -> dict:
    """Press Tab until the focused element satisfies `wanted`; radio groups met on the way
    without an answer are answered with ArrowDown (the second option: level 2 or "Pilot")."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        el = page.evaluate(ACTIVE)
        if wanted(el):
            return el
        if el and el["type"] == "radio":
            answered = page.evaluate(
                "n => !!document.querySelector(`input[name='${n}']:checked`)", el["name"]
            )
            if not answered:
                page.keyboard.press("ArrowDown")
    raise AssertionError("never reached the wanted element with Tab")


def test_the_whole_questionnaire_with_the_keyboard_alone(page):
    version, _ = framework_load(path=FRAMEWORK_DIR / "v2.yaml")
    fw = selectors.framework_of(version)
    user = lead()  # profile not confirmed yet: the walk confirms it

    page.goto(page.base + "/accounts/login/")
    tab_to(page, lambda e: e["name"] == "username")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(page.base + "/")

    tab_to(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Start a new assessment")
    page.keyboard.press("Enter")
    page.wait_for_url("**/profile/")
    tab_to(page, lambda e: e["type"] == "submit" and "Confirm" in (e["value"] + e["text"]))
    page.keyboard.press("Enter")

    for n, shift in enumerate(fw.shifts):
        page.wait_for_url(f"**/step/{shift.code}/")
        # The first radio reached shows a visible focus ring.
        tab_to(page, lambda e: e["type"] == "radio")
        ring = page.evaluate(
            "() => { const l = document.activeElement.closest('label');"
            " const s = getComputedStyle(l); return s.outlineStyle + ' ' + s.outlineWidth }"
        )
        assert not ring.startswith("none") and not ring.endswith(" 0px"), ring
        page.keyboard.press("ArrowDown")
        tab_to(page, lambda e: e["name"] == "go" and e["value"] == "next")
        if n == 0:
            screenshot(page, "keyboard-step-before-continue")
        page.keyboard.press("Enter")

    page.wait_for_url("**/review/")
    assessment = Assessment.objects.get(issuer=user.issuer)
    mandatory = [i.code for i in fw.iter_items() if i.mandatory]
    answered = {
        a.item.code
        for a in Answer.objects.filter(assessment=assessment).select_related("item")
        if a.is_known
    }
    assert set(mandatory) <= answered, sorted(set(mandatory) - answered)
    tab_to(page, lambda e: e["tag"] == "BUTTON" and e["text"] == "Submit assessment")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    screenshot(page, "keyboard-submitted")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_by == user
