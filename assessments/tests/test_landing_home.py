"""The landing page (anonymous visitors) and a home that leads: the open assessment's
progress, or the latest result with the report, and "start next" only as a second choice
(issue 15, defects 5-7)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments import reading_time, selectors, services
from assessments.services import Proposed

from .factories import client_for, contributor, lead, submit_answered

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_landing_says_what_why_how_long_what_you_get_and_who_sees(framework_v2, language):
    fw = selectors.framework_of(framework_v2)
    client = Client(headers={"accept-language": language})
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="landing-title"' in html
    for shift in fw.shifts:  # the four shifts, one line each
        assert shift.name.get(language) in html
        first = re.split(r"(?<=。)|(?<=\. )", shift.purpose.get(language))[0].strip()
        assert first in html
    minutes = reading_time.total_minutes(fw, language)
    assert re.search(rf"\b{minutes}\b", text_of(html.split('id="landing-time"')[1][:300]))
    assert f"{settings.PEER_MIN_GROUP}" in text_of(html.split('id="privacy-title"')[1])
    assert reverse("login") in html and reverse("password_reset") in html
    assert reverse("reports:peer_method") in html


def test_reading_time_counts_every_word_and_the_time_to_decide(framework_v2):
    fw = selectors.framework_of(framework_v2)
    shift = fw.shifts[0]
    words = sum(
        len(t.en.split())
        for i in shift.items
        for t in (i.text, *i.levels, *(o.label for o in i.options), *([i.help] if i.help else []))
    )
    deciding = sum(
        reading_time.FIGURE_SECONDS if i.unit is not None else reading_time.DECIDE_SECONDS
        for i in shift.items
    )
    expected = -(-(60 * words / reading_time.WORDS_PER_MINUTE + deciding) // 60)
    assert reading_time.step_minutes(fw, shift, "en") == expected
    assert reading_time.total_minutes(fw, "en") == reading_time.PROFILE_MINUTES + sum(
        reading_time.step_minutes(fw, s, "en") for s in fw.shifts
    )


def test_home_in_progress_shows_progress_who_answered_deadline_and_continue(framework):
    the_lead = lead(full_name="Mei Chan")
    colleague = contributor(the_lead.issuer, full_name="Ka Ho Wong")
    a = services.assessment_start(user=the_lead, framework=framework)
    fw = selectors.framework_of(framework)
    maturity = [i.code for i in fw.iter_items() if i.kind == "maturity"]
    services.answers_save(
        assessment=a, proposals={c: Proposed(level=3) for c in maturity[:3]}, user=the_lead
    )
    services.answers_save(assessment=a, proposals={maturity[3]: Proposed(level=2)}, user=colleague)
    html = client_for(colleague).get("/").content.decode()
    card = html.split('id="home-progress"')[1].split("</section>")[0]
    text = text_of(card)
    assert f"4 of {len(fw.items)} questions answered" in text
    assert "Mei Chan: 3 answers" in text and "Ka Ho Wong: 1 answer" in text
    # Continue goes to the first step with a question left: the profile is unconfirmed.
    assert reverse("assessments:profile", args=[a.pk]) in card
    assert "has not started an assessment yet" not in html


def test_home_after_submission_leads_with_the_result_and_start_next_is_secondary(framework):
    the_lead = lead()
    first = services.assessment_start(user=the_lead, framework=framework)
    submit_answered(first, the_lead, level=4)
    second = services.assessment_start(user=the_lead, framework=framework)
    submit_answered(second, the_lead, level=2)
    html = client_for(the_lead).get("/").content.decode()
    card = html.split('id="home-result"')[1].split("</section>")[0]
    snap, before = (
        selectors.latest_snapshot(second).overall_score,
        selectors.latest_snapshot(first).overall_score,
    )
    assert text_of(card).count(str(round(snap))) >= 1
    change = round(snap) - round(before)
    assert f"−{-change}" in text_of(card)  # a whole number with a true minus
    assert reverse("reports:results", args=[second.pk]) in card
    assert "btn-primary" in card
    start = html.split('id="next-title"')[1].split("</section>")[0]
    assert "Start from your last submitted answers" in start
    assert "btn-primary" not in start and "btn-lg" not in start
    # The result comes before the offer to start again.
    assert html.index('id="home-result"') < html.index('id="next-title"')


def test_contributor_home_after_two_submissions_does_not_say_nothing_was_started(framework):
    the_lead = lead()
    colleague = contributor(the_lead.issuer)
    for level in (2, 3):
        a = services.assessment_start(user=the_lead, framework=framework)
        submit_answered(a, the_lead, level=level)
    html = client_for(colleague).get("/").content.decode()
    assert "has not started an assessment yet" not in html
    assert 'id="home-result"' in html
    assert "Start from your last submitted answers" not in html  # the lead's choice


def test_contributor_home_before_anything_was_started_says_so(framework):
    colleague = contributor(lead().issuer)
    html = client_for(colleague).get("/").content.decode()
    assert "Your company lead has not started an assessment yet." in html
