"""Faults the service must survive, with real processes (docs/SECURITY.md, "Faults").

Each test starts what it needs (tests/faults/conftest.py): the app under gunicorn, Celery
workers, and a private Redis or PostgreSQL it may stop or kill.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time

import pytest
from django.urls import reverse

from assessments import selectors, services
from assessments.models import Answer, AnswerRevision
from assessments.tests.factories import PASSWORD, IssuerFactory, contributor, lead
from reports.models import Report, ReportStatus
from reports.tests.conftest import submit_synthetic

from .conftest import Browser, form_fields, wait_for, with_value

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def report_files(stack, report):
    return sorted(stack.media.rglob(f"{report.snapshot_id}-{report.language}-*.pdf"))


def assert_one_good_file(stack, report):
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    files = report_files(stack, report)
    assert files == [stack.media / report.file.name], files
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == report.checksum


def first_maturity_item(framework):
    shift = selectors.framework_of(framework).shifts[0]
    return shift, next(i for i in shift.items if i.kind == "maturity")


def test_a_worker_killed_mid_report_is_replaced_and_the_report_completes(stack, framework):
    """SIGKILL the worker's process group while it renders; the next worker finishes it.

    The message was taken but never acknowledged (acks_late), so Redis still holds it in
    its unacked set; the new worker puts it back on the queue once it has been out for the
    visibility timeout (10 s here, CELERY_VISIBILITY_TIMEOUT) and renders it again.
    """
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=21)
    assessment = snapshot.assessment
    redis = stack.redis()
    app = stack.app(broker_url=redis.url)
    first = stack.worker(broker_url=redis.url, name="first")
    browser = Browser(app.url)
    browser.login(assessment.submitted_by.email, PASSWORD)

    page = browser.post(
        reverse("reports:request", args=[assessment.pk]), {"language": "zh-hant"}, follow=True
    )
    assert page.status == 200 and "Your report has been queued" in page.text
    report = Report.objects.get(assessment=assessment, language="zh-hant")
    task_id = report.task_id
    assert task_id

    def rendering():
        report.refresh_from_db()
        assert report.status != ReportStatus.READY, "rendered before the worker was killed"
        return report.status == ReportStatus.RENDERING

    wait_for(rendering, timeout=60, what="the first worker to start rendering", every=0.01)
    first.kill()
    killed = time.monotonic()
    report.refresh_from_db()
    assert report.status == ReportStatus.RENDERING and report.attempts == 1
    assert redis.client().hlen("unacked") == 1  # taken, never acknowledged

    stack.worker(broker_url=redis.url, name="second")

    def finished():
        report.refresh_from_db()
        return report.status in (ReportStatus.READY, ReportStatus.FAILED)

    wait_for(finished, timeout=90, what="the second worker to finish the report", every=0.2)
    assert time.monotonic() - killed >= 5  # not before the visibility timeout expired
    assert_one_good_file(stack, report)
    assert report.attempts == 2
    assert report.task_id == task_id  # the same message came back, not a new request
    assert redis.client().hlen("unacked") == 0
    download = browser.get(reverse("reports:download", args=[assessment.pk, "zh-hant"]))
    assert download.status == 200 and download.headers["Content-Type"] == "application/pdf"
    assert download.body == (stack.media / report.file.name).read_bytes()


def test_with_redis_stopped_pages_work_and_the_report_follows_when_it_returns(stack, framework):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=22)
    the_lead = snapshot.assessment.submitted_by
    submitted = snapshot.assessment
    draft = services.assessment_start(user=the_lead, framework=framework, prefill=True)
    shift, item = first_maturity_item(framework)
    redis = stack.redis()
    app = stack.app(broker_url=redis.url)
    browser = Browser(app.url)
    browser.login(the_lead.email, PASSWORD)

    redis.stop()

    step_url = reverse("assessments:step", args=[draft.pk, shift.code])
    step = browser.get(step_url)
    assert step.status == 200
    before = Answer.objects.get(assessment=draft, item__code=item.code)
    level = "1" if before.level != 1 else "2"
    fields = with_value(form_fields(step.text, "step-form"), f"{item.code}__value", level)
    saved = browser.post(step_url, [*fields, ("go", "stay")])
    assert saved.status == 302, saved.text[:2000]
    assert "Saved 1 answer" in browser.get(saved.location).text
    after = Answer.objects.get(assessment=draft, item__code=item.code)
    assert after.level == int(level) and after.version == before.version + 1  # nothing lost

    results_url = reverse("reports:results", args=[submitted.pk])
    assert browser.get(results_url).status == 200
    started = time.monotonic()
    asked = browser.post(
        reverse("reports:request", args=[submitted.pk]), {"language": "en"}, follow=True
    )
    assert time.monotonic() - started < 10  # publishing gives up quickly
    assert asked.status == 200
    text = html.unescape(asked.text)
    assert "Report generation is unavailable right now" in text
    assert "Waiting for the report service" in text
    report = Report.objects.get(assessment=submitted, language="en")
    assert report.status == ReportStatus.QUEUED and report.awaiting_queue
    status = browser.get(
        reverse("reports:status", args=[submitted.pk]), headers={"Accept": "application/json"}
    )
    assert status.status == 200 and "Waiting for the report service" in status.text

    redis.start()  # same port, empty: the message never got there
    stack.worker(broker_url=redis.url, name="after-outage")

    def finished():
        report.refresh_from_db()
        return report.status in (ReportStatus.READY, ReportStatus.FAILED)

    wait_for(finished, timeout=60, what="the report after Redis returned", every=0.2)
    assert_one_good_file(stack, report)
    assert "Download PDF" in browser.get(results_url).text


def test_after_a_database_restart_the_next_requests_succeed(stack, framework):
    issuer = IssuerFactory()
    person = lead(issuer=issuer)
    draft = services.assessment_start(user=person, framework=framework)
    shift, item = first_maturity_item(framework)
    cluster = stack.postgres()
    cluster.copy_database(stack.database, "h_fault_restart")
    app = stack.app(database_url=cluster.url("h_fault_restart"))
    browser = Browser(app.url)
    browser.login(person.email, PASSWORD)
    step_url = reverse("assessments:step", args=[draft.pk, shift.code])

    def load_all_threads() -> list[int]:
        # Concurrent requests, so every gunicorn thread holds its own pooled connection.
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(browser.get(step_url).status))
            for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        return results

    assert load_all_threads() == [200] * 6

    cluster.stop()
    down = browser.get(step_url)
    assert down.status == 503, down.text[:2000]
    assert "Service temporarily unavailable" in down.text
    assert down.headers["Retry-After"]
    cluster.start()

    statuses = [browser.get(step_url).status for _ in range(4)] + load_all_threads()
    assert statuses == [200] * 10, statuses  # no stale-connection errors
    step = browser.get(step_url)
    fields = with_value(form_fields(step.text, "step-form"), f"{item.code}__value", "3")
    saved = browser.post(step_url, [*fields, ("go", "stay")])
    assert saved.status == 302, saved.text[:2000]
    page = browser.get(saved.location)
    assert "Saved 1 answer" in page.text
    shown = dict(form_fields(page.text, "step-form"))
    assert shown[f"{item.code}__value"] == "3"  # read back from the restarted database


def test_two_people_saving_the_same_answer_at_once_lose_nothing(stack, framework):
    issuer = IssuerFactory()
    the_lead = lead(issuer=issuer, full_name="Lee Lead")
    colleague = contributor(issuer, full_name="Chan Colleague")
    draft = services.assessment_start(user=the_lead, framework=framework)
    shift, item = first_maturity_item(framework)
    app = stack.app()  # eager Celery: no broker involved
    step_url = reverse("assessments:step", args=[draft.pk, shift.code])
    people = {}
    for person, level in ((the_lead, "2"), (colleague, "4")):
        browser = Browser(app.url)
        browser.login(person.email, PASSWORD)
        page = browser.get(step_url)
        assert page.status == 200
        form = with_value(form_fields(page.text, "step-form"), f"{item.code}__value", level)
        people[person.pk] = (browser, [*form, ("go", "stay")], level)

    start = threading.Barrier(len(people))
    responses = {}

    def save(pk):
        browser, form, _ = people[pk]
        start.wait(timeout=30)
        responses[pk] = browser.post(step_url, form)

    threads = [threading.Thread(target=save, args=(pk,)) for pk in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    winners = [pk for pk, r in responses.items() if r.status == 302]
    losers = [pk for pk, r in responses.items() if r.status == 200]
    assert len(winners) == 1 and len(losers) == 1, {k: r.status for k, r in responses.items()}
    winner, loser = winners[0], losers[0]
    answer = Answer.objects.get(assessment=draft, item__code=item.code)
    assert answer.level == int(people[winner][2]) and answer.version == 1
    assert answer.updated_by_id == winner
    kept = AnswerRevision.objects.get(answer=answer, applied=False)
    assert kept.user_id == loser and kept.level == int(people[loser][2]) and not kept.resolved
    assert AnswerRevision.objects.filter(answer=answer, applied=True, user_id=winner).count() == 1

    # The loser is told, sees the colleague's answer, and still has their own selected.
    text = html.unescape(responses[loser].text)
    assert "changed by a colleague while you were editing" in text
    assert f"Level {people[winner][2]}:" in text
    shown = dict(form_fields(responses[loser].text, "step-form"))
    assert shown[f"{item.code}__value"] == people[loser][2]
    # And the unapplied value stays on the page for both until someone settles it.
    browser = people[loser][0]
    again = html.unescape(browser.get(step_url).text)
    assert "proposed a different answer" in again and f"Level {people[loser][2]}:" in again
