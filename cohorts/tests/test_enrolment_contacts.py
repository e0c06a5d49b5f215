"""Enrolment makes contacts through `accounts.services.issuer_contact_add`: one e-mail
address may serve several companies (a company-secretarial firm), each a membership."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, MembershipRole, User
from accounts.selectors import InvitationStatus, issuer_contacts
from assessments.models import Assessment
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
)

pytestmark = pytest.mark.django_db

SHARED = (
    "stock_code,name_en,name_zh,industry,board,email\n"
    "700,Victoria Harbour Tech Limited,維港科技有限公司,"
    "Information Technology,Main Board,cosec@firm.example\n"
    "8123,Lantau Foods Limited,大嶼食品有限公司,consumer_staples,gem,COSEC@firm.example\n"
)


def enrol(admin, cohort, text: str, oncommit) -> None:
    url = reverse("cohorts:enrol", args=[cohort.slug])
    admin.post(url, {"file": SimpleUploadedFile("i.csv", text.encode(), "text/csv")})
    with oncommit(execute=True):
        assert admin.post(url, {"action": "import"}).status_code == 302


def test_one_address_for_two_companies_is_a_contact_of_both(framework, oncommit):
    cohort = CohortFactory(framework=framework)
    enrol(client_for(association_admin()), cohort, SHARED, oncommit)
    person = User.objects.get(email="cosec@firm.example")
    issuers = {a.issuer.stock_code: a.issuer for a in Assessment.objects.filter(cohort=cohort)}
    assert set(issuers) == {"00700", "08123"}
    memberships = Membership.objects.filter(user=person)
    assert {m.issuer.stock_code for m in memberships} == {"00700", "08123"}
    assert {m.role for m in memberships} == {MembershipRole.LEAD}
    assert all(m.is_active and m.accepted_at is None for m in memberships)
    contacts = issuer_contacts(issuer_ids=[i.pk for i in issuers.values()])
    for issuer in issuers.values():
        (contact,) = contacts[issuer.pk]
        assert contact.email == "cosec@firm.example" and contact.is_lead
        assert contact.status == InvitationStatus.INVITED
    # One account, and an e-mail naming each company, the cohort and its deadline.
    assert sorted(m.to[0] for m in mail.outbox) == ["cosec@firm.example"] * 2
    bodies = " ".join(m.body for m in mail.outbox)
    assert "Victoria Harbour Tech Limited" in bodies and "Lantau Foods Limited" in bodies
    assert cohort.name_en in bodies and "The link expires on" in bodies


def test_an_existing_contact_of_another_company_gets_the_new_one_too_and_sees_both(
    framework, oncommit, eager
):
    """Eager: the "enrolled in a new round" task runs too, and must not write to a person
    who became a contact in this very import (their notice says it)."""
    cohort = CohortFactory(framework=framework)
    elsewhere = IssuerFactory(stock_code="00999", name_en="Old Client Limited")
    person = lead(email="cosec@firm.example", issuer=elsewhere, language="zh-hant")
    enrol(client_for(association_admin()), cohort, SHARED, oncommit)
    assert Membership.objects.filter(user=person, is_active=True).count() == 3
    added = Membership.objects.get(user=person, issuer__stock_code="00700")
    assert added.accepted_at is not None  # they already have a working login
    (notice, _second) = mail.outbox
    assert notice.to == ["cosec@firm.example"] and "/accounts/login/" in notice.body
    assert "維港科技有限公司" in notice.subject  # in the person's own language
    assert "/accounts/reset/" not in notice.body  # no password link for a working account
    # They still act for the old client, and see the new ones after switching.
    client = client_for(person)
    html = client.get(reverse("home")).content.decode()
    assert 'id="issuer-switch"' in html and "維港科技有限公司" in html
    new = added.issuer
    response = client.post(reverse("issuer_select"), {"issuer": new.pk})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.issuer == new and person.role == MembershipRole.LEAD
    assert client.post(reverse("assessments:start")).status_code == 302
    assert Assessment.objects.filter(issuer=new, cohort=cohort).exists()
