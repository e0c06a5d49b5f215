"""Scoring rules 2 in the app (frameworks/v2.yaml): "not applicable" in the questionnaire,
the submit page's warning, and what the results page and report say about provisional
and unscored results."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Answer
from assessments.services import Proposed

from .factories import client_for, lead
from .test_views import step_post, step_url, stored

pytestmark = pytest.mark.django_db


def _start(framework):
    the_lead = lead()
    the_lead.issuer.profile_confirmed_at = the_lead.issuer.created_at
    the_lead.issuer.save()
    assessment = services.assessment_start(user=the_lead, framework=framework)
    return the_lead, assessment, selectors.framework_of(framework)


def _answer_all(assessment, user, fw, *, level=3, dont_know_except=None):
    proposals = {}
    for item in fw.iter_items():
        if dont_know_except is not None and item.shift_code != dont_know_except:
            proposals[item.code] = Proposed(dont_know=True)
        elif item.kind == "maturity":
            proposals[item.code] = Proposed(level=level)
        elif item.kind == "choice":
            option = next((o for o in item.options if o.score == (level - 1) * 25), None)
            proposals[item.code] = (
                Proposed(choice=option.code) if option else Proposed(dont_know=True)
            )
    services.answers_save(assessment=assessment, proposals=proposals, user=user)


def test_not_applicable_is_offered_only_on_marked_items_under_rules_2(framework, framework_v2):
    lead2, on_v2, _fw2 = _start(framework_v2)
    page = client_for(lead2).get(step_url(on_v2)).content.decode()
    assert page.count('value="na"') == 8  # the eight value-chain stages
    lead1, on_v1, _fw1 = _start(framework)
    assert 'value="na"' not in client_for(lead1).get(step_url(on_v1)).content.decode()


def test_a_not_applicable_answer_is_saved_answered_and_weightless(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    client = client_for(the_lead)
    response = client.post(
        step_url(assessment),
        step_post(fw, "profit", {"profit.value_chain.rnd": "na"}),
    )
    assert response.status_code in (200, 302)
    answer = stored(assessment, "profit.value_chain.rnd")
    assert answer.not_applicable and not answer.dont_know and answer.is_answered
    assert not answer.is_known
    # The form shows it checked again.
    page = client.get(step_url(assessment)).content.decode()
    assert 'value="na" id="id_profit.value_chain.rnd__value_4" checked' in page


def test_not_applicable_on_an_unmarked_item_is_refused(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    response = client_for(the_lead).post(
        step_url(assessment),
        step_post(fw, "profit", {"profit.core_processes.coverage": "na"}),
    )
    assert response.status_code == 200
    assert "Choose one of the options shown." in response.content.decode()
    assert not stored(assessment, "profit.core_processes.coverage").not_applicable


def test_the_submit_page_warns_before_a_provisional_submission(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    _answer_all(assessment, the_lead, fw, level=5, dont_know_except="governance")
    client = client_for(the_lead)
    page = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    assert 'id="provisional-warning"' in page
    assert "Only 25% of the scored weight has a known answer" in page
    # The lead may still submit.
    response = client.post(reverse("assessments:submit", args=[assessment.pk]))
    assert response.status_code == 302
    snapshot = assessment.snapshots.get()
    assert snapshot.provisional and snapshot.overall_score is None


def test_a_complete_assessment_gets_no_warning_and_is_not_provisional(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    _answer_all(assessment, the_lead, fw, level=4)
    client = client_for(the_lead)
    page = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    assert 'id="provisional-warning"' not in page
    snapshot = services.assessment_submit(assessment=assessment, user=the_lead)
    assert not snapshot.provisional and snapshot.maturity_level == 4


def test_results_and_report_say_what_is_unscored_and_how_to_score_it(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    _answer_all(assessment, the_lead, fw, level=5, dont_know_except="governance")
    services.assessment_submit(assessment=assessment, user=the_lead)
    client = client_for(the_lead)
    results = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    report = client.get(reverse("reports:view", args=[assessment.pk, "en"])).content.decode()
    first_question = fw.shift("profit").dimensions[0].items[0].text.en
    for page in (results, report):
        assert 'id="provisional-note"' in page and "Provisional result." in page
        assert 'id="overall-unscored"' in page
        assert "There is no overall score: it needs every shift scored" in page
        assert first_question in page  # a question that would score the profit shift
        assert "% of overall" in page
    assert "Answers that would score it" in results
    assert "This shift is not scored" in results


def test_footnotes_match_each_items_scale(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    _answer_all(assessment, the_lead, fw, level=3)
    services.assessment_submit(assessment=assessment, user=the_lead)
    page = (
        client_for(the_lead).get(reverse("reports:results", args=[assessment.pk])).content.decode()
    )
    assert "Points: None 0, Pilot 25, In production 50, Process redesigned around AI 100." in page
    assert page.count("Level 1 gives 0 points, each level above adds 25.") == len(
        [d for d in fw.dimensions if any(i.kind == "maturity" for i in d.items)]
    )
    assert "“Not applicable” takes the question's weight out of the dimension." in page


def test_home_marks_a_provisional_result(framework_v2):
    the_lead, assessment, fw = _start(framework_v2)
    _answer_all(assessment, the_lead, fw, level=2, dont_know_except="growth")
    services.assessment_submit(assessment=assessment, user=the_lead)
    page = client_for(the_lead).get(reverse("home")).content.decode()
    assert "Provisional" in page


def test_answers_keep_not_applicable_in_their_history(framework_v2):
    the_lead, assessment, _fw = _start(framework_v2)
    services.answers_save(
        assessment=assessment,
        proposals={"profit.value_chain.finance": Proposed(not_applicable=True)},
        user=the_lead,
    )
    answer = Answer.objects.get(assessment=assessment, item__code="profit.value_chain.finance")
    assert answer.revisions.get().not_applicable
