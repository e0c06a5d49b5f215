"""Response headers, cookies and the Content-Security-Policy the pages must live with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from assessments import services
from assessments.tests.factories import PASSWORD, lead, submit_answered

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_a_page_carries_every_security_header():
    response = Client().get(reverse("login"), secure=True)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert csp["style-src"] == ["'self'"]  # no nonce asked for on this page
    assert csp["style-src-attr"] == ["'unsafe-inline'"]  # bar widths; see docs/SECURITY.md
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response.headers["Strict-Transport-Security"] == "max-age=2592000; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_preload_is_opt_in():
    with override_settings(SECURE_HSTS_PRELOAD=True):
        response = Client().get(reverse("login"), secure=True)
    assert response.headers["Strict-Transport-Security"].endswith("; preload")


def test_cookies_are_secure_httponly_and_same_site():
    user = lead()
    client = Client()
    client.get(reverse("login"))
    response = client.post(
        reverse("login"), {"username": user.email, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    client.post(reverse("set_language"), {"language": "zh-hant"}, secure=True)
    for name in (
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
    ):
        cookie = client.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_sent_to_https_except_the_health_check():
    response = Client().get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    # Behind the TLS proxy, which says so in X-Forwarded-Proto, nothing is redirected.
    assert Client().get(reverse("login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert Client().get(reverse("healthz")).status_code == 200


def test_development_without_debug_is_not_weakened():
    """The test settings run with DEBUG off: the production values are the ones tested."""
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 30


def _templates() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return [path for folder in folders for path in folder.rglob("*.html")]


def test_templates_have_no_inline_script_or_event_handler():
    """Under the policy these would silently not run; keep behaviour in static/*.js."""
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag}")
        for attribute in re.findall(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE):
            offenders.append(f"{path.relative_to(ROOT)}: {attribute.strip()}")
        if "javascript:" in text.lower():
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
        for tag in re.findall(r"<style\b[^>]*>", text, flags=re.IGNORECASE):
            if "nonce=" not in tag:
                offenders.append(f"{path.relative_to(ROOT)}: {tag} without a nonce")
    assert offenders == []


@pytest.fixture
def submitted(framework):
    the_lead = lead()
    assessment = services.assessment_start(user=the_lead, framework=framework)
    submit_answered(assessment, the_lead, level=3)
    client = Client()
    client.force_login(the_lead)
    return client, assessment


def test_the_html_report_styles_itself_with_the_responses_nonce(submitted):
    client, assessment = submitted
    response = client.get(reverse("reports:view", args=[assessment.pk, "en"]), secure=True)
    assert response.status_code == 200
    html = response.content.decode()
    nonce = re.search(r"<style nonce=\"([^\"]+)\">", html).group(1)
    assert policy(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert html.count("<svg") >= 2  # radar and heat map: inline SVG needs no img-src
    # Another response gets another nonce.
    again = client.get(reverse("reports:view", args=[assessment.pk, "en"]), secure=True)
    assert f"'nonce-{nonce}'" not in again.headers["Content-Security-Policy"]


def test_the_results_page_has_no_nonce_and_no_inline_style_element(submitted):
    client, assessment = submitted
    response = client.get(reverse("reports:results", args=[assessment.pk]), secure=True)
    assert response.status_code == 200
    assert "<style" not in response.content.decode()
    assert policy(response)["style-src"] == ["'self'"]
