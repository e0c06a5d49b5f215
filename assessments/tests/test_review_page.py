"""The review page as the reviewer and the company read it: comments cite the question in
the reader's language (never its code), the reviewer sees the scores and what changed
since the assessment was returned."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Answer, ScoreSnapshot
from assessments.services import Proposed

from .factories import CohortFactory, client_for, lead, reviewer, submit_answered

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(framework):
    cohort = CohortFactory(framework=framework)
    rev = reviewer()
    cohort.reviewers.add(rev)
    the_lead = lead()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )
    submit_answered(assessment, the_lead, level=2)
    fw = selectors.framework_of(framework)
    return assessment, the_lead, rev, fw


def page(client, name, assessment, language="en"):
    client.cookies["django_language"] = language
    response = client.get(reverse(f"assessments:{name}", args=[assessment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def visible(html):
    return re.sub(r"<[^>]+>", " ", html)


def test_comments_cite_the_question_in_the_readers_language(setup):
    assessment, the_lead, rev, fw = setup
    item = [i for i in fw.iter_items() if i.kind == "maturity"][3]
    reviewer_client = client_for(rev)
    reviewer_client.post(
        reverse("assessments:review_submission", args=[assessment.pk]),
        {"action": "comment", "item": item.code, "text": "Which system is this?"},
    )
    reviewer_client.post(
        reverse("assessments:review_submission", args=[assessment.pk]),
        {"action": "return", "text": "See the comment."},
    )
    lead_client = client_for(the_lead)
    for client, name in ((reviewer_client, "review_submission"), (lead_client, "review")):
        for language in ("en", "zh-hant"):
            html = page(client, name, assessment, language)
            comments = html[html.index('id="review-comments"') :].split("</ul>")[0]
            assert item.text.get(language) in comments.replace("&#x27;", "'")
            assert "Which system is this?" in comments
            # No internal code in what the page shows (e.g. profit.core_processes.x);
            # the comment form's option values are codes, never shown.
            assert not re.search(r"\b[a-z_]+\.[a-z_]+\.[a-z_]+\b", visible(html))
    history = page(lead_client, "history", assessment, "zh-hant")
    assert item.text.get("zh-hant") in history and item.code not in visible(history)


def test_the_reviewer_sees_the_scores_of_the_latest_submission(setup):
    assessment, _lead, rev, fw = setup
    snapshot = ScoreSnapshot.objects.get(assessment=assessment)
    html = page(client_for(rev), "review_submission", assessment)
    scores = html[html.index('id="review-scores"') :].split("</section>")[0]
    assert f">{snapshot.overall_score:.0f}<" in scores
    for shift in fw.shifts:
        assert shift.name.get("en") in scores
    assert "Provisional" not in scores
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(provisional=True)
    html = page(client_for(rev), "review_submission", assessment, "zh-hant")
    scores = html[html.index('id="review-scores"') :].split("</section>")[0]
    assert "暫定" in scores


def test_the_reviewer_sees_what_changed_since_the_return(setup):
    assessment, the_lead, rev, fw = setup
    reviewer_client = client_for(rev)
    url = reverse("assessments:review_submission", args=[assessment.pk])
    html = reviewer_client.get(url).content.decode()
    assert 'id="changes-since-return"' not in html  # never returned
    reviewer_client.post(url, {"action": "return", "text": "Please check the levels."})
    maturity = [i for i in fw.iter_items() if i.kind == "maturity"]
    changed, same, back = maturity[0], maturity[1], maturity[2]
    versions = dict(
        Answer.objects.filter(assessment=assessment).values_list("item__code", "version")
    )
    services.answers_save(
        assessment=assessment,
        proposals={
            changed.code: Proposed(level=4, base_version=versions[changed.code]),
            back.code: Proposed(level=5, base_version=versions[back.code]),
        },
        user=the_lead,
    )
    services.answers_save(
        assessment=assessment,
        proposals={back.code: Proposed(level=2, base_version=versions[back.code] + 1)},
        user=the_lead,
    )
    services.assessment_submit(assessment=assessment, user=the_lead)

    html = reviewer_client.get(url).content.decode()
    section = html[html.index('id="changes-since-return"') :].split("</section>")[0]
    assert "Please check the levels." in section
    rows = section.split("<tr>")[2:]
    assert len(rows) == 1, rows  # changed and changed back is no change
    assert changed.text.get("en").replace("'", "&#x27;") in rows[0]
    level = fw.levels  # level names, as the answers read
    assert changed.code not in section
    assert same.text.get("en").replace("'", "&#x27;") not in section
    before = re.sub(r"<[^>]+>", "|", rows[0])
    assert "Level 2" in before or level[1].name.get("en") in before
    assert "Level 4" in before or level[3].name.get("en") in before
