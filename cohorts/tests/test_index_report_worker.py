"""The index report through the worker: request, render, status, download."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessments.tests.factories import IssuerFactory, association_admin, client_for, lead
from cohorts.index_report import services
from cohorts.models import CohortIndexReport
from cohorts.tests.test_index_report import make_cohort
from reports.models import ReportStatus
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(framework, media):
    cohort = make_cohort(framework)
    for n in range(6):
        submit_synthetic(IssuerFactory(), framework, seed=n, cohort=cohort)
    return cohort


def test_request_renders_once_on_commit_and_is_idempotent(cohort, eager, oncommit):
    admin = association_admin()
    with oncommit(execute=True) as callbacks:
        report = services.index_report_request(cohort=cohort, language="zh-hant", user=admin)
    assert len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.counted == 6
    pdf = report.file.read()
    assert pdf.startswith(b"%PDF") and len(pdf) == report.size
    first = report.file.name
    # Asked again: the ready report as it is, nothing queued.
    with oncommit(execute=True) as callbacks:
        again = services.index_report_request(cohort=cohort, language="zh-hant", user=admin)
    assert again.pk == report.pk and not callbacks
    # Rendering a ready report again changes nothing.
    assert services.index_report_render(report_id=report.pk) is False
    # Regenerating replaces the file (the old one is deleted on commit).
    with oncommit(execute=True):
        services.index_report_request(cohort=cohort, language="zh-hant", user=admin, force=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.attempts == 2
    storage = report.file.storage
    assert storage.exists(report.file.name)
    assert report.file.name == first or not storage.exists(first)
    assert CohortIndexReport.objects.count() == 1


def test_a_pending_request_is_not_queued_twice(cohort, oncommit):
    admin = association_admin()
    with oncommit(execute=False) as callbacks:
        services.index_report_request(cohort=cohort, language="en", user=admin)
        services.index_report_request(cohort=cohort, language="en", user=admin)
    assert len(callbacks) == 1


def test_an_issuer_may_neither_request_nor_download(cohort):
    someone = lead(issuer=IssuerFactory())
    with pytest.raises(PermissionDenied):
        services.index_report_request(cohort=cohort, language="en", user=someone)
    with pytest.raises(PermissionDenied):
        services.index_report_file(cohort=cohort, language="en", user=someone)


def test_pages_status_and_download(cohort, eager, oncommit):
    admin = association_admin()
    client = client_for(admin)
    page = client.get(reverse("cohorts:dashboard", args=[cohort.slug]))
    assert b"Generate index report" in page.content and b"report_status.js" in page.content
    status = client.get(reverse("cohorts:index_report_status", args=[cohort.slug])).json()
    assert [r["status"] for r in status["reports"]] == ["none", "none"]
    with oncommit(execute=True):
        response = client.post(
            reverse("cohorts:index_report_request", args=[cohort.slug]),
            {"language": "en"},
            headers={"accept": "application/json"},
        )
    row = next(r for r in response.json()["reports"] if r["language"] == "en")
    assert row["status"] == "queued"  # the test's transaction commits after the response
    status = client.get(reverse("cohorts:index_report_status", args=[cohort.slug])).json()
    row = next(r for r in status["reports"] if r["language"] == "en")
    assert row["status"] == "ready" and row["download"] and status["pending"] is False
    pdf = client.get(row["download"])
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    html = client.get(reverse("cohorts:index_report_view", args=[cohort.slug, "zh-hant"]))
    assert "人工智能準備度指數" in html.content.decode()
    bad = client.post(
        reverse("cohorts:index_report_request", args=[cohort.slug]),
        {"language": "fr"},
        headers={"accept": "application/json"},
    )
    assert bad.status_code == 400 and "Traditional Chinese" in bad.json()["error"]
    missing = client.get(reverse("cohorts:index_report_download", args=[cohort.slug, "zh-hant"]))
    assert missing.status_code == 404
