from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Answer, AnswerRevision, Assessment, AssessmentStatus
from assessments.services import Proposed

from .factories import PASSWORD, lead, login_request

pytestmark = pytest.mark.django_db


def answer_all(assessment, fw, user, level):
    proposals = {}
    for item in fw.iter_items():
        if item.kind == "maturity":
            proposals[item.code] = Proposed(level=level, note=f"evidence {item.code}")
        elif item.kind == "choice":
            proposals[item.code] = Proposed(choice=item.options[0].code)
    services.answers_save(assessment=assessment, proposals=proposals, user=user)


@pytest.fixture
def last_year(framework):
    the_lead = lead()
    fw = selectors.framework_of(framework)
    first = services.assessment_start(user=the_lead, framework=framework)
    answer_all(first, fw, the_lead, level=2)
    services.assessment_submit(assessment=first, user=the_lead)
    return the_lead, first, fw


def test_reassessment_prefilled_from_the_last_submission(last_year, framework):
    the_lead, first, _ = last_year
    client = Client()
    client.login(request=login_request(), username=the_lead.email, password=PASSWORD)
    assert "Start from your last submitted answers" in client.get(reverse("home")).content.decode()
    response = client.post(reverse("assessments:start"), {"prefill": "1"})
    second = Assessment.objects.exclude(pk=first.pk).get(issuer=the_lead.issuer)
    assert response.status_code == 302 and second.status == AssessmentStatus.DRAFT
    old = {
        a.item.code: (a.level, a.choice, a.note)
        for a in Answer.objects.filter(assessment=first).select_related("item")
    }
    new = {
        a.item.code: (a.level, a.choice, a.note)
        for a in Answer.objects.filter(assessment=second).select_related("item")
    }
    assert new == old
    assert set(
        Answer.objects.filter(assessment=second, level__isnull=False).values_list(
            "version", flat=True
        )
    ) == {1}
    assert AnswerRevision.objects.filter(answer__assessment=second, user=the_lead).count() == sum(
        1 for v in new.values() if v[0] or v[1]
    )


def test_fresh_start_is_empty(last_year, framework):
    the_lead, first, _ = last_year
    second = services.assessment_start(user=the_lead, framework=framework, prefill=False)
    assert second.pk != first.pk
    assert not Answer.objects.filter(assessment=second, version__gt=0).exists()


def test_results_and_report_show_the_change_per_shift_and_dimension(last_year, framework):
    the_lead, _, fw = last_year
    second = services.assessment_start(user=the_lead, framework=framework, prefill=True)
    dim = fw.shifts[0].dimensions[0]
    versions = dict(Answer.objects.filter(assessment=second).values_list("item__code", "version"))
    services.answers_save(
        assessment=second,
        proposals={
            i.code: Proposed(level=5, base_version=versions[i.code])
            for i in dim.items
            if i.kind == "maturity"
        },
        user=the_lead,
    )
    services.assessment_submit(assessment=second, user=the_lead)
    client = Client()
    client.login(request=login_request(), username=the_lead.email, password=PASSWORD)
    html = client.get(reverse("reports:results", args=[second.pk])).content.decode()
    assert "Change since your previous assessment" in html
    assert dim.name.en in html and ">+75<" in html  # level 2 (25) → level 5 (100), whole points
    report = client.get(reverse("reports:view", args=[second.pk, "en"])).content.decode()
    assert "Change since your previous assessment" in report and ">+75<" in report
