"""Sessions: a new key at login, gone at logout, and ended by deactivation or a new password."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import user_sessions_end
from assessments.tests.factories import PASSWORD, association_admin, client_for, lead

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def session_key(client: Client) -> str:
    return client.cookies[COOKIE].value


def with_cookie(key: str) -> Client:
    """Another browser presenting a copied (e.g. stolen) session cookie."""
    client = Client()
    client.cookies[COOKIE] = key
    return client


def is_logged_in(client: Client) -> bool:
    return client.get(reverse("account")).status_code == 200  # anonymous: 302 to the login


def admin_form_data(response) -> dict:
    """What the admin change page would post back unchanged."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:  # e.g. the memberships
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict = {}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if field.disabled or value is None or value is False:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = "on" if value is True else str(value)
    return data


def test_login_gives_a_new_session_key_and_keeps_what_the_session_held():
    user = lead()
    client = Client()
    session = client.session
    session["pending_step_post"] = {"path": "/x/", "data": {}}  # what an expired save parks
    session.save()
    before = session.session_key
    client.cookies[COOKIE] = before
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["pending_step_post"]["path"] == "/x/"
    # Session fixation: whoever planted or saw the old key is still anonymous.
    assert not is_logged_in(with_cookie(before))
    assert is_logged_in(with_cookie(after))


def test_logout_deletes_the_session_on_the_server():
    client = client_for(lead())
    key = session_key(client)
    assert is_logged_in(with_cookie(key))
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not is_logged_in(with_cookie(key))  # a copy of the cookie is worthless now


def test_deactivation_in_the_admin_logs_the_user_out_on_every_device():
    user = lead()
    laptop, phone = client_for(user), client_for(user)
    keys = {session_key(laptop), session_key(phone)}
    bystander = client_for(lead())
    admin = client_for(association_admin())
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = admin_form_data(admin.get(url))
    assert data.pop("is_active") == "on"  # unticking the box
    response = admin.post(url, data)
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not is_logged_in(laptop) and not is_logged_in(phone)
    autosave = laptop.post(
        "/assessments/1/step/profit/autosave/", {}, HTTP_ACCEPT="application/json"
    )
    assert autosave.status_code == 401
    assert is_logged_in(bystander)
    # Reactivating the account does not bring the old sessions back.
    user.is_active = True
    user.save()
    assert not is_logged_in(laptop) and not is_logged_in(phone)


def test_an_inactive_user_is_anonymous_even_if_their_session_survived():
    """The per-request guard on its own: ModelBackend.get_user refuses inactive users.

    A queryset update skips the signal that deletes the sessions, as would a session
    engine that cannot be enumerated; the session row is still there, yet useless.
    """
    user = lead()
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert Session.objects.filter(session_key=session_key(client)).exists()
    assert not is_logged_in(client)


def test_an_inactive_user_cannot_log_in():
    user = lead(is_active=False)
    response = Client().post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_ending_sessions_touches_only_that_user():
    user, other = lead(), lead()
    client_for(user), client_for(user)
    other_client = client_for(other)
    assert user_sessions_end(user=user) == 2
    assert is_logged_in(other_client)
    assert user_sessions_end(user=user) == 0


def test_a_new_password_ends_the_other_sessions():
    user = lead()
    elsewhere = client_for(user)
    user.set_password("a-Different-passw0rd!")
    user.save()
    assert not is_logged_in(elsewhere)  # session auth hash no longer matches
    assert not Session.objects.filter(session_key=session_key(elsewhere)).exists()


def test_password_reset_logs_in_here_and_out_everywhere_else():
    user = lead(email="reset-sessions@example.org")
    elsewhere = client_for(user)
    client = Client()
    client.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-Better-passw0rd!", "new_password2": "a-Better-passw0rd!"},
    )
    assert response.status_code == 302
    assert is_logged_in(client)
    assert not is_logged_in(elsewhere)
