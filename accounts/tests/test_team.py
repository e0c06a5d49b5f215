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


def test_lead_invites_a_colleague_who_sets_a_password_and_logs_in(oncommit):
    the_lead = lead(full_name="Mei Chan")
    with oncommit(execute=True):  # the invitation goes once the account is committed
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


def test_bad_addresses_get_a_clear_message():
    client = client_for(lead())
    response = client.post(reverse("team"), {"email": "not-an-address", "full_name": "X"})
    assert response.status_code == 200 and "valid email" in response.content.decode().lower()
    assert len(mail.outbox) == 0


def test_the_invite_form_answers_the_same_whether_or_not_the_address_has_an_account(oncommit):
    """No account enumeration: a lead cannot tell from the answer whether an address is
    registered (here or at another company); the owner of an existing account is told by
    e-mail, in their language, and nothing about the account changes."""
    the_lead = lead()
    elsewhere = lead(language="zh-hant")  # a lead of another issuer
    client = client_for(the_lead)

    def invite(email: str):
        with oncommit(execute=True):
            response = client.post(reverse("team"), {"email": email, "full_name": "Someone"})
        page = client.get(response.url).content.decode()
        alert = re.search(r'<div class="alert[^>]*>(.*?)</div>', page, re.S)
        assert alert is not None
        return response.status_code, response.url, alert.group(1).replace(email.lower(), "ADDRESS")

    def row(email: str) -> str:
        page = client.get(reverse("team")).content.decode()
        (found,) = re.findall(rf"<tr><td>[^<]*</td><td>{re.escape(email)}</td>.*?</tr>", page, re.S)
        return found.replace(email, "ADDRESS")

    new_answer = invite("brand.new@example.org")
    existing_answer = invite(elsewhere.email.upper())
    assert new_answer == existing_answer
    assert "ADDRESS" in new_answer[2]
    assert row("brand.new@example.org") == row(elsewhere.email)
    elsewhere.refresh_from_db()
    assert elsewhere.issuer_id != the_lead.issuer_id and elsewhere.role == Role.ISSUER_LEAD
    assert User.objects.filter(email__iexact=elsewhere.email).count() == 1
    invitation, notice = mail.outbox
    assert invitation.to == ["brand.new@example.org"]
    assert notice.to == [elsewhere.email]
    # In the owner's language, with the page where they may accept (nothing is granted
    # before they do: accounts/tests/test_memberships.py).
    assert "已" in notice.body and reverse("memberships") in notice.body


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
