from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User, normalise_stock_code
from assessments.tests.factories import PASSWORD, IssuerFactory, lead, login_request

pytestmark = pytest.mark.django_db


def test_login_by_email_is_case_insensitive():
    user = lead(email="mei.chan@example.org")
    client = Client()
    response = client.post(
        reverse("login"), {"username": "Mei.Chan@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user


def test_wrong_password_gets_a_clear_message():
    lead(email="a@example.org")
    response = Client().post(reverse("login"), {"username": "a@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_password_reset_sends_a_single_use_link():
    user = lead(email="reset@example.org")
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "reset@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reset@example.org"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-Better-passw0rd!", "new_password2": "a-Better-passw0rd!"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-Better-passw0rd!")
    assert "no longer valid" in client.get(link, follow=True).content.decode()


def test_unknown_email_reset_reveals_nothing():
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_language_choice_is_remembered_on_a_new_device():
    user = lead()
    first = Client()
    first.login(request=login_request(), username=user.email, password=PASSWORD)
    first.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    second = Client()  # another browser: no language cookie
    second.login(request=login_request(), username=user.email, password=PASSWORD)
    html = second.get(reverse("home")).content.decode()
    assert 'lang="zh-Hant-HK"' in html
    assert "登出" in html  # "Log out" in Traditional Chinese


def test_a_user_who_chose_chinese_gets_chinese_after_logging_in_on_a_fresh_browser():
    """Through the login form itself, with no language cookie and an English browser: the
    pages follow the stored choice, and the browser is given it (so the page after logging
    out is Chinese too)."""
    user = lead()
    first = Client()
    first.login(request=login_request(), username=user.email, password=PASSWORD)
    first.post(reverse("set_language"), {"language": "zh-hant", "next": reverse("account")})
    user.refresh_from_db()
    assert user.language == "zh-hant"
    assert user.account_events.filter(kind="language_changed").count() == 1

    fresh = Client(headers={"accept-language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in fresh.get(reverse("login")).content.decode()
    response = fresh.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert 'lang="zh-Hant-HK"' in html and "登出" in html
    assert fresh.cookies["django_language"].value == "zh-hant"
    fresh.post(reverse("logout"))
    assert 'lang="zh-Hant-HK"' in fresh.get(reverse("login")).content.decode()


def test_the_account_page_offers_the_language_choice_and_stores_it():
    user = lead()
    client = Client()
    client.login(request=login_request(), username=user.email, password=PASSWORD)
    html = client.get(reverse("account")).content.decode()
    assert 'id="account-language-form"' in html and 'for="account-language-select"' in html
    response = client.post(
        reverse("set_language"), {"language": "zh-hant", "next": reverse("account")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("account")
    user.refresh_from_db()
    assert user.language == "zh-hant"
    html = client.get(reverse("account")).content.decode()
    assert '<option value="zh-hant" lang="zh-Hant-HK" selected>' in html


def test_language_switch_works_for_anonymous_visitors_and_ignores_bad_codes():
    client = Client()
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/accounts/login/"})
    assert 'lang="zh-Hant-HK"' in client.get(reverse("login")).content.decode()
    response = client.post(
        reverse("set_language"), {"language": "klingon", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_role_and_issuer_must_agree_in_the_database():
    issuer = IssuerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(
            "x@example.org", PASSWORD, role=Role.ASSOCIATION_ADMIN, issuer=issuer
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("y@example.org", PASSWORD, role=Role.ISSUER_LEAD, issuer=None)


@pytest.mark.parametrize(
    ("raw", "expected"), [("700", "00700"), ("5", "00005"), (" 90001 ", "90001")]
)
def test_stock_codes_are_stored_as_five_digits(raw, expected):
    assert normalise_stock_code(raw) == expected


@pytest.mark.parametrize("raw", ["", "123456", "7OO", "-12", "１２３"])
def test_bad_stock_codes_are_refused(raw):
    with pytest.raises(ValueError):
        normalise_stock_code(raw)


def test_stock_code_constraint_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuerFactory(stock_code="700")


def test_django_admin_is_usable_by_association_admins(framework):
    from assessments.tests.factories import association_admin, client_for

    admin = association_admin()
    client = client_for(admin)  # password and second factor
    lead()
    for url in (
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/issuer/",
        "/admin/accounts/user/add/",
        "/admin/assessments/assessment/",
        "/admin/assessments/frameworkversion/",
        "/admin/cohorts/cohort/",
        "/admin/cohorts/cohort/add/",
        "/admin/reports/report/",
        "/admin/accounts/issuer/?q=00",
    ):
        assert client.get(url).status_code == 200, url
    issuer_user = lead()
    client.force_login(issuer_user)
    assert client.get("/admin/").status_code == 302  # not staff: sent to the admin login
