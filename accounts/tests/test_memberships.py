"""Memberships: a person acts for several issuers; the invitation lifecycle of each."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Membership, MembershipRole, Role, User
from accounts.selectors import InvitationStatus, issuer_contacts
from assessments import access
from assessments.models import Assessment
from assessments.tests.factories import (
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
)
from core.models import EmailKind, SentEmail

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Harbour-Views-2026"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_people_and_invitations_become_memberships():
    old = _migrate([("accounts", "0003_team_invitation")])
    try:
        Issuer = old.get_model("accounts", "Issuer")
        User_ = old.get_model("accounts", "User")
        a = Issuer.objects.create(stock_code="09001", name_en="A", board="main", industry="energy")
        b = Issuer.objects.create(stock_code="09002", name_en="B", board="main", industry="energy")
        active = User_.objects.create(
            email="lead@a.example", role="issuer_lead", issuer=a, password="pbkdf2_sha256$x"
        )
        invited = User_.objects.create(
            email="new@a.example", role="issuer_contributor", issuer=a, password="!unusable"
        )
        User_.objects.create(email="admin@assoc.example", role="association_admin")
        old.get_model("accounts", "TeamInvitation").objects.create(
            issuer=b, email="LEAD@a.example", full_name="Typed By B", invited_by=None
        )
        new = _migrate([("accounts", "0004_membership")])
        rows = {
            (m.user_id, m.issuer_id): m
            for m in new.get_model("accounts", "Membership").objects.all()
        }
        assert set(rows) == {(active.pk, a.pk), (invited.pk, a.pk), (active.pk, b.pk)}
        assert rows[active.pk, a.pk].is_active and rows[active.pk, a.pk].accepted_at is not None
        assert rows[active.pk, a.pk].role == "issuer_lead"
        assert rows[invited.pk, a.pk].is_active and rows[invited.pk, a.pk].accepted_at is None
        pending = rows[active.pk, b.pk]
        assert not pending.is_active and pending.accepted_at is None
        assert pending.role == "issuer_contributor" and pending.invited_name == "Typed By B"
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def dual():
    """Lead of A (selected), contributor of B."""
    person = lead()
    b = IssuerFactory()
    Membership.objects.create(user=person, issuer=b, role=MembershipRole.CONTRIBUTOR)
    return person, person.issuer, b


def test_the_switcher_shows_for_two_companies_and_selects_the_role_there():
    person, a, b = dual()
    client = client_for(person)
    html = client.get(reverse("home")).content.decode()
    assert 'id="issuer-switch"' in html and b.display_name in html
    assert 'id="issuer-switch"' not in client_for(lead()).get(reverse("home")).content.decode()
    response = client.post(reverse("issuer_select"), {"issuer": b.pk}, follow=True)
    assert b.display_name in response.content.decode()
    person.refresh_from_db()
    assert (person.issuer, person.role) == (b, Role.ISSUER_CONTRIBUTOR)
    assert not access.can_invite_colleague(user=person)  # a contributor at B
    assert access.can_confirm_profile(user=person, issuer=a)  # still A's lead
    # Bad or foreign ids: a message, never a 500, nothing changes.
    for bad in ("", "x", "99999999999999999999", str(IssuerFactory().pk)):
        response = client.post(reverse("issuer_select"), {"issuer": bad}, follow=True)
        assert response.status_code == 200
        assert "You do not act for that company." in response.content.decode()
    person.refresh_from_db()
    assert person.issuer == b


def test_a_page_asks_for_the_memberships_once(framework):
    person, a, b = dual()
    for issuer in (a, b):
        Assessment.objects.create(issuer=issuer, framework=framework)
    client = client_for(person)  # signing in asks whether a lead must use a second factor
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert sum("accounts_membership" in q["sql"] for q in ctx.captured_queries) == 1
    # The home list holds both companies' assessments, as can_view allows.
    seen = access.visible_assessments(user=person, queryset=Assessment.objects.all())
    assert {x.issuer_id for x in seen} == {a.pk, b.pk}


def test_a_lead_invitation_of_an_existing_account_grants_nothing_until_accepted(
    framework, oncommit
):
    a_lead = lead(full_name="Mei Chan")
    person = lead(language="zh-hant")
    a_draft = Assessment.objects.create(issuer=a_lead.issuer, framework=framework)
    with oncommit(execute=True):
        client_for(a_lead).post(reverse("team"), {"email": person.email, "full_name": "X"})
    pending = Membership.objects.get(user=person, issuer=a_lead.issuer)
    assert pending.is_pending
    assert not access.can_view(user=User.objects.get(pk=person.pk), assessment=a_draft)
    (notice,) = mail.outbox
    assert reverse("memberships") in notice.body and "Mei Chan" in notice.body
    client = client_for(person)
    assert client.post(reverse("issuer_select"), {"issuer": a_lead.issuer_id}).status_code == 302
    person.refresh_from_db()
    assert person.issuer_id != a_lead.issuer_id  # not switchable before accepting
    page = client.get(reverse("memberships")).content.decode()
    assert f'name="accept" value="{pending.pk}"' in page
    assert client.post(reverse("memberships"), {"accept": "nope"}).status_code == 404
    not_theirs = client_for(a_lead).post(reverse("memberships"), {"accept": pending.pk})
    assert not_theirs.status_code == 404
    client.post(reverse("memberships"), {"accept": pending.pk})
    pending.refresh_from_db()
    assert pending.is_active and pending.accepted_at is not None
    assert access.can_view(user=User.objects.get(pk=person.pk), assessment=a_draft)
    assert not access.can_submit(user=User.objects.get(pk=person.pk), assessment=a_draft)


def link_in(message) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", message.body)
    assert found is not None
    return found.group(1)


def test_the_invitation_records_opened_then_accepted(framework, oncommit):
    admin = association_admin()
    issuer = IssuerFactory()
    with oncommit(execute=True):
        membership, created = services.issuer_contact_add(
            issuer=issuer,
            email="New.Person@Example.org",
            full_name="New Person",
            role=MembershipRole.LEAD,
            invited_by=admin,
            base_url="http://testserver/",
        )
    assert created and membership.invited_by == admin
    (invitation,) = mail.outbox
    # Language unknown: both languages, the association named in each, the expiry stated.
    assert settings.ASSOCIATION_NAME_EN in invitation.body
    assert "香港上市中小企協會" in invitation.body
    assert "The link expires on" in invitation.body
    assert "/accounts/password-reset/" in invitation.body
    status = lambda: issuer_contacts(issuer_ids=[issuer.pk])[issuer.pk][0]  # noqa: E731
    assert status().status == InvitationStatus.INVITED
    browser = Client()
    page = browser.get(link_in(invitation), follow=True)
    assert status().status == InvitationStatus.OPENED and status().last_login is None
    browser.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert status().status == InvitationStatus.ACCEPTED and status().last_login is not None
    membership.refresh_from_db()
    assert membership.invitation_opened_at <= membership.accepted_at


def test_request_a_new_link_works_for_a_never_activated_account_and_reveals_nothing():
    issuer = IssuerFactory()
    User.objects.create_user("never@x.example", None, role=Role.ISSUER_LEAD, issuer=issuer)
    User.objects.create_user(
        "zh@x.example", None, role=Role.ISSUER_LEAD, issuer=issuer, language="zh-hant"
    )
    known = Client().post(reverse("password_reset"), {"email": "NEVER@x.example"})
    (message,) = mail.outbox
    assert message.to == ["never@x.example"] and "/accounts/reset/" in message.body
    assert "The link expires on" in message.body and "連結" in message.body  # both languages
    assert SentEmail.objects.get().kind == EmailKind.NEW_LINK  # in the e-mail log
    unknown = Client().post(reverse("password_reset"), {"email": "nobody@x.example"})
    assert len(mail.outbox) == 1 and SentEmail.objects.count() == 1
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    Client().post(reverse("password_reset"), {"email": "zh@x.example"})
    assert "連結" in mail.outbox[1].body and "The link expires" not in mail.outbox[1].body
    # The new link works: choosing a password accepts the invitation.
    browser = Client()
    page = browser.get(link_in(message), follow=True)
    browser.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert Membership.objects.get(user__email="never@x.example").accepted_at is not None


def test_resend_one_and_all_not_yet_accepted_in_each_recipients_language():
    admin = association_admin()
    a, b = IssuerFactory(), IssuerFactory()
    zh = User.objects.create_user(
        "zh@x.example", None, role=Role.ISSUER_LEAD, issuer=a, language="zh-hant"
    )
    en = User.objects.create_user(
        "en@x.example", None, role=Role.ISSUER_CONTRIBUTOR, issuer=a, language="en"
    )
    done = contributor(a)  # has a password: accepted
    User.objects.create_user("b@x.example", None, role=Role.ISSUER_LEAD, issuer=b)
    one = zh.memberships.get()
    services.invitation_resend(membership=one, by=admin, base_url="http://testserver/")
    (message,) = mail.outbox
    assert message.to == [zh.email] and "連結" in message.body and "The link" not in message.body
    one.refresh_from_db()
    assert one.invited_at is not None
    with pytest.raises(services.InvitationNotNeeded):
        services.invitation_resend(
            membership=done.memberships.get(), by=admin, base_url="http://testserver/"
        )
    mail.outbox = []
    sent = services.invitations_resend_pending(
        issuer_ids=[a.pk], by=admin, base_url="http://testserver/"
    )
    assert sent == 2 and sorted(m.to[0] for m in mail.outbox) == [en.email, zh.email]
    english = next(m for m in mail.outbox if m.to == [en.email])
    assert "The link expires on" in english.body and "連結" not in english.body
    with pytest.raises(services.PermissionDenied):
        services.invitations_resend_pending(
            issuer_ids=[a.pk], by=reviewer(), base_url="http://testserver/"
        )
