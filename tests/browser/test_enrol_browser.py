"""The secretary's messy enrolment file in a real browser (issue 14): a CSV exported from
Excel (byte-order mark, CRLF line ends, Traditional Chinese names, `0700.HK`, a duplicate
line, an empty Excel row, extra columns, a member on record whose details the file
gives differently, an e-mail shared by two companies), then the same companies in a Big5
file. Nothing on record changes except the one detail the admin ticks."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Issuer, User
from assessments.models import Assessment
from assessments.services import framework_load
from assessments.tests.factories import CohortFactory, IssuerFactory, association_admin
from conftest import V1_PATH

from .conftest import screenshot
from .test_wizard_browser import choose, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MESSY = (
    "Stock code,English name,Chinese name,Industry,Board,Lead's e-mail,Contact name,Phone\r\n"
    "0700.HK,Victoria Harbour Tech Limited,維港科技有限公司,資訊科技業,主板,"
    "cfo@vht.example,陳大文,2123 4567\r\n"
    "90000,Harbour Precision Holdings Ltd,,Industrials,Main Board,lead@example.org,,\r\n"
    ",,,,,,,\r\n"
    "8123,Lantau Foods Limited,大嶼食品有限公司,Consumer Staples,創業板,"
    "cosec@firm.example,,\r\n"
    "8124,Tai O Dried Seafood Limited,大澳海味有限公司,必需性消費,GEM,"
    "cosec@firm.example,,\r\n"
    "700,Victoria Harbour Tech Limited (again),,Information Technology,Main Board,"
    "other@vht.example,,\r\n"
)
BIG5 = (
    "股份代號,英文名稱,中文名稱,行業,上市板塊,負責人電郵\r\n"
    "1234,Peak Robotics Limited,山頂機械人有限公司,工業,主板,lead@peak.example\r\n"
)


def upload(page, path):
    page.set_input_files("input[name=file]", str(path))
    page.click("#enrol-upload button[type=submit]")
    page.wait_for_selector("#enrol-preview")


def test_messy_csv_preview_and_import_change_only_what_is_ticked(page, tmp_path):
    version, _ = framework_load(path=V1_PATH)
    cohort = CohortFactory(framework=version, slug="round-2026")
    harbour = IssuerFactory(
        stock_code="90000",
        name_en="Harbour Precision Holdings Limited",
        name_zh="港灣精密控股有限公司",
        industry="financials",
        board="main",
    )
    admin = association_admin()
    login(page, admin.email)
    page.goto(page.base + f"/cohorts/{cohort.slug}/enrol/")
    expect(page.locator("#enrol-templates a")).to_have_count(4)

    path = tmp_path / "members.csv"
    path.write_bytes("\ufeff".encode() + MESSY.encode())
    upload(page, path)
    summary = page.locator("#enrol-summary")
    expect(summary).to_contain_text("The file was read as UTF-8.")
    expect(summary).to_contain_text("5 rows:")
    expect(summary).to_contain_text("3 new contacts will be invited.")
    expect(page.locator("#enrol-empty")).to_contain_text("1 empty row was ignored.")
    expect(page.locator("#enrol-unused")).to_contain_text("Columns not used: Contact name, Phone.")

    line = page.locator("#line-2")  # 0700.HK, labels in Chinese
    expect(line).to_contain_text("00700")
    expect(line).to_contain_text("Information Technology")
    expect(line).to_contain_text("New issuer")
    expect(line).to_contain_text("New contact; will be invited")
    expect(page.locator("#line-7")).to_contain_text("Same stock code as line 2")
    expect(page.locator("#line-6")).to_contain_text("Same new contact as line 5")

    changed = page.locator("#line-3")
    expect(changed).to_contain_text("On record, details differ")
    changes = page.locator("#changes-3")
    expect(changes).to_contain_text("Harbour Precision Holdings Limited")
    expect(changes).to_contain_text("Financials")
    expect(changes).to_contain_text("Industrials")
    expect(changes.locator("input[type=checkbox]")).to_have_count(2)  # English name, industry
    expect(changes.locator("input[type=checkbox]:checked")).to_have_count(0)
    screenshot(page, "enrol-messy-preview")

    # The industry is the one thing the file has right; ticked with the keyboard.
    page.focus("#change-3-industry")
    page.keyboard.press("Space")
    expect(page.locator("#change-3-industry")).to_be_checked()
    choose(page, "#skip")
    page.click("#enrol-import button[type=submit]")
    page.wait_for_url(f"**/cohorts/{cohort.slug}/")
    expect(page.locator(".alert-success").first).to_contain_text("4 issuers enrolled")

    harbour.refresh_from_db()
    assert harbour.name_en == "Harbour Precision Holdings Limited"
    assert harbour.name_zh == "港灣精密控股有限公司"
    assert harbour.industry == "industrials"
    assert Issuer.objects.get(stock_code="00700").name_zh == "維港科技有限公司"
    assert Issuer.objects.get(stock_code="08123").board == "gem"
    assert Assessment.objects.filter(cohort=cohort).count() == 4
    # One person, a contact of both companies; one invitation, one notice.
    cosec = User.objects.get(email="cosec@firm.example")
    assert set(cosec.memberships.values_list("issuer__stock_code", flat=True)) == {
        "08123",
        "08124",
    }
    assert [m.to for m in mail.outbox].count(["cosec@firm.example"]) == 2

    # A Big5 file (Excel's "CSV" on a Traditional Chinese Windows), headers in Chinese.
    page.goto(page.base + f"/cohorts/{cohort.slug}/enrol/")
    big5 = tmp_path / "big5.csv"
    big5.write_bytes(BIG5.encode("big5"))
    upload(page, big5)
    expect(page.locator("#enrol-summary")).to_contain_text("Big5")
    expect(page.locator("#line-2")).to_contain_text("山頂機械人有限公司")
    expect(page.locator("#line-2")).to_contain_text("Industrials")
    expect(page.locator("#enrol-errors")).to_have_count(0)
    page.click("#enrol-import button[type=submit]")
    page.wait_for_url(f"**/cohorts/{cohort.slug}/")
    assert Issuer.objects.get(stock_code="01234").name_zh == "山頂機械人有限公司"


def test_chinese_ui_reads_an_english_file_and_shows_chinese_labels(page, tmp_path):
    version, _ = framework_load(path=V1_PATH)
    cohort = CohortFactory(framework=version, slug="round-zh")
    IssuerFactory(
        stock_code="90000",
        name_en="Harbour Precision Holdings Limited",
        name_zh="港灣精密控股有限公司",
        industry="financials",
        board="main",
    )
    login(page, association_admin().email)
    with page.expect_navigation():
        page.click("#language-form button[value=zh-hant]")
    page.goto(page.base + f"/cohorts/{cohort.slug}/enrol/")
    expect(page.locator("h1")).to_have_text("登記發行人")
    path = tmp_path / "members.csv"
    path.write_bytes(
        b"stock_code,name_en,name_zh,industry,board,email\r\n"
        b"90000,Harbour Precision Holdings Ltd,,Industrials,GEM,lead@example.org\r\n"
        b"8123,Lantau Foods Limited,,Consumer Staples,Main Board,lead@lantau.example\r\n"
    )
    upload(page, path)
    expect(page.locator("#enrol-errors")).to_have_count(0)
    expect(page.locator("#line-3")).to_contain_text("必需性消費")
    expect(page.locator("#line-3")).to_contain_text("新發行人")
    changes = page.locator("#changes-2")
    expect(changes).to_contain_text("金融業")  # recorded
    expect(changes).to_contain_text("工業")  # in the file
    expect(changes).to_contain_text("創業板")
    expect(changes.locator("label").first).to_contain_text("採用檔案中的資料")
    screenshot(page, "enrol-preview-zh")
