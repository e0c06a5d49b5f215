"""Error pages are the app's own, in the reader's language, and never show internals."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from assessments.tests.factories import client_for, lead, reviewer

pytestmark = pytest.mark.django_db


def test_not_found_is_the_apps_page_in_the_readers_language():
    client = client_for(lead())
    response = client.get("/assessments/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Go to the home page" in html
    assert "Traceback" not in html
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hant").get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到頁面" in response.content.decode()


def test_forbidden_explains_the_role():
    response = client_for(reviewer()).get("/cohorts/new/")
    assert response.status_code == 403
    assert "Your role does not allow this action" in response.content.decode()


def test_csrf_failure_says_what_to_do():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a@b.example", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form has expired" in html
    assert "reload the page" in html


def test_server_error_page_needs_no_request_context():
    request = RequestFactory().get("/")
    with translation.override("zh-hant"):
        response = defaults.server_error(request)
    assert response.status_code == 500
    assert "出現錯誤" in response.content.decode()
