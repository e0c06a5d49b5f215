"""The enrolment preview classifies every row, and the import changes a member on record
only where the admin ticked the change (issue 14, point 1)."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Issuer, User
from assessments.models import Assessment
from assessments.services import assessment_create
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from cohorts import enrolment

pytestmark = pytest.mark.django_db

HEADER = "stock_code,name_en,name_zh,industry,board,email\n"
# The issue's line: the English name abbreviated, the Chinese name left empty.
ISSUE_LINE = "90000,Harbour Precision Holdings Ltd,,Industrials,Main Board,lead@example.org\n"


def upload(client, url, text, encoding="utf-8"):
    return client.post(
        url, {"file": SimpleUploadedFile("issuers.csv", text.encode(encoding), "text/csv")}
    )


def section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(?:tr|table|div)>', html, re.S)
    assert match, element_id
    return match.group(0)


@pytest.fixture
def setup(framework):
    cohort = CohortFactory(framework=framework)
    admin = association_admin()
    return cohort, admin, client_for(admin), f"/cohorts/{cohort.slug}/enrol/"


@pytest.fixture
def harbour():
    return IssuerFactory(
        stock_code="90000",
        name_en="Harbour Precision Holdings Limited",
        name_zh="港灣精密控股有限公司",
        industry="financials",
        board="main",
    )


def test_unticked_changes_keep_the_recorded_names(setup, harbour, oncommit):
    cohort, _, admin, url = setup
    html = upload(admin, url, HEADER + ISSUE_LINE).content.decode()
    line = section(html, "line-2")
    assert 'data-state="differs"' in line and "On record, details differ" in line
    changes = re.search(r'id="changes-2".*?</table>', html, re.S).group(0)
    # Labels, never codes: the recorded industry is "Financials", the file's "Industrials".
    assert "Harbour Precision Holdings Limited" in changes and "Financials" in changes
    assert "financials" not in changes and "industrials" not in changes
    assert 'name="change-2-name_en"' in changes and 'name="change-2-industry"' in changes
    assert "change-2-name_zh" not in changes  # an empty cell never proposes erasing
    with oncommit(execute=True):
        assert admin.post(url, {"action": "import"}).status_code == 302
    harbour.refresh_from_db()
    assert harbour.name_en == "Harbour Precision Holdings Limited"
    assert harbour.name_zh == "港灣精密控股有限公司"
    assert harbour.industry == "financials"
    assert Assessment.objects.filter(cohort=cohort, issuer=harbour).count() == 1
    assert not LogEntry.objects.exists()


def test_only_the_ticked_change_is_made_and_recorded(setup, harbour, oncommit):
    _cohort, admin_user, admin, url = setup
    html = upload(admin, url, HEADER + ISSUE_LINE).content.decode()
    token = re.search(r'name="change-2-industry" value="(\w+)"', html).group(1)
    with oncommit(execute=True):
        response = admin.post(url, {"action": "import", "change-2-industry": token}, follow=True)
    assert "The ticked details of 1 issuer on record were changed." in response.content.decode()
    harbour.refresh_from_db()
    assert harbour.industry == "industrials"
    assert harbour.name_en == "Harbour Precision Holdings Limited"
    assert harbour.name_zh == "港灣精密控股有限公司"
    entry = LogEntry.objects.get()
    assert entry.user == admin_user and entry.object_id == str(harbour.pk)
    assert "“Financials” → “Industrials”" in entry.change_message


def test_a_tick_on_a_value_that_changed_after_the_preview_is_not_applied(setup, harbour, oncommit):
    _, _, admin, url = setup
    html = upload(admin, url, HEADER + ISSUE_LINE).content.decode()
    token = re.search(r'name="change-2-name_en" value="(\w+)"', html).group(1)
    Issuer.objects.filter(pk=harbour.pk).update(name_en="Harbour Precision (Holdings) Limited")
    with oncommit(execute=True):
        response = admin.post(url, {"action": "import", "change-2-name_en": token}, follow=True)
    assert "1 ticked change was not applied" in response.content.decode()
    harbour.refresh_from_db()
    assert harbour.name_en == "Harbour Precision (Holdings) Limited"


def test_a_forged_tick_for_a_field_the_file_does_not_change_does_nothing(setup, harbour, oncommit):
    _, _, admin, url = setup
    same = "90000,Harbour Precision Holdings Limited,,Financials,Main Board,lead@example.org\n"
    html = upload(admin, url, HEADER + same).content.decode()
    assert 'data-state="same"' in section(html, "line-2")
    with oncommit(execute=True):
        admin.post(url, {"action": "import", "change-2-name_zh": "x", "change-2-email": "y"})
    harbour.refresh_from_db()
    assert harbour.name_zh == "港灣精密控股有限公司"


def test_every_row_is_classified_with_labels(setup, harbour, framework):
    cohort, admin_user, admin, url = setup
    enrolled = IssuerFactory(stock_code="00005", name_en="Enrolled Limited", industry="energy")
    assessment_create(issuer=enrolled, framework=framework, user=admin_user, cohort=cohort)
    lead(email="boss@enrolled.example", issuer=enrolled)
    text = (
        HEADER
        + "5,Enrolled Limited,,Energy,Main Board,boss@enrolled.example\n"
        + ISSUE_LINE
        + "8123,Lantau Foods Limited,大嶼食品有限公司,必需性消費,創業板,lead@lantau.example\n"
        + "1,Broken,,Nothing,Main Board,x@y.example\n"
        + ",,,,,\n"
    )
    html = upload(admin, url, text).content.decode()
    first, second, third, fourth = (section(html, f"line-{n}") for n in (2, 3, 4, 5))
    assert 'data-state="same"' in first and "Already enrolled in this cohort" in first
    assert "Existing contact" in first
    assert 'data-state="differs"' in second and "Will be enrolled" in second
    assert 'data-state="new"' in third and "New issuer" in third
    assert "New contact; will be invited" in third
    assert "Consumer Staples" in third and "GEM" in third and "consumer_staples" not in third
    assert 'data-state="error"' in fourth and "Unknown industry" in fourth
    summary = section(html, "enrol-summary")
    assert "The file was read as UTF-8." in summary and "4 rows:" in summary
    assert "1 new issuer," in summary and "1 already enrolled in this cohort" in summary
    assert "1 empty row was ignored." in html


def test_a_shared_email_is_one_contact_for_both_companies_and_the_preview_says_so(
    setup, framework, oncommit
):
    _, _, admin, url = setup
    elsewhere = IssuerFactory(stock_code="00999", name_en="Old Client Limited")
    lead(email="partner@firm.example", issuer=elsewhere)
    text = (
        HEADER
        + "700,A Limited,,Energy,Main Board,cosec@firm.example\n"
        + "701,B Limited,,Energy,Main Board,COSEC@firm.example\n"
        + "702,C Limited,,Energy,Main Board,partner@firm.example\n"
        + "999,Old Client Limited,,Energy,Main Board,partner@firm.example\n"
    )
    html = upload(admin, url, text).content.decode()
    assert "New contact; will be invited" in section(html, "line-2")
    assert "Same new contact as line 2: one account for both companies" in section(html, "line-3")
    third = section(html, "line-4")
    assert "Has an account; becomes a contact here" in third
    assert "(also acts for 00999 Old Client Limited)" in third
    assert "Existing contact" in section(html, "line-5")
    assert "1 new contact will be invited." in section(html, "enrol-summary")
    with oncommit(execute=True):
        admin.post(url, {"action": "import"})
    cosec = User.objects.get(email="cosec@firm.example")
    assert set(cosec.memberships.values_list("issuer__stock_code", flat=True)) == {
        "00700",
        "00701",
    }


def test_the_association_staff_cannot_be_a_contact(setup):
    _, _, admin, url = setup
    reviewer(email="staff@association.example")
    text = HEADER + "700,A Limited,,Energy,Main Board,staff@association.example\n"
    html = upload(admin, url, text).content.decode()
    assert "belongs to the association" in section(html, "line-2")


def test_preview_in_chinese_uses_chinese_labels(setup, harbour):
    _, _, admin, url = setup
    admin.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    html = upload(admin, url, HEADER + ISSUE_LINE).content.decode()
    changes = re.search(r'id="changes-2".*?</table>', html, re.S).group(0)
    assert "金融業" in changes and "工業" in changes


def test_extra_columns_are_reported(setup):
    _, _, admin, url = setup
    text = (
        "stock_code,name_en,name_zh,industry,board,email,contact name,phone\n"
        "700,A Limited,,Energy,Main Board,a@a.example,Ann,123\n"
    )
    html = upload(admin, url, text).content.decode()
    assert "Columns not used: contact name, phone." in section(html, "enrol-unused")


def test_an_old_session_format_asks_for_the_file_again(setup, oncommit):
    cohort, _, admin, url = setup
    session = admin.session
    session[f"enrolment:{cohort.slug}"] = [{"line": 2, "values": {}, "errors": []}]
    session.save()
    response = admin.post(url, {"action": "import"}, follow=True)
    assert "the preview has expired" in response.content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_templates_download_and_read_back(setup, language, oncommit):
    _cohort, _, admin, url = setup
    response = admin.get(f"{url}template-{language}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith("\ufeff".encode())  # Excel then reads UTF-8
    header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    if language == "zh-hant":
        assert header[0] == "股份代號" and "必需性消費" in body.decode("utf-8-sig")
    else:
        assert header[0] == "Stock code"
    parsed = enrolment.parse(body)
    assert [r.ok for r in parsed.rows] == [True]
    response = admin.get(f"{url}template-{language}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet_rows = [[c or "" for c in r] for r in book.active.iter_rows(values_only=True)]
    assert sheet_rows == enrolment.template_rows(language)
    assert sheet_rows[1][0] == "08123"  # text, so the leading zero stays


def test_templates_are_for_those_who_enrol(setup):
    cohort, _, admin, url = setup
    assigned = reviewer()
    cohort.reviewers.add(assigned)
    assert client_for(assigned).get(f"{url}template-en.csv").status_code == 403
    assert admin.get(f"{url}template-fr.csv").status_code == 404
    assert admin.get(f"{url}template-en.pdf").status_code == 404
    assert f"{url}template-zh-hant.xlsx" in admin.get(url).content.decode()


def test_enrol_one_accepts_a_file_style_stock_code(setup, oncommit):
    _cohort, _, admin, url = setup
    with oncommit(execute=True):
        response = admin.post(
            url,
            {
                "action": "one",
                "stock_code": "0700.HK",
                "name_en": "Victoria Harbour Tech Limited",
                "industry": "information_technology",
                "board": "main",
                "email": "cfo@vht.example",
            },
        )
    assert response.status_code == 302
    assert Issuer.objects.get().stock_code == "00700"
    assert [m.to for m in mail.outbox] == [["cfo@vht.example"]]


def test_a_refused_import_shows_each_problem_once(setup):
    _, _, admin, url = setup
    reviewer(email="taken@association.example")
    text = HEADER + "700,A Limited,,Energy,Main Board,taken@association.example\n"
    upload(admin, url, text)
    html = admin.post(url, {"action": "import"}).content.decode()
    assert "Some rows have errors" in html
    assert section(html, "line-2").count("belongs to the association") == 1
