"""The second factor in a real browser: an association admin enrols an authenticator app
(the code computed here from the secret the page shows), signs in again with password and
code, a wrong code is refused and counted, a recovery code works once; a reviewer adds a
security key through Chromium's virtual authenticator (CDP) and signs in with it."""

from __future__ import annotations

from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import AccountEvent, AccountEventKind
from assessments.tests.factories import PASSWORD, association_admin, reviewer, totp_code

from .conftest import screenshot
from .test_csp_browser import RECORD_VIOLATIONS, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password(page, email: str) -> None:
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form input[type=submit]")


def log_out(page) -> None:
    page.click("text=Log out")
    page.wait_for_url("**/accounts/login/")


def app_from_secret(secret: str) -> TOTPDevice:
    """The authenticator app the person set up: the same secret, as the page showed it."""
    raw = secret.replace(" ", "")
    return TOTPDevice(key=b32decode(raw + "=" * (-len(raw) % 8)).hex())


def test_an_admin_enrols_an_app_then_signs_in_with_code_and_recovery_code(page):
    page.add_init_script(RECORD_VIOLATIONS)
    admin = association_admin(email="ada@example.org")
    password(page, admin.email)
    # Without a second factor every page leads to the enrolment page.
    page.wait_for_url("**/accounts/mfa/enrol/**")
    page.goto(page.base + "/cohorts/")
    page.wait_for_url("**/accounts/mfa/enrol/**")
    page.goto(page.base + "/admin/")
    page.wait_for_url("**/accounts/mfa/enrol/**")
    screenshot(page, "mfa-enrol")
    app = app_from_secret(page.inner_text("#totp-secret"))
    page.fill("input[name=code]", totp_code(app))
    page.click("form input[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have saved them, continue")
    page.wait_for_url("**/admin/")
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    page.goto(page.base + "/")
    log_out(page)

    # Password, then the code; a wrong code first is refused and counted.
    password(page, admin.email)
    page.wait_for_url("**/accounts/mfa/?next=*")
    page.fill("input[name=code]", "000000")
    page.click("form input[type=submit]")
    assert "That code is not valid" in page.inner_text("main")
    assert AccessAttempt.objects.get(username=admin.email).failures_since_start == 1
    page.fill("input[name=code]", totp_code(device))
    page.click("form input[type=submit]")
    page.wait_for_url(page.base + "/")
    assert not AccessAttempt.objects.filter(username=admin.email).exists()
    log_out(page)

    # A recovery code instead of the app: once.
    password(page, admin.email)
    page.wait_for_url("**/accounts/mfa/**")
    page.fill("input[name=code]", codes[3])
    page.click("form input[type=submit]")
    page.wait_for_url(page.base + "/")
    page.goto(page.base + "/accounts/me/")
    assert "9 unused recovery codes left." in page.inner_text("main")
    assert "Recovery code used" in page.inner_text("main")
    log_out(page)
    password(page, admin.email)
    page.wait_for_url("**/accounts/mfa/**")
    page.fill("input[name=code]", codes[3])
    page.click("form input[type=submit]")
    assert "That code is not valid" in page.inner_text("main")
    page.goto(page.base + "/")
    page.wait_for_url("**/accounts/mfa/**")
    kinds = list(AccountEvent.objects.filter(user=admin).values_list("kind", flat=True))
    assert kinds.count(AccountEventKind.MFA_FAILED) == 2
    assert kinds.count(AccountEventKind.RECOVERY_CODE_USED) == 1
    assert violations(page) == []


def test_a_reviewer_adds_a_security_key_and_signs_in_with_it(page, live_server, settings):
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    page.add_init_script(RECORD_VIOLATIONS)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    rev = reviewer(email="rita@example.org")
    password(page, rev.email)
    page.wait_for_url("**/accounts/mfa/enrol/**")
    page.click("#add-security-key")
    # Added: the person's first recovery codes follow, shown once.
    page.wait_for_selector("#recovery-codes li")
    assert page.locator("#recovery-codes li").count() == 10
    assert WebAuthnCredential.objects.filter(user=rev, confirmed=True).count() == 1
    page.click("text=I have saved them, continue")
    page.wait_for_url(page.base + "/")
    log_out(page)

    password(page, rev.email)
    page.wait_for_url("**/accounts/mfa/**")
    page.click("#use-security-key")
    page.wait_for_url(page.base + "/")
    page.goto(page.base + "/accounts/me/")
    main = page.inner_text("main")
    assert "Security key" in main and "Second factor added" in main
    assert AccountEvent.objects.filter(user=rev, kind=AccountEventKind.MFA_ENROLLED).count() == 1
    screenshot(page, "mfa-account")
    assert violations(page) == []
