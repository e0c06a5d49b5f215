"""CSRF: every state-changing request needs the token, and the pages' own posts carry it.

Each case is posted twice by a client that enforces CSRF checks as a browser would: once
without a token (refused with Django's CSRF 403 before the view runs) and once with the
token the page hands out (accepted: whatever the view answers, it is not that 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.mfa import required_for
from accounts.models import User
from assessments import selectors, services
from assessments.tests.factories import (
    PASSWORD,
    CohortFactory,
    association_admin,
    lead,
    reviewer,
    second_factor_given,
    submit_answered,
)

pytestmark = pytest.mark.django_db

CSRF_REFUSAL = "The form has expired"  # templates/403_csrf.html
ENROL_CSV = (
    "stock_code,name_en,name_zh,board,industry,lead_email\n"
    "00777,Csrf Test Ltd,,main,industrials,ceo@csrf.example\n"
)


@dataclass
class Case:
    user: User | None
    url: str
    data: dict[str, Any] = field(default_factory=dict)
    json: bool = False  # sent like autosave.js: token in the X-CSRFToken header


@pytest.fixture
def world(framework):
    cohort = CohortFactory(framework=framework)
    the_reviewer = reviewer()
    cohort.reviewers.add(the_reviewer)
    fw = selectors.framework_of(framework)

    drafting = lead()
    draft = services.assessment_create(
        issuer=drafting.issuer, framework=framework, user=drafting, cohort=cohort
    )
    submitting = lead()
    done = services.assessment_create(
        issuer=submitting.issuer, framework=framework, user=submitting, cohort=cohort
    )
    submit_answered(done, submitting)

    shift = fw.shifts[0]
    item = next(i for i in shift.items if i.kind == "maturity")
    step = {f"{i.code}__base": "0" for i in shift.items} | {f"{item.code}__value": "3"}
    admin = association_admin()
    return {
        "login": Case(None, reverse("login"), {"username": drafting.email, "password": PASSWORD}),
        "logout": Case(drafting, reverse("logout")),
        "set-language": Case(drafting, reverse("set_language"), {"language": "zh-hant"}),
        "password-reset": Case(None, reverse("password_reset"), {"email": drafting.email}),
        "assessment-start": Case(drafting, reverse("assessments:start")),
        "company-profile": Case(drafting, reverse("assessments:profile", args=[draft.pk])),
        "wizard-save": Case(
            drafting, reverse("assessments:step", args=[draft.pk, shift.code]), step
        ),
        "autosave": Case(
            drafting,
            reverse("assessments:autosave", args=[draft.pk, shift.code]),
            {f"{item.code}__value": "3", f"{item.code}__base": "0"},
            json=True,
        ),
        "submit": Case(drafting, reverse("assessments:submit", args=[draft.pk])),
        "review": Case(
            the_reviewer,
            reverse("assessments:review_submission", args=[done.pk]),
            {"action": "comment", "item": item.code, "text": "Evidence?"},
        ),
        "report-request": Case(
            submitting, reverse("reports:request", args=[done.pk]), {"language": "en"}
        ),
        "team-invite": Case(
            drafting, reverse("team"), {"email": "new@csrf.example", "full_name": "New Colleague"}
        ),
        "enrolment": Case(
            admin,
            reverse("cohorts:enrol", args=[cohort.slug]),
            {"file": SimpleUploadedFile("issuers.csv", ENROL_CSV.encode(), "text/csv")},
        ),
        "bulk-reports": Case(
            admin, reverse("cohorts:bulk_reports", args=[cohort.slug]), {"language": "en"}
        ),
        "django-admin": Case(
            admin,
            reverse("admin:accounts_issuer_add"),
            {"stock_code": "00888", "name_en": "Admin Added Ltd", "board": "main"},
        ),
    }


def browser(user: User | None) -> tuple[Client, str]:
    """A client that enforces CSRF like a browser, and the token a page gave it."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
        if required_for(user):
            second_factor_given(client, user)
    assert client.get(reverse("password_reset")).status_code == 200  # a page with a form
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def post(client: Client, case: Case, token: str | None) -> Any:
    data = dict(case.data)
    headers: dict[str, str] = {}
    if case.json:
        headers["Accept"] = "application/json"
        if token is not None:
            headers["X-CSRFToken"] = token
    elif token is not None:
        data["csrfmiddlewaretoken"] = token
    return client.post(case.url, data, headers=headers)


CASES = [
    "login",
    "logout",
    "set-language",
    "password-reset",
    "assessment-start",
    "company-profile",
    "wizard-save",
    "autosave",
    "submit",
    "review",
    "report-request",
    "team-invite",
    "enrolment",
    "bulk-reports",
    "django-admin",
]


def test_post_without_a_token_is_refused(world):
    # One world for all cases: a refused request never reaches the view, so none of
    # them changes anything the next one could notice.
    for name in CASES:
        case = world[name]
        client, _token = browser(case.user)
        response = post(client, case, token=None)
        assert response.status_code == 403, name
        assert CSRF_REFUSAL in response.content.decode(), name


@pytest.mark.parametrize("name", CASES)
def test_post_with_the_pages_token_is_accepted(world, name):
    case = world[name]
    client, token = browser(case.user)
    response = post(client, case, token=token)
    assert response.status_code != 403, response.content.decode()[:500]
    assert CSRF_REFUSAL not in response.content.decode()


def test_autosave_json_with_the_header_token_saves(world):
    case = world["autosave"]
    client, token = browser(case.user)
    response = post(client, case, token=token)
    assert response.status_code == 200 and response.json()["status"] == "saved"


def test_a_token_from_another_browser_is_refused(world):
    case = world["autosave"]
    _other, foreign_token = browser(case.user)
    client, _own = browser(case.user)
    assert post(client, case, token=foreign_token).status_code == 403


def test_login_rotates_the_csrf_token():
    user = lead()
    client, before = browser(None)
    response = client.post(
        reverse("login"),
        {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": before},
    )
    assert response.status_code == 302
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != before


def _views(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def test_the_middleware_is_on_and_no_view_opts_out():
    """The cases above are examples; this covers every route, including future ones."""
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    views = _views(get_resolver().url_patterns)
    assert len(views) > 20
    exempt = [
        route
        for route, view in views
        if getattr(view, "csrf_exempt", False) and not _drf_checks_csrf(view)
    ]
    assert exempt == []


def _drf_checks_csrf(view: Any) -> bool:
    """Django REST framework marks its views csrf_exempt and checks CSRF itself, in
    SessionAuthentication, for every unsafe request that a session cookie authenticates
    (a token request carries no cookie a page could ride on)."""
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.views import APIView

    cls = getattr(view, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, APIView)):
        return False
    return any(
        issubclass(a, SessionAuthentication) for a in getattr(cls, "authentication_classes", ())
    )


def test_the_api_refuses_a_session_post_without_the_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["logout"].user)
    response = client.post(reverse("api:assessments"), {})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    "name", ["logout", "set-language", "assessment-start", "autosave", "submit", "report-request"]
)
def test_action_endpoints_refuse_get(world, name):
    """A link or an <img> cannot trigger them: they only answer POST."""
    case = world[name]
    client = Client()
    client.force_login(case.user)
    if required_for(case.user):
        second_factor_given(client, case.user)
    assert client.get(case.url).status_code == 405
