from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from assessments.tests.factories import (
    association_admin,
    client_for,
    contributor,
    lead,
    login_request,
)

pytestmark = pytest.mark.django_db


def test_lead_invites_a_colleague_who_sets_a_password_and_logs_in():
    the_lead = lead(full_name="Mei Chan")
    response = client_for(the_lead).post(
        reverse("team"), {"email": "Ka.Ho@Example.org", "full_name": "Ka Ho Wong"}
    )
    assert response.status_code == 302
    colleague = User.objects.get(email="ka.ho@example.org")
    assert colleague.role == Role.ISSUER_CONTRIBUTOR and colleague.issuer == the_lead.issuer
    assert not colleague.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ka.ho@example.org"]
    assert "Mei Chan" in mail.outbox[0].body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    browser = Client()
    page = browser.get(link, follow=True)
    browser.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Harbour-Views-2026", "new_password2": "Harbour-Views-2026"},
    )
    assert Client().login(
        request=login_request(), username="ka.ho@example.org", password="Harbour-Views-2026"
    )
    assert "no longer valid" in browser.get(link, follow=True).content.decode()  # single use
    html = client_for(the_lead).get(reverse("team")).content.decode()
    assert "Ka Ho Wong" in html and "ka.ho@example.org" in html


def test_duplicate_or_bad_addresses_get_a_clear_message():
    the_lead = lead()
    client = client_for(the_lead)
    response = client.post(reverse("team"), {"email": the_lead.email.upper(), "full_name": "Again"})
    assert response.status_code == 200 and "already has an account" in response.content.decode()
    response = client.post(reverse("team"), {"email": "not-an-address", "full_name": "X"})
    assert response.status_code == 200 and "valid email" in response.content.decode().lower()
    assert len(mail.outbox) == 0


def test_only_the_lead_invites_and_only_issuer_staff_see_a_team():
    the_lead = lead()
    helper = contributor(the_lead.issuer)
    client = client_for(helper)
    assert client.get(reverse("team")).status_code == 200
    assert (
        client.post(reverse("team"), {"email": "x@example.org", "full_name": "X"}).status_code
        == 403
    )
    assert not User.objects.filter(email="x@example.org").exists()
    assert client_for(association_admin()).get(reverse("team")).status_code == 404
    assert Client().get(reverse("team")).status_code == 302
    other = lead()
    assert other.email not in client.get(reverse("team")).content.decode()  # own issuer only


def test_after_choosing_a_password_people_land_in_their_assessment(framework):
    from assessments import services

    the_lead = lead()
    open_one = services.assessment_start(user=the_lead, framework=framework)
    client = client_for(the_lead)
    response = client.get(reverse("assessments:current"))
    assert response["Location"] == reverse("assessments:detail", args=[open_one.pk])
    assert client_for(association_admin()).get(reverse("assessments:current"))[
        "Location"
    ] == reverse("home")
    assert client_for(lead()).get(reverse("assessments:current"))["Location"] == reverse("home")
