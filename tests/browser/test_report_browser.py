"""A lead generates the Chinese report from the results page and downloads it."""

from __future__ import annotations

import contextlib

import pytest
from django.conf import settings

from assessments.models import ScoreSnapshot
from assessments.services import framework_load
from assessments.tests.factories import IssuerFactory
from conftest import V1_PATH
from reports.tests.conftest import submit_synthetic
from reports.tests.poppler import pdftotext

from .conftest import ARTIFACTS, screenshot
from .test_wizard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_or_eager():
    """A real worker on Redis when a broker is configured (CI); eager otherwise."""
    if not settings.CELERY_BROKER_URL:
        yield
        return
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def test_lead_generates_and_downloads_the_zh_hant_report(page, settings, tmp_path, worker_or_eager):
    settings.MEDIA_ROOT = tmp_path / "media"
    version, _ = framework_load(path=V1_PATH)
    issuer = IssuerFactory(
        name_en="Lion Rock Logistics Holdings Limited", name_zh="獅子山物流控股有限公司"
    )
    snapshot = submit_synthetic(issuer, version, seed=21)
    user = snapshot.assessment.submitted_by
    login(page, user.email)
    page.click("button[name=language][value=zh-hant]")
    page.wait_for_load_state()
    page.goto(page.base + f"/assessments/{snapshot.assessment_id}/results/")
    page.click("form[data-report-request] button[data-language=zh-hant]")
    link = page.locator("#report-status [data-language=zh-hant] a", has_text="下載PDF")
    link.wait_for(timeout=90_000)
    # The button follows the report without a reload: it now regenerates (it kept saying
    # "Generate" until the page was reloaded).
    button = page.locator("form[data-report-request] button[data-language=zh-hant]")
    assert button.inner_text().startswith("重新生成")
    assert (
        page.locator("form[data-report-request][data-language=zh-hant] input[name=force]").count()
        == 1
    )
    screenshot(page, "report-ready")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith("-zh-hant.pdf")
    path = tmp_path / "report.pdf"
    download.save_as(path)
    text = pdftotext(path, tmp_path)
    assert "獅子山物流控股有限公司" in text
    overall = ScoreSnapshot.objects.get(pk=snapshot.pk).overall_score
    assert f"{overall:.0f}" in text
    with contextlib.suppress(OSError):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "report-zh-hant.pdf").write_bytes(path.read_bytes())
