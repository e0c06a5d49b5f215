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
