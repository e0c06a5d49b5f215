"""axe-core (vendored: tests/browser/vendor/axe-core/) on every page of every role, in
English and Traditional Chinese: any serious or critical violation fails (issue 15,
deliver 7). axe is injected through DevTools before the page's own scripts, outside the
page's Content-Security-Policy, which stays as served.

Run: .venv/bin/pytest tests/browser/test_axe_browser.py -m browser
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.mfa import required_for
from accounts.models import User
from assessments import services
from assessments.services import FRAMEWORK_DIR, framework_load
from assessments.tests.factories import (
    PASSWORD,
    CohortFactory,
    IssuerFactory,
    association_admin,
    authenticator_for,
    contributor,
    lead,
    reviewer,
    submit_answered,
    totp_code,
)
from reports.releases import peer_releases_publish
from reports.tests.conftest import submit_synthetic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
LANGUAGES = ("en", "zh-hant")


def run_axe(page) -> list[dict]:
    """Violations of WCAG 2.x A/AA rules and best practices, serious or critical only."""
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: '
              + (n.failureSummary || '').split('\\n').slice(0, 3).join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in FAILING]


def login(page, email: str) -> None:
    """Password, then (association staff) the authenticator app's code."""
    user = User.objects.get(email=email)
    device = authenticator_for(user) if required_for(user) else None
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    if device is not None:
        page.wait_for_url("**/accounts/mfa/**")
        page.fill("input[name=code]", totp_code(device))
        page.press("input[name=code]", "Enter")
    page.wait_for_url(page.base + "/")


def set_language(page, language: str) -> None:
    page.goto(page.base + "/")
    page.locator(f"#language-form button[value='{language}']").click()
    page.wait_for_load_state()


@pytest.fixture
def world():
    version, _ = framework_load(path=FRAMEWORK_DIR / "v2.yaml")
    cohort = CohortFactory(framework=version, slug="axe-round")
    issuer = IssuerFactory(profile_confirmed_at=timezone.now())
    users = {
        "lead": lead(issuer, full_name="Mei Chan"),
        "contributor": contributor(issuer, full_name="Ka Ho Wong"),
        "reviewer": reviewer(full_name="Reviewer One"),
        "admin": association_admin(full_name="Admin One"),
    }
    cohort.reviewers.add(users["reviewer"])
    done = services.assessment_create(
        issuer=issuer, framework=version, user=users["lead"], cohort=cohort
    )
    submit_answered(done, users["lead"], level=3)
    for seed in range(6):  # peers, so the results page shows its strips
        submit_synthetic(IssuerFactory(), version, seed=seed, cohort=cohort)
    peer_releases_publish()
    draft = services.assessment_create(issuer=issuer, framework=version, user=users["lead"])
    shifts = [s["code"] for s in done.snapshots.first().result["shifts"]]
    return {"users": users, "done": done, "draft": draft, "cohort": cohort, "shifts": shifts}


def pages_of(role: str, w: dict) -> list[str]:
    done, draft, slug = w["done"].pk, w["draft"].pk, w["cohort"].slug
    issuer_pages = [
        "/",
        "/accounts/me/",
        f"/assessments/{draft}/profile/",
        *(f"/assessments/{draft}/step/{code}/" for code in w["shifts"]),
        f"/assessments/{draft}/review/",
        f"/assessments/{done}/results/",
    ]
    return {
        "anon": ["/", "/accounts/login/", "/accounts/password-reset/", "/reports/peer-comparison/"],
        "lead": [
            *issuer_pages,
            f"/assessments/{done}/history/",
            "/accounts/team/",
            "/accounts/companies/",
            "/api/tokens/",
        ],
        "contributor": issuer_pages,
        "reviewer": [
            "/",
            "/accounts/me/",
            "/cohorts/",
            f"/cohorts/{slug}/",
            f"/assessments/{done}/review-submission/",
            f"/assessments/{done}/results/",
        ],
        "admin": [
            "/",
            "/cohorts/",
            "/cohorts/new/",
            f"/cohorts/{slug}/",
            f"/cohorts/{slug}/edit/",
            f"/cohorts/{slug}/enrol/",
            f"/cohorts/{slug}/invitations/",
            f"/cohorts/{slug}/emails/",
            f"/cohorts/{slug}/reports/",
            f"/assessments/{done}/calendar/",
            f"/assessments/{done}/review-submission/",
        ],
    }[role]


@pytest.mark.parametrize("role", ["anon", "lead", "contributor", "reviewer", "admin"])
def test_no_serious_or_critical_axe_violation_on_any_page(browser, live_server, world, role):
    found: dict[str, list[dict]] = {}
    for language in LANGUAGES:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.set_default_timeout(20000)
        page.base = live_server.url
        if role != "anon":
            login(page, world["users"][role].email)
        set_language(page, language)
        for path in pages_of(role, world):
            response = page.goto(page.base + path)
            assert response is not None and response.status == 200, (language, path)
            if violations := run_axe(page):
                found[f"{language} {path}"] = violations
        context.close()
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
