"""The cohort calendar (access.answering_window): services refuse answers outside it, the
pages say why and keep what was typed; extensions, withdrawal and reinstatement."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from assessments import selectors, services
from assessments.models import Answer, Assessment, AssessmentStatus, CalendarChange
from assessments.services import AnsweringClosed, CalendarError, Proposed

from .factories import (
    CohortFactory,
    answer_mandatory,
    association_admin,
    client_for,
    contributor,
    lead,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def day_text(day: datetime.date, language: str = "en") -> str:
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


@pytest.fixture
def ctx(framework):
    cohort = CohortFactory(framework=framework)
    the_lead = lead()
    the_lead.issuer.profile_confirmed_at = timezone.now()
    the_lead.issuer.save()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )
    fw = selectors.framework_of(framework)
    return the_lead, assessment, fw, cohort


def close(cohort, **fields) -> None:
    for name, value in fields.items():
        setattr(cohort, name, value)
    cohort.save()


def a_maturity(fw, n=0) -> str:
    return [i.code for i in fw.iter_items() if i.kind == "maturity"][n]


def save_one(assessment, fw, user, level=3, n=0):
    return services.answers_save(
        assessment=Assessment.objects.get(pk=assessment.pk),
        proposals={a_maturity(fw, n): Proposed(level=level)},
        user=user,
    )


# --- services ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"opens_on": "tomorrow"},
        {"status": "planned"},
        {"closes_on": "yesterday"},
        {"status": "closed"},
    ],
)
def test_answers_save_and_submit_refuse_outside_the_calendar(ctx, change):
    the_lead, assessment, fw, cohort = ctx
    answer_mandatory(assessment, the_lead)
    when = {"tomorrow": today() + DAY, "yesterday": today() - DAY}
    fields = {k: when.get(v, v) for k, v in change.items()}
    if "closes_on" in fields:
        fields["opens_on"] = today() - 10 * DAY
    close(cohort, **fields)
    with pytest.raises(AnsweringClosed):
        save_one(assessment, fw, the_lead)
    with pytest.raises(AnsweringClosed):
        services.assessment_submit(assessment=assessment, user=the_lead)
    with pytest.raises(AnsweringClosed):
        services.issuer_profile_confirm(
            issuer=the_lead.issuer, user=the_lead, data={}, assessment=assessment
        )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_an_assessment_outside_any_cohort_is_unaffected(framework):
    the_lead = lead()
    assessment = services.assessment_start(user=the_lead, framework=framework)
    fw = selectors.framework_of(framework)
    assert save_one(assessment, fw, the_lead).saved


def test_an_extension_reopens_a_closed_round_for_that_issuer_only(ctx, framework):
    the_lead, assessment, fw, cohort = ctx
    other_lead = lead()
    other = services.assessment_create(
        issuer=other_lead.issuer, framework=framework, user=other_lead, cohort=cohort
    )
    close(cohort, status="closed", closes_on=today() - DAY, opens_on=today() - 30 * DAY)
    admin = association_admin()
    services.assessment_extension_grant(
        assessment=assessment, until=today() + 7 * DAY, by=admin, note="Board meeting moved"
    )
    assert save_one(assessment, fw, the_lead).saved
    answer_mandatory(assessment, the_lead)
    services.assessment_submit(assessment=assessment, user=the_lead)
    with pytest.raises(AnsweringClosed):
        save_one(other, fw, other_lead)
    change = CalendarChange.objects.get(assessment=assessment)
    assert (change.kind, change.until, change.user, change.note) == (
        "extended",
        today() + 7 * DAY,
        admin,
        "Board meeting moved",
    )


def test_extension_dates_are_checked(ctx):
    _, assessment, _, cohort = ctx
    admin = association_admin()
    with pytest.raises(CalendarError, match="past"):
        services.assessment_extension_grant(assessment=assessment, until=today() - DAY, by=admin)
    with pytest.raises(CalendarError, match="closing date"):
        services.assessment_extension_grant(
            assessment=assessment, until=cohort.closes_on - DAY, by=admin
        )
    assert not CalendarChange.objects.exists()


@pytest.mark.parametrize("who", ["lead", "contributor", "reviewer_of_cohort"])
def test_only_admins_manage_the_calendar(ctx, who):
    the_lead, assessment, _, cohort = ctx
    from .factories import reviewer

    person = {
        "lead": lambda: the_lead,
        "contributor": lambda: contributor(the_lead.issuer),
        "reviewer_of_cohort": lambda: reviewer(),
    }[who]()
    if who == "reviewer_of_cohort":
        cohort.reviewers.add(person)
    with pytest.raises(PermissionDenied):
        services.assessment_extension_grant(assessment=assessment, until=today(), by=person)
    with pytest.raises(PermissionDenied):
        services.assessment_withdraw(assessment=assessment, by=person, reason="x")
    with pytest.raises(PermissionDenied):
        services.assessment_reinstate(assessment=assessment, by=person)


def test_withdraw_keeps_the_data_and_reinstate_undoes_it(ctx):
    the_lead, assessment, fw, _ = ctx
    save_one(assessment, fw, the_lead, level=4)
    admin = association_admin()
    with pytest.raises(CalendarError):
        services.assessment_withdraw(assessment=assessment, by=admin, reason="  ")
    services.assessment_withdraw(assessment=assessment, by=admin, reason="Enrolled by mistake")
    assessment.refresh_from_db()
    assert assessment.is_withdrawn and assessment.withdrawn_by == admin
    assert not Assessment.objects.enrolled().filter(pk=assessment.pk).exists()
    with pytest.raises(AnsweringClosed):
        save_one(assessment, fw, the_lead)
    with pytest.raises(CalendarError):
        services.assessment_withdraw(assessment=assessment, by=admin, reason="again")
    with pytest.raises(CalendarError):
        services.assessment_extension_grant(assessment=assessment, until=today(), by=admin)
    assert Answer.objects.get(assessment=assessment, item__code=a_maturity(fw)).level == 4

    services.assessment_reinstate(assessment=assessment, by=admin, reason="Confirmed member")
    assessment.refresh_from_db()
    assert not assessment.is_withdrawn and assessment.withdrawn_by is None
    assert save_one(assessment, fw, the_lead, level=2, n=1).saved
    assert list(
        CalendarChange.objects.filter(assessment=assessment).values_list("kind", "note")
    ) == [("withdrawn", "Enrolled by mistake"), ("reinstated", "Confirmed member")]
    with pytest.raises(CalendarError):
        services.assessment_reinstate(assessment=assessment, by=admin)


def test_a_withdrawn_assessment_is_not_the_open_one(ctx, framework):
    the_lead, assessment, _, _ = ctx
    services.assessment_withdraw(assessment=assessment, by=association_admin(), reason="x")
    started = services.assessment_start(user=the_lead, framework=framework)
    assert started != assessment


def test_a_withdrawn_submission_is_not_reviewed_until_reinstated(ctx):
    the_lead, assessment, _, _ = ctx
    answer_mandatory(assessment, the_lead)
    services.assessment_submit(assessment=assessment, user=the_lead)
    admin = association_admin()
    services.assessment_withdraw(assessment=assessment, by=admin, reason="duplicate")
    with pytest.raises(services.ReviewError):
        services.assessment_review(
            assessment=Assessment.objects.get(pk=assessment.pk),
            reviewer=admin,
            approve=True,
            note="",
        )
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.SUBMITTED
    services.assessment_reinstate(
        assessment=Assessment.objects.get(pk=assessment.pk), by=admin, reason="member after all"
    )
    services.assessment_review(
        assessment=Assessment.objects.get(pk=assessment.pk), reviewer=admin, approve=True, note=""
    )
    assert Assessment.objects.get(pk=assessment.pk).status == AssessmentStatus.APPROVED


# --- pages -------------------------------------------------------------------------------


def step_url(assessment, shift="profit"):
    return reverse("assessments:step", args=[assessment.pk, shift])


def step_post(fw, values, shift="profit"):
    data = {}
    for item in fw.shift(shift).items:
        data[f"{item.code}__base"] = "0"
        data[f"{item.code}__note"] = ""
        data[f"{item.code}__confidence"] = ""
    for code, (value, note) in values.items():
        data[f"{code}__value"] = value
        data[f"{code}__note"] = note
    return data


def test_before_opening_the_issuer_reads_but_cannot_answer(ctx):
    the_lead, assessment, _, cohort = ctx
    close(cohort, opens_on=today() + 5 * DAY)
    response = client_for(the_lead).get(step_url(assessment))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"This round opens on {day_text(cohort.opens_on)}" in html
    assert 'data-readonly="1"' in html and "<fieldset disabled" in html


def test_after_closing_a_post_is_refused_with_the_reason_and_the_typed_values(ctx):
    the_lead, assessment, fw, cohort = ctx
    close(cohort, opens_on=today() - 30 * DAY, closes_on=today() - DAY)
    code = next(i.code for i in fw.shift("profit").items if i.kind == "maturity")
    response = client_for(the_lead).post(
        step_url(assessment), step_post(fw, {code: ("3", "Our typed evidence note")})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"This round closed on {day_text(cohort.closes_on)}" in html
    assert "ask the association for an extension" in html.lower()
    assert "Nothing was saved" in html
    assert "Our typed evidence note" in html
    assert Answer.objects.get(assessment=assessment, item__code=code).level is None


def test_the_race_a_save_that_arrives_just_after_closing_keeps_the_input(ctx, monkeypatch):
    """The page was open when loaded; the round closes between the view's check and the
    service's check under the lock: the service refuses and the page keeps the input."""
    the_lead, assessment, fw, cohort = ctx
    code = next(i.code for i in fw.shift("profit").items if i.kind == "maturity")
    real = services.answers_save

    def closing_meanwhile(**kwargs):
        close(cohort, status="closed")
        return real(**kwargs)

    monkeypatch.setattr(services, "answers_save", closing_meanwhile)
    response = client_for(the_lead).post(
        step_url(assessment), step_post(fw, {code: ("3", "typed just in time")})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The association has closed this round" in html
    assert "typed just in time" in html
    assert Answer.objects.get(assessment=assessment, item__code=code).level is None


def test_autosave_says_why(ctx):
    the_lead, assessment, fw, cohort = ctx
    close(cohort, status="closed")
    code = next(i.code for i in fw.shift("profit").items if i.kind == "maturity")
    response = client_for(the_lead).post(
        reverse("assessments:autosave", args=[assessment.pk, "profit"]),
        {f"{code}__value": "3", f"{code}__base": "0"},
    )
    assert response.status_code == 409
    assert "closed this round" in response.json()["message"]


def test_submit_after_closing_says_why_and_changes_nothing(ctx):
    the_lead, assessment, _, cohort = ctx
    answer_mandatory(assessment, the_lead)
    close(cohort, opens_on=today() - 30 * DAY, closes_on=today() - DAY)
    client = client_for(the_lead)
    response = client.post(reverse("assessments:submit", args=[assessment.pk]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"This round closed on {day_text(cohort.closes_on)}" in html
    assert "Submit assessment" not in html
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_profile_post_after_closing_is_a_message_not_a_403(ctx):
    the_lead, assessment, _, cohort = ctx
    close(cohort, status="closed")
    response = client_for(the_lead).post(
        reverse("assessments:profile", args=[assessment.pk]),
        {"industry": "x", "name_en": "Typed Before Closing Ltd"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The association has closed this round" in html
    field = re.search(r'<input[^>]*name="name_en"[^>]*>', html).group(0)
    assert 'value="Typed Before Closing Ltd"' in field and "disabled" in field  # as typed


def test_the_wizard_shows_the_deadline_in_chinese(ctx):
    the_lead, assessment, _, cohort = ctx
    client = client_for(the_lead)
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    html = client.get(step_url(assessment)).content.decode()
    assert cohort.name_zh in html
    assert day_text(cohort.closes_on, "zh-hant") in html


def test_withdrawn_shows_read_only_with_the_reason(ctx):
    the_lead, assessment, _, _ = ctx
    services.assessment_withdraw(assessment=assessment, by=association_admin(), reason="x")
    html = client_for(the_lead).get(step_url(assessment)).content.decode()
    assert "This company was withdrawn from this round" in html
    assert "<fieldset disabled" in html


def test_admin_calendar_page_grants_withdraws_and_reinstates(ctx):
    _, assessment, _, cohort = ctx
    close(cohort, status="closed", opens_on=today() - 30 * DAY, closes_on=today() - DAY)
    admin = client_for(association_admin())
    url = reverse("assessments:calendar", args=[assessment.pk])
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"action": "extend", "until": "2001-01-01", "note": ""})
    assert response.status_code == 200
    assert "An extension cannot end in the past." in response.content.decode()
    until = today() + 3 * DAY
    response = admin.post(url, {"action": "extend", "until": until.isoformat(), "note": "ok"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.extended_until == until
    response = admin.post(url, {"action": "withdraw", "reason": ""})
    assert "Say why the company is withdrawn" in response.content.decode()
    admin.post(url, {"action": "withdraw", "reason": "duplicate"})
    assert Assessment.objects.get(pk=assessment.pk).is_withdrawn
    admin.post(url, {"action": "reinstate", "reason": ""})
    assert not Assessment.objects.get(pk=assessment.pk).is_withdrawn
    html = admin.get(url).content.decode()
    assert "Withdrawn from the round" in html and "Reinstated in the round" in html


def test_the_calendar_page_is_for_admins_only(ctx):
    the_lead, assessment, _, _ = ctx
    url = reverse("assessments:calendar", args=[assessment.pk])
    assert client_for(the_lead).get(url).status_code == 403
