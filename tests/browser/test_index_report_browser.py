"""An admin generates the cohort's Chinese index report from the cohort page and downloads it."""

from __future__ import annotations

import contextlib

import pytest

from accounts.models import Issuer
from assessments.services import framework_load
from assessments.tests.factories import IssuerFactory, association_admin
from cohorts.tests.test_index_report import make_cohort
from conftest import V1_PATH
from reports.tests.conftest import submit_synthetic
from reports.tests.poppler import pdftotext

from .conftest import ARTIFACTS, screenshot
from .test_wizard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_generates_and_downloads_the_zh_hant_index_report(page, settings, tmp_path, eager):
    settings.MEDIA_ROOT = tmp_path / "media"
    version, _ = framework_load(path=V1_PATH)
    cohort = make_cohort(version, slug="members-2026")
    for n in range(6):
        submit_synthetic(IssuerFactory(), version, seed=40 + n, cohort=cohort)
    admin = association_admin()
    login(page, admin.email)
    page.click("button[name=language][value=zh-hant]")
    page.wait_for_load_state()
    page.goto(page.base + f"/cohorts/{cohort.slug}/")
    button = page.locator("form[data-report-request]:has(input[value=zh-hant]) button")
    assert "生成指數報告" in button.inner_text()
    button.click()
    link = page.locator("#report-status [data-language=zh-hant] a", has_text="下載PDF")
    link.wait_for(timeout=90_000)
    screenshot(page, "index-report-ready")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("members-2026-ai-readiness-index-")
    assert download.suggested_filename.endswith("-zh-hant.pdf")
    path = tmp_path / "index.pdf"
    download.save_as(path)
    text = pdftotext(path, tmp_path)
    assert "會員人工智能準備度指數" in text and "總分中位數" in text
    flat = "".join(text.split())
    for name_en, name_zh, code in Issuer.objects.values_list("name_en", "name_zh", "stock_code"):
        for s in (name_en, name_zh, code):
            assert not s or "".join(s.split()) not in flat, s
    with contextlib.suppress(OSError):
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "index-report-zh-hant.pdf").write_bytes(path.read_bytes())
