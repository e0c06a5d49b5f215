"""Creating and editing cohorts and enrolling a single issuer, through the app's pages."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Issuer, Role, User
from assessments.models import Assessment
from assessments.tests.factories import (
    CohortFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from cohorts.models import Cohort

pytestmark = pytest.mark.django_db


def cohort_data(fw, **overrides):
    data = {
        "name_en": "Members survey 2027",
        "name_zh": "二〇二七年會員調查",
        "slug": "members-2027",
        "year": "2027",
        "framework": str(fw.pk),
        "opens_on": "2027-03-01",
        "closes_on": "2027-06-30",
        "status": "open",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_cohort_with_reviewers_and_lands_on_enrolment(framework):
    rev = reviewer()
    admin = client_for(association_admin())
    assert "New cohort" in admin.get("/cohorts/").content.decode()
    response = admin.post("/cohorts/new/", {**cohort_data(framework), "reviewers": [rev.pk]})
    assert response.status_code == 302
    assert response["Location"] == "/cohorts/members-2027/enrol/"
    cohort = Cohort.objects.get(slug="members-2027")
    assert (cohort.name_zh, cohort.year, cohort.framework_id) == (
        "二〇二七年會員調查",
        2027,
        framework.pk,
    )
    assert list(cohort.reviewers.all()) == [rev]
    # The assigned reviewer now sees it; the dashboard works on the empty cohort.
    assert client_for(rev).get("/cohorts/members-2027/").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"closes_on": "2027-01-01"}, "The closing date must not be before the opening date."),
        ({"slug": "new"}, "This short name is reserved"),
        ({"slug": "has spaces"}, "Enter a valid “slug”"),
        ({"year": "99999"}, "Enter a year between 2000 and 2100."),
        ({"year": "abc"}, "Enter a whole number."),
        ({"opens_on": "2027-02-30"}, "Enter a valid date."),
        ({"status": "deleted"}, "Select a valid choice."),
        ({"name_en": "x" * 201}, "at most 200 characters"),
        ({"framework": "999999"}, "Select a valid choice."),
    ],
)
def test_invalid_cohort_gets_a_clear_message_and_keeps_what_was_typed(
    framework, overrides, message
):
    admin = client_for(association_admin())
    response = admin.post("/cohorts/new/", cohort_data(framework, **overrides))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "二〇二七年會員調查" in html  # typed values survive the error
    assert not Cohort.objects.exists()


def test_duplicate_slug_is_refused_with_a_message(framework):
    CohortFactory(framework=framework, slug="members-2027")
    response = client_for(association_admin()).post("/cohorts/new/", cohort_data(framework))
    assert response.status_code == 200
    assert "Cohort with this Slug already exists." in response.content.decode()
    assert Cohort.objects.count() == 1


def test_admin_edits_names_dates_status_and_reviewers_but_not_the_framework(framework):
    cohort = CohortFactory(framework=framework)
    rev = reviewer()
    admin = client_for(association_admin())
    response = admin.post(
        f"/cohorts/{cohort.slug}/edit/",
        {**cohort_data(framework, slug=cohort.slug, status="closed"), "reviewers": [rev.pk]},
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.name_en, cohort.status) == ("Members survey 2027", "closed")
    assert list(cohort.reviewers.all()) == [rev]
    assert cohort.framework_id == framework.pk


def test_only_admins_create_or_edit_cohorts(framework):
    cohort = CohortFactory(framework=framework)
    rev = reviewer()
    cohort.reviewers.add(rev)
    issuer_lead = lead()
    for user in (rev, issuer_lead):
        client = client_for(user)
        assert client.get("/cohorts/new/").status_code == 403
        assert client.post("/cohorts/new/", cohort_data(framework)).status_code == 403
    assert client_for(rev).get(f"/cohorts/{cohort.slug}/edit/").status_code == 403
    assert client_for(reviewer()).get(f"/cohorts/{cohort.slug}/edit/").status_code == 404
    assert client_for(issuer_lead).get(f"/cohorts/{cohort.slug}/edit/").status_code == 404
    assert Cohort.objects.count() == 1


def test_enrol_one_issuer_creates_assessment_and_invites_the_lead(framework, oncommit):
    cohort = CohortFactory(framework=framework)
    admin = client_for(association_admin())
    with oncommit(execute=True):
        response = admin.post(
            f"/cohorts/{cohort.slug}/enrol/",
            {
                "action": "one",
                "stock_code": "700",
                "name_en": "Victoria Harbour Tech Limited",
                "name_zh": "維港科技有限公司",
                "industry": "information_technology",
                "board": "main",
                "email": "CFO@vht.example",
            },
        )
    assert response.status_code == 302
    issuer = Issuer.objects.get(stock_code="00700")
    assert issuer.name_zh == "維港科技有限公司"
    assert Assessment.objects.filter(issuer=issuer, cohort=cohort).count() == 1
    invited = User.objects.get(email="cfo@vht.example")
    assert (invited.role, invited.issuer_id) == (Role.ISSUER_LEAD, issuer.pk)
    assert [m.to[0] for m in mail.outbox] == ["cfo@vht.example"]


def test_enrol_one_with_problems_shows_them_and_keeps_the_input(framework):
    cohort = CohortFactory(framework=framework)
    other = reviewer()  # the association's staff act for no issuer
    admin = client_for(association_admin())
    response = admin.post(
        f"/cohorts/{cohort.slug}/enrol/",
        {
            "action": "one",
            "stock_code": "1234567890123",
            "name_en": "Tsing Yi Shipping",
            "industry": "space",
            "board": "main",
            "email": other.email,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tsing Yi Shipping" in html
    assert "Select a valid choice." in html
    assert "at most 12 characters" in html  # room for 0700.HK, not for anything
    assert not Assessment.objects.filter(cohort=cohort).exists()
    # Field-level checks passed, but the shared CSV rules still apply.
    response = admin.post(
        f"/cohorts/{cohort.slug}/enrol/",
        {
            "action": "one",
            "stock_code": "12",
            "name_en": "Tsing Yi Shipping",
            "industry": "industrials",
            "board": "main",
            "email": other.email,
        },
    )
    assert "belongs to the association" in response.content.decode()
    assert not Assessment.objects.filter(cohort=cohort).exists()
    response = admin.post(
        f"/cohorts/{cohort.slug}/enrol/",
        {
            "action": "one",
            "stock_code": "123456",
            "name_en": "Tsing Yi Shipping",
            "industry": "industrials",
            "board": "main",
            "email": "new@tsingyi.example",
        },
    )
    assert "Stock code must be 1 to 5 digits" in response.content.decode()
    assert not Assessment.objects.filter(cohort=cohort).exists()
