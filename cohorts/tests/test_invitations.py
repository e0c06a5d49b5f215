"""The cohort's invitations page: contacts with their status, resend one or all."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from accounts.models import Role, User
from assessments.models import Assessment
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
)
from core.models import EmailKind, EmailStatus, SentEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(framework):
    cohort = CohortFactory(framework=framework)
    a, b = IssuerFactory(name_en="Alpha Limited"), IssuerFactory(name_en="Beta Limited")
    for issuer in (a, b):
        Assessment.objects.create(issuer=issuer, framework=framework, cohort=cohort)
    User.objects.create_user(
        "new@alpha.example", None, role=Role.ISSUER_LEAD, issuer=a, language="zh-hant"
    )
    contributor(a, email="done@alpha.example")  # has a password: accepted
    User.objects.create_user("new@beta.example", None, role=Role.ISSUER_LEAD, issuer=b)
    lead(email="elsewhere@other.example")  # not enrolled
    return cohort


def url(cohort) -> str:
    return reverse("cohorts:invitations", args=[cohort.slug])


def test_admins_see_every_contact_with_its_status(cohort, django_assert_max_num_queries):
    admin = client_for(association_admin())
    admin.get(url(cohort))  # warm up (session, language)
    with django_assert_max_num_queries(12):
        html = admin.get(url(cohort)).content.decode()
    assert "Alpha Limited" in html and "Beta Limited" in html
    assert "new@alpha.example" in html and "done@alpha.example" in html
    assert "elsewhere@other.example" not in html
    assert html.count('name="membership"') == 2  # no "Resend" for the accepted contact
    assert "Invited" in html and "Accepted" in html


def test_only_admins_have_the_page(cohort):
    assigned = reviewer()
    cohort.reviewers.add(assigned)
    for person in (assigned, reviewer(), lead(), User.objects.get(email="done@alpha.example")):
        assert client_for(person).get(url(cohort)).status_code == 404
        assert client_for(person).post(url(cohort), {"all": "1"}).status_code == 404
    assert len(mail.outbox) == 0


def test_resend_one_and_all(cohort):
    admin = client_for(association_admin())
    one = User.objects.get(email="new@alpha.example").memberships.get()
    response = admin.post(url(cohort), {"membership": one.pk}, follow=True)
    assert "Invitation sent again to new@alpha.example." in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["new@alpha.example"] and cohort.name_zh in message.body  # zh-Hant
    response = admin.post(url(cohort), {"all": "1", "page": "1"}, follow=True)
    assert "2 invitations sent again." in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["new@alpha.example", "new@beta.example"]


@pytest.mark.parametrize("bad", ["", "x", "-1", "99999999999999999999", "outside", "accepted"])
def test_bad_or_foreign_ids_get_a_message_not_a_500(cohort, bad):
    admin = client_for(association_admin())
    ids = {
        "outside": User.objects.get(email="elsewhere@other.example").memberships.get().pk,
        "accepted": User.objects.get(email="done@alpha.example").memberships.get().pk,
    }
    response = admin.post(url(cohort), {"membership": ids.get(bad, bad)}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not part of this round" in html or "already accepted" in html
    assert len(mail.outbox) == 0
    assert admin.get(url(cohort) + "?page=abc").status_code == 200


def test_resent_invitations_are_in_the_rounds_email_log_with_an_html_part(cohort):
    admin = client_for(association_admin())
    one = User.objects.get(email="new@beta.example").memberships.get()
    admin.post(url(cohort), {"membership": one.pk})
    (logged,) = SentEmail.objects.all()
    assert (logged.recipient, logged.kind, logged.status) == (
        "new@beta.example",
        EmailKind.INVITATION,
        EmailStatus.SENT,
    )
    assert logged.scope == f"cohort:{cohort.pk}" and logged.language == ""  # both languages
    (message,) = mail.outbox
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "/accounts/reset/" in html and cohort.name_zh in html
    assert (
        "new@beta.example"
        in admin.get(reverse("cohorts:emails", args=[cohort.slug])).content.decode()
    )


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"new@beta.example": (550, b"no such user")})


def test_a_refused_invitation_says_so_and_is_logged_as_failed(cohort, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    admin = client_for(association_admin())
    one = User.objects.get(email="new@beta.example").memberships.get()
    response = admin.post(url(cohort), {"membership": one.pk}, follow=True)
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    assert SentEmail.objects.get().status == EmailStatus.FAILED
    response = admin.post(url(cohort), {"all": "1"}, follow=True)
    assert "0 invitations sent again." in response.content.decode()


def test_a_closed_round_sends_no_invitation(cohort):
    cohort.status = "closed"
    cohort.save()
    admin = client_for(association_admin())
    one = User.objects.get(email="new@alpha.example").memberships.get()
    for data in ({"membership": one.pk}, {"all": "1"}):
        response = admin.post(url(cohort), data, follow=True)
        assert "This round is closed, so no company can be enrolled or invited" in (
            response.content.decode()
        )
    assert mail.outbox == []


def test_a_withdrawn_company_leaves_the_invitations(cohort):
    from assessments import services

    beta = Assessment.objects.get(cohort=cohort, issuer__name_en="Beta Limited")
    services.assessment_withdraw(assessment=beta, by=association_admin(), reason="Duplicate")
    admin = client_for(association_admin())
    assert "Beta Limited" not in admin.get(url(cohort)).content.decode()
    response = admin.post(url(cohort), {"all": "1"}, follow=True)
    assert "1 invitation sent again." in response.content.decode()
    assert [m.to for m in mail.outbox] == [["new@alpha.example"]]
