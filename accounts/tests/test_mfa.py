"""The second factor through HTTP: enforcement, enrolment, codes, recovery codes, the
lockout, resets, the password-reset path and the cohort rule for leads."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import AccountEvent, AccountEventKind, RecoveryCode, RecoveryCodes
from accounts.services import (
    recovery_codes_issue,
    second_factor_reset,
)
from assessments.models import Assessment
from assessments.tests.factories import (
    PASSWORD,
    CohortFactory,
    association_admin,
    authenticator_for,
    client_for,
    contributor,
    lead,
    reviewer,
    totp_code,
)

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"
LIMIT = settings.AXES_FAILURE_LIMIT


def password_login(user, client: Client | None = None) -> tuple[Client, object]:
    client = client or Client(REMOTE_ADDR=IP)
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    return client, response


def events(user) -> list[str]:
    return list(
        AccountEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True)
    )


def secret_of(page: str) -> str:
    found = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert found, "no secret on the page"
    return found.group(1).replace(" ", "")


def codes_of(page: str) -> list[str]:
    found = re.search(r'id="recovery-codes">(.*?)</ul>', page, re.S)
    assert found, "no recovery codes on the page"
    return re.findall(r"<li>([a-z0-9-]+)</li>", found.group(1))


@pytest.mark.parametrize("who", ["admin", "reviewer"])
def test_association_staff_without_a_device_can_only_enrol(who, framework):
    user = association_admin() if who == "admin" else reviewer()
    client, response = password_login(user)
    assert response.status_code == 302
    enrol = reverse("mfa_enrol")
    for url in ("/", "/cohorts/", reverse("account"), "/admin/", "/admin/accounts/user/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(enrol), url
        assert f"next={url.replace('/', '%2F')}" in response["Location"]
    assert client.post(reverse("mfa_recovery_codes")).status_code == 302
    # JSON and the API get a refusal, not a page.
    response = client.get("/cohorts/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["status"] == "second_factor_required"
    assert client.get("/api/anything/").status_code in (403, 404)
    # The enrolment page itself, the language and signing out work.
    assert client.get(enrol).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302


def test_enrolment_then_password_and_code_then_recovery_code_once():
    admin = association_admin(email="ada@example.org")
    client, _ = password_login(admin)
    page = client.get(reverse("mfa_enrol") + "?next=/cohorts/").content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, no script
    secret = secret_of(page)
    assert not TOTPDevice.objects.filter(user=admin).exists()  # nothing stored yet
    # A wrong code: not added, asked again with the same secret.
    response = client.post(reverse("mfa_enrol") + "?next=/cohorts/", {"code": "000000"})
    assert response.status_code == 200 and "does not match" in response.content.decode()
    assert secret_of(response.content.decode()) == secret
    assert not TOTPDevice.objects.filter(user=admin).exists()
    app = TOTPDevice(key=b32decode(secret + "=" * (-len(secret) % 8)).hex())
    response = client.post(reverse("mfa_enrol") + "?next=/cohorts/", {"code": totp_code(app)})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    codes = codes_of(response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/cohorts/"' in response.content.decode()
    # Stored only as salted digests.
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert not any(c in d or c.replace("-", "") in d for c in codes for d in stored)
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert client.get("/cohorts/").status_code == 200
    assert events(admin) == [AccountEventKind.MFA_ENROLLED, AccountEventKind.RECOVERY_CODES_ISSUED]

    client.post(reverse("logout"))
    client, response = password_login(admin)
    assert client.get("/").url.startswith(reverse("mfa_verify"))
    assert client.get(reverse("mfa_enrol")).url.startswith(reverse("mfa_verify"))
    response = client.post(reverse("mfa_verify") + "?next=/cohorts/", {"code": "123456"})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert AccessAttempt.objects.get(username=admin.email).failures_since_start == 1
    response = client.post(reverse("mfa_verify") + "?next=/cohorts/", {"code": totp_code(device)})
    assert response.status_code == 302 and response["Location"] == "/cohorts/"
    assert not AccessAttempt.objects.filter(username=admin.email).exists()  # signed in: cleared

    client.post(reverse("logout"))
    client, _ = password_login(admin)
    response = client.post(reverse("mfa_verify"), {"code": codes[0].upper()})
    assert response.status_code == 302 and client.get("/").status_code == 200
    client.post(reverse("logout"))
    client, _ = password_login(admin)
    response = client.post(reverse("mfa_verify"), {"code": codes[0]})
    assert response.status_code == 200 and client.get("/").status_code == 302  # used up
    kinds = events(admin)
    assert kinds.count(AccountEventKind.RECOVERY_CODE_USED) == 1
    assert kinds.count(AccountEventKind.MFA_FAILED) == 2
    used = AccountEvent.objects.get(user=admin, kind=AccountEventKind.RECOVERY_CODE_USED)
    assert used.detail == {"remaining": 9} and used.ip_address == IP


def test_wrong_codes_lock_the_account_out_like_wrong_passwords():
    admin = association_admin()
    authenticator_for(admin)
    client, _ = password_login(admin)
    for _ in range(LIMIT - 1):
        assert client.post(reverse("mfa_verify"), {"code": "111111"}).status_code == 200
    response = client.post(reverse("mfa_verify"), {"code": "111111"})
    assert response.status_code == 429 and 'id="lockout"' in response.content.decode()
    # The half-signed-in session is over, and the password is refused until the cool-off.
    response = client.get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    _, response = password_login(admin)
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username=admin.email).failures_since_start > LIMIT
    assert events(admin) == [AccountEventKind.MFA_FAILED] * LIMIT


def test_a_session_opened_before_the_lock_gets_no_more_tries():
    admin = association_admin()
    device = authenticator_for(admin)
    early, _ = password_login(admin)
    client, _ = password_login(admin)
    for _ in range(LIMIT):
        client.post(reverse("mfa_verify"), {"code": "111111"})
    response = early.post(reverse("mfa_verify"), {"code": totp_code(device)})
    assert response.status_code == 429
    assert early.get(reverse("account"))["Location"].startswith(reverse("login"))
    assert DEVICE_ID_SESSION_KEY not in early.session


def test_a_password_login_does_not_clear_the_count_of_wrong_codes():
    """Otherwise a password holder could guess codes without end, a few per login."""
    admin = association_admin()
    authenticator_for(admin)
    for _ in range(LIMIT - 1):
        client, _ = password_login(admin)
        client.post(reverse("mfa_verify"), {"code": "222222"})
    client, response = password_login(admin)
    assert response.status_code == 302
    response = client.post(reverse("mfa_verify"), {"code": "222222"})
    assert response.status_code == 429


def test_no_password_reset_path_skips_the_second_factor():
    """The reset link logs the person in (post_reset_login): with a device they are asked
    for a code, without one (association staff) sent to enrol; nothing else opens."""
    with_device, without = (
        association_admin(email="a1@example.org"),
        reviewer(email="r1@example.org"),
    )
    authenticator_for(with_device)
    optional = lead(email="lead-with-app@example.org")
    authenticator_for(optional)
    for user, target in (
        (with_device, "mfa_verify"),
        (without, "mfa_enrol"),
        (optional, "mfa_verify"),
    ):
        mail.outbox.clear()
        client = Client(REMOTE_ADDR=IP)
        client.post(reverse("password_reset"), {"email": user.email})
        link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
        page = client.get(link, follow=True)
        response = client.post(
            page.redirect_chain[-1][0],
            {"new_password1": "a-Better-passw0rd!", "new_password2": "a-Better-passw0rd!"},
        )
        assert response.status_code == 302
        assert DEVICE_ID_SESSION_KEY not in client.session
        followed = client.get(response["Location"])
        assert followed.status_code == 302 and followed["Location"].startswith(reverse(target))
        for url in ("/", reverse("account"), "/admin/"):
            assert client.get(url)["Location"].startswith(reverse(target)), (user.email, url)


def test_a_second_factor_cannot_be_added_past_the_one_you_have():
    admin = association_admin()
    authenticator_for(admin)
    client, _ = password_login(admin)
    response = client.get(reverse("mfa_enrol"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_verify"))
    assert client.post(reverse("mfa_enrol"), {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    assert client.post(reverse("mfa_recovery_codes")).status_code == 302
    assert not RecoveryCodes.objects.filter(user=admin).exists()


def test_optional_for_issuer_staff_and_then_asked_for():
    user = contributor(lead().issuer)
    client, _ = password_login(user)
    assert client.get("/").status_code == 200  # nothing owed
    page = client.get(reverse("account")).content.decode()
    assert "Protect your account with a second factor" in page
    secret = secret_of(client.get(reverse("mfa_enrol")).content.decode())
    app = TOTPDevice(key=b32decode(secret + "=" * (-len(secret) % 8)).hex())
    response = client.post(reverse("mfa_enrol"), {"code": totp_code(app)})
    device = TOTPDevice.objects.get(user=user)
    assert len(codes_of(response.content.decode())) == 10
    page = client.get(reverse("account")).content.decode()
    assert "Authenticator app" in page and "10 unused recovery codes left." in page
    assert "Second factor added" in page and "Recovery codes issued" in page
    client.post(reverse("logout"))
    client, _ = password_login(user)
    assert client.get("/")["Location"].startswith(reverse("mfa_verify"))
    client.post(reverse("mfa_verify"), {"code": totp_code(device)})
    # Optional: the person may remove it again, and their recovery codes go with it.
    response = client.post(reverse("mfa_remove"), {"device": device.persistent_id})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCodes.objects.filter(user=user).exists()
    assert AccountEventKind.MFA_REMOVED in events(user)
    client.post(reverse("logout"))
    client, _ = password_login(user)
    assert client.get("/").status_code == 200


def test_who_must_keep_one_cannot_remove_the_last():
    admin = association_admin()
    device = authenticator_for(admin)
    client = client_for(admin)
    response = client.post(reverse("mfa_remove"), {"device": device.persistent_id}, follow=True)
    assert "You must keep a second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    other = authenticator_for(association_admin())
    assert client.post(reverse("mfa_remove"), {"device": other.persistent_id}).status_code == 404
    assert client.post(reverse("mfa_remove"), {"device": "nonsense/1"}).status_code == 404


def test_new_recovery_codes_replace_the_old_set():
    admin = association_admin()
    authenticator_for(admin)
    old = recovery_codes_issue(user=admin)
    client = client_for(admin)
    response = client.post(reverse("mfa_recovery_codes"))
    new = codes_of(response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    client, _ = password_login(admin)
    assert client.post(reverse("mfa_verify"), {"code": old[0]}).status_code == 200
    assert client.post(reverse("mfa_verify"), {"code": new[0]}).status_code == 302


def test_a_cohort_can_require_it_of_its_issuers_leads(framework):
    cohort = CohortFactory(framework=framework)
    the_lead = lead()
    colleague = contributor(the_lead.issuer)
    Assessment.objects.create(issuer=the_lead.issuer, framework=framework, cohort=cohort)
    assert not mfa.required_for(the_lead)
    cohort.mfa_required_for_leads = True
    cohort.save()
    assert mfa.required_for(the_lead)
    assert not mfa.required_for(colleague)
    client, _ = password_login(the_lead)
    assert client.get("/")["Location"].startswith(reverse("mfa_enrol"))
    client_c, _ = password_login(colleague)
    assert client_c.get("/").status_code == 200
    # A company withdrawn from that round is no longer bound by it.
    Assessment.objects.filter(issuer=the_lead.issuer).update(withdrawn_at=timezone.now())
    assert not mfa.required_for(the_lead)


def test_a_session_learns_of_a_new_requirement_within_the_recheck(framework, settings):
    cohort = CohortFactory(framework=framework)
    the_lead = lead()
    Assessment.objects.create(issuer=the_lead.issuer, framework=framework, cohort=cohort)
    client, _ = password_login(the_lead)
    assert client.get("/").status_code == 200
    cohort.mfa_required_for_leads = True
    cohort.save()
    assert client.get("/").status_code == 200  # read at sign-in, kept for a while
    settings.MFA_RECHECK_SECONDS = -1
    assert client.get("/")["Location"].startswith(reverse("mfa_enrol"))


def test_the_cohort_form_sets_the_requirement(framework):
    admin = association_admin()
    cohort = CohortFactory(framework=framework)
    client = client_for(admin)
    page = client.get(reverse("cohorts:edit", args=[cohort.slug])).content.decode()
    assert 'name="mfa_required_for_leads"' in page
    data = {
        "name_en": cohort.name_en,
        "name_zh": cohort.name_zh,
        "slug": cohort.slug,
        "year": cohort.year,
        "framework": framework.pk,
        "opens_on": cohort.opens_on.isoformat(),
        "closes_on": cohort.closes_on.isoformat(),
        "status": cohort.status,
        "mfa_required_for_leads": "on",
    }
    assert client.post(reverse("cohorts:edit", args=[cohort.slug]), data).status_code == 302
    cohort.refresh_from_db()
    assert cohort.mfa_required_for_leads


def test_an_admin_reset_is_audited_ends_sessions_and_tells_the_person(oncommit):
    admin = association_admin(full_name="Ada Admin")
    person = reviewer(email="rita@example.org", language="zh-hant")
    device = authenticator_for(person)
    recovery_codes_issue(user=person)
    sessions = client_for(person)
    assert sessions.get("/").status_code == 200
    with oncommit(execute=True):
        second_factor_reset(user=person, by=admin)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not RecoveryCodes.objects.filter(user=person).exists()
    assert sessions.get(reverse("account"))["Location"].startswith(reverse("login"))
    event = AccountEvent.objects.get(user=person, kind=AccountEventKind.MFA_RESET)
    assert event.actor == admin
    (message,) = mail.outbox
    assert message.to == ["rita@example.org"]
    assert "第二重驗證" in message.subject and "Ada Admin" in message.body
    assert "Second factor" not in message.body  # in the person's language only
    # They sign in again and must enrol anew.
    client, _ = password_login(person)
    assert client.get("/")["Location"].startswith(reverse("mfa_enrol"))


def test_the_reset_is_an_admin_action_in_the_django_admin(oncommit):
    admin = association_admin()
    person = reviewer()
    authenticator_for(person)
    client = client_for(admin)
    with oncommit(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "second_factor_reset", "_selected_action": [person.pk, admin.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=person).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()  # never one's own
    assert "You cannot reset your own second factor" in response.content.decode()
    assert AccountEvent.objects.filter(user=person, kind=AccountEventKind.MFA_RESET).count() == 1
    assert len(mail.outbox) == 1


def test_devices_are_not_edited_in_the_django_admin():
    """Only the audited reset: no quiet way to give someone a known secret."""
    client = client_for(association_admin())
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/django_otp_webauthn/webauthncredential/").status_code == 404
    assert client.get("/admin/accounts/recoverycodes/").status_code == 404


def test_deactivation_still_ends_a_verified_session():
    admin = association_admin()
    client = client_for(admin)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    admin.is_active = False
    admin.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))


def test_the_second_factor_pages_are_in_chinese_for_a_chinese_reader():
    admin = association_admin(language="zh-hant")
    client, _ = password_login(admin)
    page = client.get(reverse("mfa_enrol")).content.decode()
    assert "加入第二重驗證" in page and "驗證器應用程式" in page and "保安密鑰" in page
    assert "Add a second factor" not in page and "Authenticator app" not in page
    secret = secret_of(page)
    app = TOTPDevice(key=b32decode(secret + "=" * (-len(secret) % 8)).hex())
    page = client.post(reverse("mfa_enrol"), {"code": totp_code(app)}).content.decode()
    assert "您的備用碼" in page and "Your recovery codes" not in page
    client.post(reverse("logout"))
    client, _ = password_login(admin)
    page = client.get(reverse("mfa_verify")).content.decode()
    assert "確認您的身分" in page and "Confirm it is you" not in page
    page = client.post(reverse("mfa_verify"), {"code": "999999"}).content.decode()
    assert "驗證碼無效" in page


def test_a_refused_security_key_answer_counts_like_a_wrong_code():
    admin = association_admin()
    authenticator_for(admin)
    client, _ = password_login(admin)
    response = client.post(
        reverse("mfa_key_verify_complete"), "{}", content_type="application/json"
    )
    assert response.status_code == 400
    assert events(admin) == [AccountEventKind.MFA_FAILED]
    assert AccessAttempt.objects.get(username=admin.email).failures_since_start == 1
    assert client.get("/")["Location"].startswith(reverse("mfa_verify"))
    # Registering a key past the second factor is refused by the library's own check.
    response = client.post(reverse("mfa_key_register_begin"))
    assert response.status_code == 403
