"""Login throttling (django-axes): per (e-mail, client address) pair, with a cool-off."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from accounts.throttle import client_ip, login_username
from assessments.tests.factories import PASSWORD, lead

pytestmark = pytest.mark.django_db

ATTACKER, VICTIM = "198.51.100.7", "203.0.113.20"
LIMIT = settings.AXES_FAILURE_LIMIT


def attempt(email: str, password: str, ip: str, client: Client | None = None, **extra):
    return (client or Client()).post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip, **extra
    )


def fail(email: str, ip: str, times: int = LIMIT, **extra):
    return [attempt(email, "wrong-password", ip, **extra) for _ in range(times)]


def locked_out(response) -> bool:
    return response.status_code == 429 and 'id="lockout"' in response.content.decode()


def test_the_limit_locks_that_account_from_that_address_with_a_clear_page():
    user = lead()
    responses = fail(user.email, ATTACKER)
    assert all(r.status_code == 200 for r in responses[:-1])  # the form, with its error
    assert locked_out(responses[-1])
    # Even the right password is refused now, and the page says what to do.
    response = attempt(user.email, PASSWORD, ATTACKER)
    assert locked_out(response)
    html = response.content.decode()
    assert "Too many login attempts" in html and f"After {LIMIT} failed attempts" in html
    assert "paused for 15 minutes" in html and reverse("password_reset") in html
    assert "<nav" in html  # the site's page, not a bare text response


def test_the_owner_still_logs_in_from_another_address():
    user = lead()
    fail(user.email, ATTACKER)
    assert attempt(user.email, PASSWORD, VICTIM).status_code == 302


def test_spraying_many_accounts_from_one_address_locks_nobody_else():
    sprayed, other = lead(), lead()
    fail(sprayed.email, ATTACKER)
    for _ in range(LIMIT - 1):
        assert not locked_out(attempt(other.email, "wrong-password", ATTACKER))
    assert attempt(other.email, PASSWORD, ATTACKER).status_code == 302


def test_changing_the_case_of_the_address_does_not_buy_more_attempts():
    user = lead(email="mei.chan@example.org")
    variants = ["Mei.Chan@example.org", "MEI.CHAN@EXAMPLE.ORG", " mei.chan@Example.org"]
    for n in range(LIMIT):
        attempt(variants[n % len(variants)], "wrong-password", ATTACKER)
    assert locked_out(attempt(user.email, PASSWORD, ATTACKER))
    assert AccessAttempt.objects.get().username == "mei.chan@example.org"


def test_the_lock_lifts_after_the_cool_off():
    user = lead()
    fail(user.email, ATTACKER)
    assert locked_out(attempt(user.email, PASSWORD, ATTACKER))
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=15)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - cool_off)
    assert attempt(user.email, PASSWORD, ATTACKER).status_code == 302


def test_a_successful_login_resets_the_count():
    user = lead()
    fail(user.email, VICTIM, times=LIMIT - 1)
    assert attempt(user.email, PASSWORD, VICTIM).status_code == 302
    fail(user.email, VICTIM, times=LIMIT - 1)
    assert attempt(user.email, PASSWORD, VICTIM).status_code == 302


def test_a_password_reset_lets_the_locked_out_owner_back_in():
    user = lead(email="locked@example.org")
    fail(user.email, VICTIM)
    client = Client(REMOTE_ADDR=VICTIM)
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-Better-passw0rd!", "new_password2": "a-Better-passw0rd!"},
    )
    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 200  # logged in
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_the_admin_login_is_throttled_too():
    user = lead()
    url = reverse("admin:login")
    for _ in range(LIMIT):
        response = Client().post(
            url, {"username": user.email, "password": "wrong"}, REMOTE_ADDR=ATTACKER
        )
    assert locked_out(response)


def test_a_forged_forwarded_for_header_is_ignored_without_a_proxy():
    user = lead()
    for n in range(LIMIT):
        attempt(user.email, "wrong-password", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert locked_out(attempt(user.email, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.99"))


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_each_client_address_counts_apart():
    user, proxy = lead(), "10.0.0.2"
    for _ in range(LIMIT):
        attempt(user.email, "wrong-password", proxy, HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ATTACKER}")
    assert locked_out(attempt(user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER))
    # The victim, behind the same proxy, is not: the proxy's own address is not the key.
    assert attempt(user.email, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=VICTIM).status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.1"),
        (0, "6.6.6.6", "192.0.2.1"),  # no proxy configured: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged entry on the left is skipped
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "192.0.2.1"),  # did not pass through both proxies
        (1, "not-an-address", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_username_key_from_credentials_or_the_form():
    request = RequestFactory().post("/", {"username": " Form@Example.org "})
    assert login_username(request, None) == "form@example.org"
    assert login_username(request, {"username": "Cred@Example.org"}) == "cred@example.org"
    assert login_username(RequestFactory().post("/"), None) is None
