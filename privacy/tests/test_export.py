"""Exporting everything held about a person (PDPO data access request), over HTTP."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import AccountEvent, AccountEventKind

from .conftest import COMMENT, NOTE, PD, RETURN_NOTE

pytestmark = pytest.mark.django_db


def export(pd: PD, person, client: str = "admin") -> dict:
    response = pd.clients[client].get(reverse("privacy:person_json", args=[person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    return json.loads(response.content)


def test_json_export_holds_everything_about_the_lead(pd: PD):
    data = export(pd, pd.lead)
    account = data["account"][0]
    assert (account["email"], account["full_name"], account["active"]) == (
        "tai.man.chan@example.org",
        "Chan Tai Man",
        True,
    )
    assert account["can_sign_in_with_password"] is True
    assert [m["company"] for m in data["memberships"]] == ["Harbour Widgets Limited"]
    # Authored answers with their notes, question texts (never codes) and answers in words.
    answers = data["answers"]
    assert answers and all(a["question"] for a in answers)
    assert any(a["note"] == NOTE and a["answer"] for a in answers)
    assert len(data["answer_changes"]) == len(answers)
    assert [a["action"] for a in data["assessments"]] == ["Started", "Submitted (latest)"]
    assert [(c["from"], c["to"]) for c in data["status_changes"]] == [("In progress", "Submitted")]
    # E-mails, both the one sent and the one waiting.
    assert {e["delivery"] for e in data["emails"]} == {"Delivered to the mail server", "Sending"}
    assert {e["to"] for e in data["emails"]} == {"tai.man.chan@example.org"}
    # django-axes: the failed attempt and the sign-in.
    assert {s["what"] for s in data["sign_ins"]} == {"Signed in", "Failed sign-in attempts"}
    assert data["admin_log"][0]["by"] == "Admin Ho"
    # Nothing of the reviewer's own work is the lead's.
    assert data["review_comments"] == [] and data["review_assignments"] == []
    assert data["person_id"] == pd.lead.pk and data["language"] == "en"


def test_json_export_of_the_reviewer_holds_comments_and_decisions(pd: PD):
    data = export(pd, pd.reviewer)
    assert [c["text"] for c in data["review_comments"]] == [COMMENT]
    assert data["review_comments"][0]["question"] == "The assessment as a whole"
    assert [(c["to"], c["note"]) for c in data["status_changes"]] == [
        ("Returned for changes", RETURN_NOTE)
    ]
    assert [r["round"] for r in data["review_assignments"]] == [pd.cohort.name_en]
    assert data["answers"] == [] and data["memberships"] == []


def test_each_export_is_audited_with_the_admin_as_actor(pd: PD):
    export(pd, pd.lead)
    assert pd.clients["admin"].get(reverse("privacy:person", args=[pd.lead.pk])).status_code == 200
    events = AccountEvent.objects.filter(user=pd.lead, kind=AccountEventKind.DATA_EXPORTED)
    assert sorted((e.actor_id, e.detail["format"]) for e in events) == [
        (pd.admin.pk, "HTML"),
        (pd.admin.pk, "JSON"),
    ]
    # The person sees it on their own account page.
    page = pd.clients["lead"].get(reverse("account")).content.decode()
    assert "Personal data exported" in page


def test_html_page_in_english(pd: PD):
    page = pd.clients["admin"].get(reverse("privacy:person", args=[pd.lead.pk])).content.decode()
    assert "Personal data held about Chan Tai Man" in page
    for text in (NOTE, "Harbour Widgets Limited", "Delivered to the mail server", "Signed in"):
        assert text in page
    assert 'media="print"' in page  # the printable copy


def test_html_page_in_chinese(pd: PD):
    pd.admin.language = "zh-hant"
    pd.admin.save(update_fields=["language"])
    client = pd.clients["admin"]
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    page = client.get(reverse("privacy:person", args=[pd.lead.pk])).content.decode()
    assert "Chan Tai Man" in page and "港灣零件有限公司" in page
    assert "持有的個人資料" in page
    for english in ("Personal data held about", "Answers last changed", "E-mails sent", "Yes"):
        assert english not in page
    data = json.loads(client.get(reverse("privacy:person_json", args=[pd.lead.pk])).content)
    assert data["language"] == "zh-hant"
    assert data["status_changes"][0]["to"] == "已提交"


def test_search_finds_by_email_and_name(pd: PD):
    client = pd.clients["admin"]
    for q in ("tai.man", "CHAN TAI", "example.org"):
        page = client.get(reverse("privacy:people"), {"q": q}).content.decode()
        assert reverse("privacy:person", args=[pd.lead.pk]) in page, q
    page = client.get(reverse("privacy:people"), {"q": "nobody-like-this"}).content.decode()
    assert "nobody-like-this" in page and reverse("privacy:person", args=[pd.lead.pk]) not in page


HOSTILE = [
    "%",
    "_",
    "%%%_",
    "\\",
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    '"><script>alert(1)</script>',
    "{{ 7*7 }}",
    "x" * 5000,
    "\u202e\u200b",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_searches_are_answered_safely(pd: PD, q: str):
    response = pd.clients["admin"].get(reverse("privacy:people"), {"q": q})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert(1)" not in page
    if q in ("%", "_", "%%%_", "\\"):
        # Wildcards match themselves, not everybody.
        assert reverse("privacy:person", args=[pd.lead.pk]) not in page


@pytest.mark.parametrize(
    "path",
    [
        "/privacy/people/0/",
        "/privacy/people/99999999999999999999/",
        "/privacy/people/-1/",
        "/privacy/people/1e3/",
        "/privacy/people/%00/",
        "/privacy/people/0/export.json",
        "/privacy/people/99999999999999999999/anonymise/",
    ],
)
def test_hostile_ids_are_404(pd: PD, path: str):
    assert pd.clients["admin"].get(path).status_code == 404


@pytest.mark.parametrize("who", ["lead", "colleague", "reviewer"])
def test_only_association_admins(pd: PD, who: str):
    client = pd.clients[who]
    assert client.get(reverse("privacy:people"), {"q": "chan"}).status_code == 403
    for name in ("privacy:person", "privacy:person_json", "privacy:anonymise"):
        # Their own record too: a person asks the association, which answers.
        for person in (pd.lead, pd.admin):
            assert client.get(reverse(name, args=[person.pk])).status_code == 404
    assert not AccountEvent.objects.filter(kind=AccountEventKind.DATA_EXPORTED).exists()
    assert "/privacy/" not in client.get(reverse("home")).content.decode()


def test_the_navbar_links_admins_to_the_page(pd: PD):
    assert reverse("privacy:people") in pd.clients["admin"].get(reverse("home")).content.decode()


def test_the_page_reads_a_fixed_number_of_queries(pd: PD, django_assert_max_num_queries):
    """However many answers, changes and e-mails a person has (the lead has one per item)."""
    assert len(export(pd, pd.lead)["answer_changes"]) > 30
    with django_assert_max_num_queries(40):
        pd.clients["admin"].get(reverse("privacy:person", args=[pd.lead.pk]))
    with django_assert_max_num_queries(10):
        pd.clients["admin"].get(reverse("privacy:people"), {"q": "example.org"})


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Your personal data"), ("zh-hant", "您的個人資料")]
)
def test_the_account_page_says_how_to_ask(pd: PD, language: str, heading: str):
    client = pd.clients["lead"]
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("account")).content.decode()
    assert heading in page and "40" in page
