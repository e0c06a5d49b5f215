from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments.tests.factories import (
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
)
from reports import services
from reports.models import Report, ReportStatus

from .conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(framework):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=5)
    return snapshot.assessment, snapshot


def files_in(media) -> list:
    return list(media.rglob("*.pdf"))


def test_request_renders_once_and_is_idempotent(submitted, eager, media, oncommit):
    assessment, _ = submitted
    user = assessment.submitted_by
    with oncommit(execute=True):
        report = services.report_request(assessment=assessment, language="zh-hant", user=user)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.file and len(report.checksum) == 64
    assert report.render_ms and report.size == report.file.size and report.attempts == 1
    with oncommit(execute=True):
        again = services.report_request(assessment=assessment, language="zh-hant", user=user)
    again.refresh_from_db()
    assert again.pk == report.pk and again.attempts == 1  # ready: not rendered again
    assert (
        services.report_render(report_id=report.pk).rendered is False
    )  # re-running a finished task
    assert len(files_in(media)) == 1


def test_regenerating_replaces_the_file(submitted, eager, media, oncommit):
    assessment, _ = submitted
    user = assessment.submitted_by
    with oncommit(execute=True):
        first = services.report_request(assessment=assessment, language="en", user=user)
    first.refresh_from_db()
    old_name = first.file.name
    with oncommit(execute=True):
        services.report_request(assessment=assessment, language="en", user=user, force=True)
    first.refresh_from_db()
    assert first.status == ReportStatus.READY and first.attempts == 2
    names = [p.name for p in files_in(media)]
    assert len(names) == 1  # the old file went away once the new one was committed
    assert first.file.name == old_name or old_name.split("/")[-1] not in names


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_renders_leave_one_file(framework, media):
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=6)
    report = Report.objects.create(assessment=snapshot.assessment, snapshot=snapshot, language="en")
    errors = []

    def run():
        try:
            services.report_render(report_id=report.pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert len(files_in(media)) == 1


def test_a_failed_render_is_recorded_and_can_be_retried(
    submitted, eager, media, monkeypatch, oncommit
):
    assessment, _ = submitted
    user = assessment.submitted_by

    def broken(**kwargs):
        raise ValueError("template exploded")

    monkeypatch.setattr(services, "report_html", broken)
    with oncommit(execute=True):
        report = services.report_request(assessment=assessment, language="en", user=user)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "template exploded" in report.error
    monkeypatch.undo()
    with oncommit(execute=True):
        services.report_request(assessment=assessment, language="en", user=user, force=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.error == ""


def test_results_page_generate_status_and_download(submitted, eager, oncommit):
    assessment, _ = submitted
    client = client_for(contributor(assessment.issuer))
    results = reverse("reports:results", args=[assessment.pk])
    html = client.get(results).content.decode()
    assert "Generate report" in html and "Not generated yet" in html
    with oncommit(execute=True):
        response = client.post(
            reverse("reports:request", args=[assessment.pk]), {"language": "zh-hant"}
        )
    assert response.status_code == 302
    status = client.get(
        reverse("reports:status", args=[assessment.pk]), HTTP_ACCEPT="application/json"
    ).json()
    zh = next(r for r in status["reports"] if r["language"] == "zh-hant")
    assert zh["status"] == "ready" and zh["download"]
    download = client.get(zh["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;") and assessment.issuer.stock_code in disposition
    assert "zh-hant" in disposition and assessment.submitted_at.strftime("%Y%m%d") in disposition
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "Download PDF" in client.get(results).content.decode()
    view = client.get(reverse("reports:view", args=[assessment.pk, "zh-hant"]))
    assert view.status_code == 200 and "執行摘要" in view.content.decode()


def test_json_request_returns_the_status(submitted, eager, oncommit):
    assessment, _ = submitted
    client = client_for(assessment.submitted_by)
    with oncommit(execute=True):
        client.post(
            reverse("reports:request", args=[assessment.pk]),
            {"language": "en"},
            HTTP_ACCEPT="application/json",
        )
    response = client.get(reverse("reports:status", args=[assessment.pk]))
    assert response.status_code == 200
    assert {r["language"]: r["status"] for r in response.json()["reports"]}["en"] == "ready"


def test_bad_language_and_unsubmitted_assessments_get_clear_answers(submitted, framework):
    assessment, _ = submitted
    client = client_for(assessment.submitted_by)
    response = client.post(
        reverse("reports:request", args=[assessment.pk]), {"language": "fr"}, follow=True
    )
    assert "Choose English or Traditional Chinese" in response.content.decode()
    assert client.get(reverse("reports:download", args=[assessment.pk, "fr"])).status_code == 404
    assert (
        client.get(reverse("reports:download", args=[assessment.pk, "en"])).status_code == 404
    )  # not generated
    the_lead = lead()
    from assessments import services as assessment_services

    draft = assessment_services.assessment_start(user=the_lead, framework=framework)
    response = client_for(the_lead).post(
        reverse("reports:request", args=[draft.pk]), {"language": "en"}, follow=True
    )
    assert "nothing to report" in response.content.decode()
    assert not Report.objects.filter(assessment=draft).exists()


def test_another_issuer_gets_404_on_every_report_url(submitted, eager, oncommit):
    assessment, _ = submitted
    with oncommit(execute=True):
        services.report_request(assessment=assessment, language="en", user=assessment.submitted_by)
    stranger = client_for(lead())
    pk = assessment.pk
    assert (
        stranger.post(reverse("reports:request", args=[pk]), {"language": "en"}).status_code == 404
    )
    for url in (
        reverse("reports:status", args=[pk]),
        reverse("reports:download", args=[pk, "en"]),
        reverse("reports:view", args=[pk, "en"]),
    ):
        assert stranger.get(url).status_code == 404, url
        assert Client().get(url).status_code == 302  # anonymous: to the login page
    assert (
        client_for(association_admin())
        .get(reverse("reports:download", args=[pk, "en"]))
        .status_code
        == 200
    )


def test_results_page_query_count_is_bounded(submitted, django_assert_max_num_queries):
    assessment, _ = submitted
    client = client_for(assessment.submitted_by)
    url = reverse("reports:results", args=[assessment.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_html_view_carries_no_server_font_paths(submitted, tmp_path):
    """The @font-face rules point at files on the server for WeasyPrint; a browser can't
    load them and must not be told where they live."""
    assessment, _ = submitted
    client = client_for(assessment.submitted_by)
    html = client.get(f"/reports/{assessment.pk}/en/view/").content.decode()
    assert "@font-face" not in html and "file://" not in html
    assert "Executive summary" in html
