"""The person's own account page: their details only, in their language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_account_page_shows_only_the_signed_in_persons_details():
    me = UserFactory(email="me@example.org")
    other = UserFactory(email="someone-else@example.org")
    client = Client()
    client.force_login(me)
    page = client.get(reverse("account")).content.decode()
    assert "me@example.org" in page
    assert other.email not in page
    assert reverse("account") in client.get(reverse("home")).content.decode()


def test_the_account_page_is_in_chinese_for_a_chinese_reader():
    me = UserFactory(language="zh-hant")
    client = Client(headers={"accept-language": "zh-hant"})
    client.force_login(me)
    client.cookies["django_language"] = "zh-hant"
    page = client.get(reverse("account")).content.decode()
    assert "您的賬戶" in page
    assert "Your account" not in page


def test_account_events_are_listed_for_their_person_only():
    from accounts.models import AccountEvent, AccountEventKind
    from accounts.services import account_event_record
    from assessments.tests.factories import association_admin

    me, other = UserFactory(), UserFactory()
    admin = association_admin()
    account_event_record(user=me, kind=AccountEventKind.MFA_RESET, actor=admin)
    account_event_record(user=other, kind=AccountEventKind.API_TOKEN_CREATED)
    assert AccountEvent.objects.get(user=me).actor == admin
    client = Client()
    client.force_login(me)
    page = client.get(reverse("account")).content.decode()
    assert "Second factor reset by the association" in page
    assert admin.display_name in page
    assert "API token created" not in page
