"""Anonymising a person who left: over HTTP, and what every page shows afterwards."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import AccountEvent, AccountEventKind, Membership, User
from assessments.models import Answer, AnswerRevision, StatusChange
from assessments.tests.factories import PASSWORD, association_admin, login_request
from core.mail import mail_send
from core.models import EmailKind, EmailStatus, SentEmail
from privacy import services

from .conftest import NOTE, PD

pytestmark = pytest.mark.django_db

OLD_NAME, OLD_EMAIL = "Chan Tai Man", "tai.man.chan@example.org"


def anonymise(pd: PD, person: User, typed: str, client: str = "admin"):
    return pd.clients[client].post(
        reverse("privacy:anonymise", args=[person.pk]), {"confirm": typed}
    )


def pages_that_named_the_lead(pd: PD) -> dict[str, str]:
    """Every page and export that showed the lead's name or address, as its reader sees it."""
    a, slug = pd.assessment, pd.cohort.slug
    reads = {
        "team": ("colleague", reverse("team")),
        "review": ("reviewer", reverse("assessments:review_submission", args=[a.pk])),
        "history": ("reviewer", reverse("assessments:history", args=[a.pk])),
        "wizard review": ("colleague", reverse("assessments:review", args=[a.pk])),
        "dashboard": ("admin", reverse("cohorts:dashboard", args=[slug])),
        "invitations": ("admin", reverse("cohorts:invitations", args=[slug])),
        "e-mail log": ("admin", reverse("cohorts:emails", args=[slug])),
        "contacts export": ("admin", reverse("cohorts:export", args=[slug, "csv"])),
        "people search": ("admin", reverse("privacy:people") + "?q=former"),
        "personal data": ("admin", reverse("privacy:person", args=[pd.lead.pk])),
        "personal data json": ("admin", reverse("privacy:person_json", args=[pd.lead.pk])),
    }
    out = {}
    for name, (who, path) in reads.items():
        response = pd.clients[who].get(path)
        assert response.status_code == 200, name
        body = response.getvalue()
        out[name] = body.decode()
    return out


def test_the_name_is_gone_from_every_page_and_the_history_stays(pd: PD):
    before = pages_that_named_the_lead(pd)
    for name in ("team", "review", "history", "contacts export", "invitations"):
        assert OLD_NAME in before[name], name
    answers = list(Answer.objects.filter(updated_by=pd.lead).values_list("pk", "note", "level"))
    revisions = AnswerRevision.objects.filter(user=pd.lead).count()
    changes = list(StatusChange.objects.filter(assessment=pd.assessment).values_list("user_id"))

    response = anonymise(pd, pd.lead, " TAI.MAN.CHAN@example.org ")
    assert response.status_code == 302

    after = pages_that_named_the_lead(pd)
    for name, page in after.items():
        assert OLD_NAME not in page and OLD_EMAIL not in page, name
    former = "Former staff of Harbour Widgets Limited"
    for name in ("team", "invitations", "contacts export"):
        assert former in after[name], name
    # Pages that attribute answers and changes say only "Former staff" (the test below).
    for name in ("review", "history", "wizard review"):
        assert "Former staff" in after[name], name
    assert NOTE in after["wizard review"]
    # The company's history is untouched: same answers, same authorship, same trail.
    assert list(Answer.objects.filter(updated_by=pd.lead).values_list("pk", "note", "level")) == (
        answers
    )
    assert AnswerRevision.objects.filter(user=pd.lead).count() == revisions
    assert (
        list(StatusChange.objects.filter(assessment=pd.assessment).values_list("user_id"))
        == changes
    )
    # The Django admin's history of the account no longer names it.
    assert not LogEntry.objects.filter(object_repr__contains=OLD_NAME).exists()
    assert LogEntry.objects.filter(object_id=str(pd.lead.pk)).exists()
    data = json.loads(after["personal data json"])
    assert data["account"][0]["full_name"] == ""
    assert data["account"][0]["email"] == f"former-{pd.lead.pk}@anonymised.invalid"


def test_in_chinese_the_person_is_the_companys_former_staff(pd: PD):
    anonymise(pd, pd.lead, OLD_EMAIL)
    client = pd.clients["colleague"]
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    page = client.get(reverse("team")).content.decode()
    assert "港灣零件有限公司 前員工" in page and OLD_NAME not in page


def test_the_person_is_signed_out_and_cannot_sign_in(pd: PD):
    assert pd.clients["lead"].get(reverse("account")).status_code == 200
    anonymise(pd, pd.lead, OLD_EMAIL)
    response = pd.clients["lead"].get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    person = User.objects.get(pk=pd.lead.pk)
    assert (person.is_active, person.full_name, person.has_usable_password()) == (False, "", False)
    assert person.anonymised_at is not None and not (person.is_staff or person.is_superuser)
    for username in (OLD_EMAIL, person.email):
        assert not Client().login(request=login_request(), username=username, password=PASSWORD)
    assert not Membership.objects.filter(user=person, is_active=True).exists()
    assert set(Membership.objects.filter(user=person).values_list("invited_name", flat=True)) == {
        ""
    }


def test_sign_ins_forgotten_pending_mail_never_sent_and_audited(pd: PD, mailoutbox):
    assert AccessLog.objects.filter(username=OLD_EMAIL).exists()
    anonymise(pd, pd.lead, OLD_EMAIL)
    person = User.objects.get(pk=pd.lead.pk)
    assert not AccessLog.objects.filter(username__iexact=OLD_EMAIL).exists()
    assert not AccessAttempt.objects.filter(username__iexact=OLD_EMAIL).exists()
    assert not SentEmail.objects.filter(recipient=OLD_EMAIL).exists()
    rows = SentEmail.objects.filter(user_id=person.pk)
    assert {r.recipient for r in rows} == {person.email}
    assert not rows.filter(status=EmailStatus.PENDING).exists()
    # Whatever still tries to write to them sends nothing.
    mailoutbox.clear()
    sent = mail_send(
        to=person.email,
        kind=EmailKind.OTHER,
        template="accounts/email/new_link",
        context={"link": "http://x/", "expires": "tomorrow"},
        language="en",
    )
    assert sent is False and mailoutbox == []
    [event] = AccountEvent.objects.filter(user=person, kind=AccountEventKind.ANONYMISED)
    assert (event.actor_id, event.detail) == (pd.admin.pk, {})


def test_a_wrong_confirmation_changes_nothing(pd: PD):
    for typed in ("", "someone@example.org", OLD_NAME, "tai.man.chan@example.or"):
        response = anonymise(pd, pd.lead, typed)
        assert response.status_code == 200
        assert 'class="invalid-feedback' in response.content.decode()
    person = User.objects.get(pk=pd.lead.pk)
    assert (person.email, person.full_name, person.is_active) == (OLD_EMAIL, OLD_NAME, True)
    assert not AccountEvent.objects.filter(kind=AccountEventKind.ANONYMISED).exists()


def test_not_oneself_and_not_twice(pd: PD):
    response = anonymise(pd, pd.admin, pd.admin.email)
    assert "You cannot anonymise your own account." in response.content.decode()
    assert User.objects.get(pk=pd.admin.pk).is_active
    anonymise(pd, pd.lead, OLD_EMAIL)
    person = User.objects.get(pk=pd.lead.pk)
    response = anonymise(pd, person, person.email)
    assert "already been anonymised" in response.content.decode()
    assert AccountEvent.objects.filter(kind=AccountEventKind.ANONYMISED).count() == 1


def test_another_admin_can_be_anonymised(pd: PD):
    other = association_admin(full_name="Second Admin")
    services.person_anonymise(user=pd.admin, person=other, confirm_email=other.email)
    assert not User.objects.get(pk=other.pk).is_active


def test_never_the_last_active_admin(pd: PD):
    """Two admins anonymising each other at once: the second acts on a copy of itself
    loaded while it was still active, and would leave the association without an admin."""
    other = association_admin(full_name="Second Admin")
    stale = User.objects.get(pk=other.pk)
    User.objects.filter(pk=other.pk).update(is_active=False)
    with pytest.raises(services.AnonymiseRefused, match="last active association admin"):
        services.person_anonymise(user=stale, person=pd.admin, confirm_email=pd.admin.email)
    assert User.objects.get(pk=pd.admin.pk).is_active


def test_non_admins_cannot_anonymise(pd: PD):
    for who in ("lead", "colleague", "reviewer"):
        assert anonymise(pd, pd.colleague, pd.colleague.email, client=who).status_code == 404
        with pytest.raises(PermissionDenied):
            services.person_anonymise(
                user=getattr(pd, "lead" if who == "lead" else who),
                person=pd.colleague,
                confirm_email=pd.colleague.email,
            )
    assert User.objects.get(pk=pd.colleague.pk).is_active


def test_someone_who_acted_for_two_companies_is_named_after_neither_on_the_others_pages(pd: PD):
    from assessments.tests.factories import IssuerFactory

    other = IssuerFactory.create(name_en="Kowloon Lanterns Limited", name_zh="九龍燈籠有限公司")
    Membership.objects.create(user=pd.lead, issuer_id=other.pk, role="issuer_lead", is_active=True)
    # Last selected: the other company, which "former staff of <selected>" would name on
    # Harbour Widgets' own pages.
    User.objects.filter(pk=pd.lead.pk).update(issuer=other)
    anonymise(pd, pd.lead, OLD_EMAIL)
    page = pd.clients["colleague"].get(reverse("assessments:review", args=[pd.assessment.pk]))
    text = page.content.decode()
    assert "Kowloon Lanterns" not in text and OLD_NAME not in text
    assert "Former staff" in text
    # Its own team page still says whose former staff they were.
    assert (
        "Former staff of Harbour Widgets Limited"
        in pd.clients["colleague"].get(reverse("team")).content.decode()
    )
