from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import AssessmentStatus, ScoreSnapshot, StatusChange
from assessments.services import Proposed

from .factories import (
    CohortFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
    submit_answered,
)

pytestmark = pytest.mark.django_db


def make_cohort(framework, slug):
    return CohortFactory(slug=slug, framework=framework)


@pytest.fixture
def setup(framework):
    cohort_a, cohort_b = make_cohort(framework, "cohort-a"), make_cohort(framework, "cohort-b")
    rev_a, rev_b = reviewer(), reviewer()
    cohort_a.reviewers.add(rev_a)
    cohort_b.reviewers.add(rev_b)
    the_lead = lead()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort_a
    )
    fw = selectors.framework_of(framework)
    submit_answered(assessment, the_lead)
    return {"a": assessment, "lead": the_lead, "rev_a": rev_a, "rev_b": rev_b, "fw": fw}


def url(name, assessment):
    return reverse(f"assessments:{name}", args=[assessment.pk])


def test_reviewer_scope(setup):
    a = setup["a"]
    assert client_for(setup["rev_a"]).get(url("review_submission", a)).status_code == 200
    assert client_for(setup["rev_b"]).get(url("review_submission", a)).status_code == 404
    assert (
        client_for(setup["rev_b"]).get(reverse("reports:results", args=[a.pk])).status_code == 404
    )
    assert client_for(setup["lead"]).get(url("review_submission", a)).status_code == 404
    assert client_for(association_admin()).get(url("review_submission", a)).status_code == 200
    home_b = client_for(setup["rev_b"]).get(reverse("home")).content.decode()
    assert a.issuer.stock_code not in home_b
    assert a.issuer.stock_code in client_for(setup["rev_a"]).get(reverse("home")).content.decode()


def test_return_comment_edit_resubmit_approve(setup):
    a, the_lead, rev = setup["a"], setup["lead"], setup["rev_a"]
    item = next(i for i in setup["fw"].iter_items() if i.kind == "maturity")
    client = client_for(rev)
    response = client.post(url("review_submission", a), {"action": "return", "text": ""})
    assert response.status_code == 200 and "Say what needs to change" in response.content.decode()
    client.post(
        url("review_submission", a),
        {"action": "comment", "item": item.code, "text": "Evidence for level 2?"},
    )
    client.post(
        url("review_submission", a),
        {"action": "return", "text": "Please document the core-process claims."},
    )
    a.refresh_from_db()
    assert a.status == AssessmentStatus.RETURNED
    change = StatusChange.objects.filter(assessment=a).last()
    assert (change.from_status, change.to_status, change.user, change.note) == (
        "submitted",
        "returned",
        rev,
        "Please document the core-process claims.",
    )
    lead_client = client_for(the_lead)
    review_page = lead_client.get(url("review", a)).content.decode()
    assert (
        "Please document the core-process claims." in review_page
        and "Evidence for level 2?" in review_page
    )
    # Editable again; resubmission scores afresh.
    services.answers_save(
        assessment=a, proposals={item.code: Proposed(level=4, base_version=1)}, user=the_lead
    )
    assert lead_client.post(url("submit", a)).status_code == 302
    a.refresh_from_db()
    assert a.status == AssessmentStatus.SUBMITTED
    snapshots = ScoreSnapshot.objects.filter(assessment=a).order_by("created_at")
    assert (
        snapshots.count() == 2 and snapshots.last().is_current and not snapshots.first().is_current
    )
    assert snapshots.last().overall_score > snapshots.first().overall_score
    client.post(url("review_submission", a), {"action": "approve", "text": "Thank you."})
    a.refresh_from_db()
    assert a.status == AssessmentStatus.APPROVED
    assert list(StatusChange.objects.filter(assessment=a).values_list("to_status", flat=True)) == [
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]
    response = client.post(url("review_submission", a), {"action": "approve", "text": ""})
    assert "Only a submitted assessment" in response.content.decode()


def test_tampered_review_posts_get_form_errors(setup):
    client = client_for(setup["rev_a"])
    a = setup["a"]
    for data in (
        {"action": "delete-everything", "text": "x"},
        {"action": "comment", "item": "no.such.item", "text": "x"},
        {"action": "comment", "text": "   "},
    ):
        response = client.post(url("review_submission", a), data)
        assert response.status_code == 200, data
    a.refresh_from_db()
    assert a.status == AssessmentStatus.SUBMITTED and not a.comments.exists()


def test_audit_trail_for_admins_and_the_lead_only(setup):
    a, the_lead = setup["a"], setup["lead"]
    html = client_for(the_lead).get(url("history", a)).content.decode()
    assert "In progress → Submitted" in html
    assert client_for(association_admin()).get(url("history", a)).status_code == 200
    assert client_for(contributor(the_lead.issuer)).get(url("history", a)).status_code == 403
    assert client_for(lead()).get(url("history", a)).status_code == 404
