from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Answer, AssessmentStatus
from assessments.services import Proposed

from .factories import PASSWORD, association_admin, client_for, contributor, lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(framework):
    the_lead = lead()
    the_lead.issuer.profile_confirmed_at = the_lead.issuer.created_at
    the_lead.issuer.save()
    assessment = services.assessment_start(user=the_lead, framework=framework)
    fw = selectors.framework_of(framework)
    return the_lead, assessment, fw


def step_url(assessment, shift="profit"):
    return reverse("assessments:step", args=[assessment.pk, shift])


def step_post(fw, shift_code, values=None, bases=None):
    """A full-step POST as the browser sends it: every item's fields and base version."""
    values = values or {}
    bases = bases or {}
    data = {}
    for item in fw.shift(shift_code).items:
        data[f"{item.code}__base"] = str(bases.get(item.code, 0))
        data[f"{item.code}__note"] = ""
        data[f"{item.code}__confidence"] = ""
        if item.code in values:
            data[f"{item.code}__value"] = values[item.code]
    return data


def stored(assessment, code) -> Answer:
    return Answer.objects.get(assessment=assessment, item__code=code)


def first(fw, kind, shift="profit"):
    return next(i for i in fw.shift(shift).items if i.kind == kind)


def test_anonymous_is_sent_to_login(ctx):
    _, assessment, _ = ctx
    response = Client().get(step_url(assessment))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_step_shows_items_with_full_level_descriptors_and_purpose(ctx):
    the_lead, assessment, fw = ctx
    response = client_for(the_lead).get(step_url(assessment))
    assert response.status_code == 200
    html = response.content.decode()
    shift = fw.shift("profit")
    assert shift.purpose.en in html
    item = first(fw, "maturity")
    for level in item.levels:
        assert level.en.replace("'", "&#x27;") in html
    assert "Don&#x27;t know" in html


def test_step_in_traditional_chinese(ctx):
    the_lead, assessment, fw = ctx
    client = client_for(the_lead)
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    html = client.get(step_url(assessment)).content.decode()
    assert fw.shift("profit").name.zh in html
    assert first(fw, "maturity").levels[0].zh in html
    the_lead.refresh_from_db()
    assert the_lead.language == "zh-hant"  # remembered on the account, for every device
    # The browser title is the shift's name, not a Python repr, and every item's labels are
    # in Chinese (the note label was built inside an f-string, which makemessages skips).
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert fw.shift("profit").name.zh in title and "Text(" not in title
    assert "Evidence note" not in html and "佐證說明（選填）" in html


def test_post_saves_answers_and_goes_to_next_step(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    data = step_post(fw, "profit", {item.code: "4"})
    data[f"{item.code}__note"] = "Minutes of March board meeting"
    data[f"{item.code}__confidence"] = "documented"
    data["go"] = "next"
    response = client_for(the_lead).post(step_url(assessment), data)
    assert response.status_code == 302 and response["Location"] == step_url(assessment, "growth")
    answer = stored(assessment, item.code)
    assert (answer.level, answer.note, answer.confidence, answer.updated_by) == (
        4,
        "Minutes of March board meeting",
        "documented",
        the_lead,
    )


def test_resume_shows_saved_answers_and_who_changed_them(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    colleague = contributor(the_lead.issuer, full_name="Ka Ho Wong")
    client_for(colleague).post(step_url(assessment), step_post(fw, "profit", {item.code: "2"}))
    html = client_for(the_lead).get(step_url(assessment)).content.decode()
    assert f'value="2" id="id_{item.code}__value_1" checked' in html
    assert "Last changed by Ka Ho Wong" in html


@pytest.mark.parametrize(
    ("kind", "bad", "message"),
    [
        ("figure", "abc", "Enter a number"),
        # An implausible figure: the message names the item's range and unit.
        ("figure", "101", "Enter a figure from 0 to 100 (% of revenue)."),
        ("figure", "-5", "Enter a figure from 0 to 100 (% of revenue)."),
        ("maturity", "7", "Choose one of the options shown"),
        ("choice", "teleport", "Choose one of the options shown"),
    ],
)
def test_bad_input_gets_a_form_error_and_keeps_everything_typed(ctx, kind, bad, message):
    the_lead, assessment, fw = ctx
    target = first(fw, kind)
    other = next(
        i for i in fw.shift("profit").items if i.kind == "maturity" and i.code != target.code
    )
    data = step_post(fw, "profit", {target.code: bad, other.code: "3"})
    data[f"{other.code}__note"] = "typed evidence that must survive"
    data[f"{target.code}__note"] = "note on the bad item"
    response = client_for(the_lead).post(step_url(assessment), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "typed evidence that must survive" in html and "note on the bad item" in html
    # the valid item was saved; the invalid one was not
    assert stored(assessment, other.code).level == 3
    assert stored(assessment, target.code).version == 0


def test_figure_with_both_number_and_dont_know_is_refused(ctx):
    the_lead, assessment, fw = ctx
    figure = first(fw, "figure")
    data = step_post(fw, "profit", {figure.code: "12"})
    data[f"{figure.code}__dk"] = "on"
    response = client_for(the_lead).post(step_url(assessment), data)
    assert response.status_code == 200 and "not both" in response.content.decode()


def test_tampered_hidden_and_extra_fields_change_nothing_else(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    data = step_post(fw, "profit", {item.code: "5"})
    data[f"{item.code}__base"] = "not-a-number"
    data.update(
        status="approved",
        issuer="1",
        overall_score="100",
        **{"no.such.item__value": "5", "no.such.item__base": "0"},
    )
    response = client_for(the_lead).post(step_url(assessment), data)
    assert response.status_code == 200
    assert "This page was out of date" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert stored(assessment, item.code).version == 0
    data[f"{item.code}__base"] = "-3"
    assert client_for(the_lead).post(step_url(assessment), data).status_code == 200


def test_unknown_step_is_404(ctx):
    the_lead, assessment, _ = ctx
    assert client_for(the_lead).get(step_url(assessment, "no-such-shift")).status_code == 404


def test_another_issuers_assessment_is_404_everywhere(ctx):
    _, assessment, fw = ctx
    stranger = client_for(lead())
    urls = [
        reverse("assessments:detail", args=[assessment.pk]),
        reverse("assessments:profile", args=[assessment.pk]),
        step_url(assessment),
        reverse("assessments:review", args=[assessment.pk]),
        reverse("reports:results", args=[assessment.pk]),
    ]
    for url in urls:
        assert stranger.get(url).status_code == 404, url
    item = first(fw, "maturity")
    assert (
        stranger.post(step_url(assessment), step_post(fw, "profit", {item.code: "5"})).status_code
        == 404
    )
    autosave = reverse("assessments:autosave", args=[assessment.pk, "profit"])
    assert (
        stranger.post(autosave, {f"{item.code}__value": "5", f"{item.code}__base": "0"}).status_code
        == 404
    )
    assert stranger.post(reverse("assessments:submit", args=[assessment.pk])).status_code == 404
    assert stored(assessment, item.code).version == 0
    assert (
        stranger.get(step_url(assessment).replace(str(assessment.pk), "999999")).status_code == 404
    )


def test_concurrent_edit_of_the_same_item_shows_both_values(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    colleague = contributor(the_lead.issuer, full_name="Ka Ho Wong")
    lead_client, colleague_client = client_for(the_lead), client_for(colleague)
    # Both open the step at version 0.
    lead_client.post(step_url(assessment), step_post(fw, "profit", {item.code: "4"}))
    response = colleague_client.post(
        step_url(assessment), step_post(fw, "profit", {item.code: "2"})
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by a colleague" in html
    assert f'value="2" id="id_{item.code}__value_1" checked' in html  # mine, still in the form
    assert "changed this answer at" in html
    assert "Level 4: " + item.levels[3].en.replace("'", "&#x27;") in html  # theirs, shown beside
    assert stored(assessment, item.code).level == 4  # theirs, stored
    # Saving again (now against the current version) keeps the colleague's choice.
    data = step_post(fw, "profit", {item.code: "2"}, bases={item.code: 1})
    assert colleague_client.post(step_url(assessment), data).status_code == 302
    assert stored(assessment, item.code).level == 2


def test_post_after_session_expiry_is_kept_and_saved_after_login(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    client = client_for(the_lead)
    client.logout()  # the session expired while the page was open
    data = step_post(fw, "profit", {item.code: "3"})
    data[f"{item.code}__note"] = "typed before the timeout"
    response = client.post(step_url(assessment), data)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert stored(assessment, item.code).version == 0
    response = client.post(
        reverse("login"), {"username": the_lead.email, "password": PASSWORD}, follow=False
    )
    assert response.status_code == 302
    response = client.get(step_url(assessment), follow=True)
    assert "session had expired" in response.content.decode()
    answer = stored(assessment, item.code)
    assert (answer.level, answer.note) == (3, "typed before the timeout")


def test_a_parked_save_is_replayed_after_the_second_factor_too(ctx):
    """A lead who added an authenticator app: password, then the code, then the step page
    replays what was typed before the session expired."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .factories import authenticator_for, totp_code

    the_lead, assessment, fw = ctx
    device: TOTPDevice = authenticator_for(the_lead)
    item = first(fw, "maturity")
    client = Client()
    data = step_post(fw, "profit", {item.code: "4"})
    data[f"{item.code}__note"] = "typed before the timeout, replayed after the code"
    response = client.post(step_url(assessment), data)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    response = client.post(
        reverse("login") + "?next=" + step_url(assessment),
        {"username": the_lead.email, "password": PASSWORD},
    )
    assert response["Location"] == step_url(assessment)
    response = client.get(step_url(assessment))  # the code comes first
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert stored(assessment, item.code).version == 0
    response = client.post(response["Location"], {"code": totp_code(device)})
    assert response["Location"] == step_url(assessment)
    response = client.get(step_url(assessment), follow=True)
    assert "session had expired" in response.content.decode()
    answer = stored(assessment, item.code)
    assert (answer.level, answer.note) == (4, "typed before the timeout, replayed after the code")


def test_the_longest_real_step_is_kept_but_a_bulk_post_is_not(ctx):
    """Anyone can make an anonymous session: only what a respondent could have typed is
    parked for replay, and the largest real step (every note full of Chinese) fits."""
    from assessments.forms import NOTE_MAX
    from assessments.replay import PENDING_KEY

    _, assessment, fw = ctx
    biggest = max(fw.shifts, key=lambda s: len(s.items))
    data = step_post(fw, biggest.code)
    for item in biggest.items:
        data[f"{item.code}__note"] = "董" * NOTE_MAX
    client = Client()
    response = client.post(step_url(assessment, biggest.code), data)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.session[PENDING_KEY]["data"][f"{biggest.items[0].code}__note"] == [
        "董" * NOTE_MAX
    ]
    client = Client()
    response = client.post(step_url(assessment), {"junk": "x" * (1024 * 1024)})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert PENDING_KEY not in client.session


def test_autosave_saves_one_item_and_reports_conflicts(ctx):
    the_lead, assessment, fw = ctx
    item = first(fw, "maturity")
    url = reverse("assessments:autosave", args=[assessment.pk, "profit"])
    client = client_for(the_lead)
    response = client.post(
        url, {f"{item.code}__value": "3", f"{item.code}__base": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "saved" and response.json()["versions"][item.code] == 1
    colleague = client_for(contributor(the_lead.issuer))
    response = colleague.post(
        url, {f"{item.code}__value": "5", f"{item.code}__base": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 409
    assert "Level 3" in response.json()["conflicts"][item.code]["theirs"]
    response = client.post(
        url, {f"{item.code}__value": "9", f"{item.code}__base": "1"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and response.json()["status"] == "invalid"
    anonymous = Client().post(
        url, {f"{item.code}__value": "3", f"{item.code}__base": "0"}, HTTP_ACCEPT="application/json"
    )
    assert anonymous.status_code == 401


def _answer_all(assessment, fw, user):
    proposals = {}
    for item in fw.iter_items():
        if item.kind == "maturity":
            proposals[item.code] = Proposed(level=4)
        elif item.kind == "choice":
            proposals[item.code] = Proposed(choice=item.options[-1].code)
    services.answers_save(assessment=assessment, proposals=proposals, user=user)


def test_review_lists_missing_items_and_submit_is_refused_until_complete(ctx):
    the_lead, assessment, fw = ctx
    client = client_for(the_lead)
    html = client.get(reverse("assessments:review", args=[assessment.pk])).content.decode()
    mandatory = [i for i in fw.iter_items() if i.mandatory]
    assert f"{len(mandatory)} required questions are still unanswered" in html
    assert mandatory[0].text.en.replace("'", "&#x27;") in html
    response = client.post(reverse("assessments:submit", args=[assessment.pk]), follow=True)
    assert "still unanswered" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_submit_then_results_and_read_only(ctx):
    the_lead, assessment, fw = ctx
    _answer_all(assessment, fw, the_lead)
    client = client_for(the_lead)
    response = client.post(reverse("assessments:submit", args=[assessment.pk]))
    assert response["Location"] == reverse("reports:results", args=[assessment.pk])
    html = client.get(response["Location"]).content.decode()
    snapshot = assessment.snapshots.get()
    assert 75 < snapshot.overall_score < 100  # level 4 everywhere, top choice options
    assert f'id="overall-score">{snapshot.overall_score:.0f}<' in html
    assert "Structural capability" in html
    assert fw.dimensions[0].recommendations[4].en.replace("'", "&#x27;") in html
    item = first(fw, "maturity")
    response = client.post(
        step_url(assessment),
        step_post(fw, "profit", {item.code: "1"}, bases={item.code: 1}),
        follow=True,
    )
    assert "read-only" in response.content.decode()
    assert stored(assessment, item.code).level == 4
    # Association staff can read results; another issuer cannot.
    assert (
        client_for(association_admin())
        .get(reverse("reports:results", args=[assessment.pk]))
        .status_code
        == 200
    )


def test_contributor_can_answer_but_not_submit(ctx):
    the_lead, assessment, fw = ctx
    _answer_all(assessment, fw, the_lead)
    client = client_for(contributor(the_lead.issuer))
    response = client.post(reverse("assessments:submit", args=[assessment.pk]), follow=True)
    assert "Only the issuer lead" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_profile_step_confirms_issuer_details(ctx):
    the_lead, assessment, _ = ctx
    issuer = the_lead.issuer
    url = reverse("assessments:profile", args=[assessment.pk])
    data = {
        "name_en": "Renamed Holdings Limited",
        "name_zh": "新名控股有限公司",
        "board": "gem",
        "industry": "healthcare",
        "market_cap_band": "gt_10b",
        "revenue_band": "gt_2b",
        "employee_band": "1000_plus",
    }
    response = client_for(the_lead).post(url, data)
    assert response.status_code == 302
    issuer.refresh_from_db()
    assert (issuer.name_en, issuer.board, issuer.industry) == (
        "Renamed Holdings Limited",
        "gem",
        "healthcare",
    )
    response = client_for(the_lead).post(url, {**data, "board": "nasdaq"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert client_for(contributor(issuer)).post(url, data).status_code == 403


def _queries(client, url, data=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 302)
    # SAVEPOINT/RELEASE only exist because each test runs inside a transaction.
    return sum(1 for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"])


def test_wizard_queries_are_bounded_whatever_the_number_of_items(framework, big_framework):
    counts = {}
    for version in (framework, big_framework):
        the_lead = lead()
        assessment = services.assessment_create(
            issuer=the_lead.issuer, framework=version, user=the_lead
        )
        fw = selectors.framework_of(version)
        client = client_for(the_lead)
        client.get(step_url(assessment))  # warm the per-process framework cache
        codes = [i.code for i in fw.shift("profit").items if i.kind == "maturity"]
        post = step_post(fw, "profit", dict.fromkeys(codes, "3"))
        counts[version.version] = (
            _queries(client, step_url(assessment)),
            _queries(client, step_url(assessment), post),
            _queries(client, reverse("assessments:review", args=[assessment.pk])),
        )
        assert len(codes) >= 10
    small, big = counts.values()
    assert small == big, counts
    assert max(small) <= 10, counts


def test_sidebar_counts_dont_know_as_answered_like_the_review_page(ctx):
    """A step answered in full, partly with "Don't know", reads n/n in the sidebar: the
    same rule (Answer.is_answered) as the review page's "all required questions answered"."""
    the_lead, assessment, fw = ctx
    items = fw.shift("profit").items
    radio = [i for i in items if i.levels or i.options]
    values = {i.code: ("1" if i.levels and n % 2 else "dk") for n, i in enumerate(radio)}
    data = step_post(fw, "profit", values)
    for i in items:
        if i not in radio:
            data[f"{i.code}__dk"] = "on"
    data["go"] = "stay"
    client = client_for(the_lead)
    assert client.post(step_url(assessment), data).status_code == 302
    assert Answer.objects.filter(assessment=assessment, dont_know=True).count() >= 2
    html = client.get(step_url(assessment)).content.decode()
    n = len(items)
    assert f'<span class="step-count">{n}/{n}</span>' in html
    total = Answer.objects.filter(assessment=assessment).count()
    assert f"{n} of {total} questions answered" in html
