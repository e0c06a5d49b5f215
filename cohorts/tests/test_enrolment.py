from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Issuer, Role, User
from assessments.models import Assessment
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)

pytestmark = pytest.mark.django_db

GOOD = (
    "stock_code,name_en,name_zh,industry,board,email\n"
    "700,Victoria Harbour Tech Limited,維港科技有限公司,"
    "Information Technology,Main Board,cfo@vht.example\n"
    "8123,Lantau Foods Limited,大嶼食品有限公司,consumer_staples,gem,lead@lantau.example\n"
)
BAD_ROW = "12345678,,,Space Mining,Moon Board,not-an-email\n"


def upload(client, url, text, encoding="utf-8"):
    return client.post(
        url, {"file": SimpleUploadedFile("issuers.csv", text.encode(encoding), "text/csv")}
    )


@pytest.fixture
def setup(framework):
    cohort = CohortFactory(framework=framework)
    return cohort, client_for(association_admin()), f"/cohorts/{cohort.slug}/enrol/"


def test_preview_shows_errors_and_nothing_is_imported_until_skipping(setup, oncommit):
    cohort, admin, url = setup
    response = upload(admin, url, GOOD + BAD_ROW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 row has errors" in html and "Stock code must be 1 to 5 digits" in html
    assert (
        "Unknown industry" in html
        and "Unknown board “Moon Board”. Use one of: Main Board, GEM." in html
    )
    assert not Issuer.objects.exists()
    response = admin.post(url, {"action": "import"}, follow=True)
    assert "Some rows have errors" in response.content.decode()
    assert not Issuer.objects.exists()
    with oncommit(execute=True):
        response = admin.post(url, {"action": "import", "skip_invalid": "1"})
    assert response.status_code == 302
    assert sorted(Issuer.objects.values_list("stock_code", flat=True)) == ["00700", "08123"]
    assert Assessment.objects.filter(cohort=cohort).count() == 2
    leads = User.objects.filter(role=Role.ISSUER_LEAD).order_by("email")
    assert [u.email for u in leads] == ["cfo@vht.example", "lead@lantau.example"]
    assert sorted(m.to[0] for m in mail.outbox) == ["cfo@vht.example", "lead@lantau.example"]
    assert "/accounts/reset/" in mail.outbox[0].body
    # Importing the same file again enrols nobody twice.
    upload(admin, url, GOOD)
    with oncommit(execute=True):
        admin.post(url, {"action": "import"})
    assert Assessment.objects.filter(cohort=cohort).count() == 2


def test_big5_files_and_broken_files_get_clear_messages(setup):
    _, admin, url = setup
    response = upload(admin, url, GOOD, encoding="big5hkscs")
    assert "維港科技有限公司" in response.content.decode()
    assert "Missing column" in upload(admin, url, "code,name\n1,x\n").content.decode()
    assert (
        "no rows"
        in upload(admin, url, "stock_code,name_en,name_zh,industry,board,email\n").content.decode()
    )
    response = admin.post(
        url, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x00garbage\x81", "text/csv")}
    )
    assert response.status_code == 200 and "CSV UTF-8" in response.content.decode()
    assert admin.post(url, {"action": "import"}, follow=True).status_code == 200  # preview expired


def test_email_of_the_association_staff_is_refused(setup):
    """Another issuer's contact may act for this one too (a membership each); the
    association's own staff act for none."""
    _, admin, url = setup
    lead(email="cfo@vht.example", issuer=IssuerFactory(stock_code="00999"))
    reviewer(email="lead@lantau.example")
    html = upload(admin, url, GOOD).content.decode()
    assert "1 row has errors" in html and "belongs to the association" in html


def test_only_admins_enrol(setup):
    cohort, _, url = setup
    assigned = reviewer()
    cohort.reviewers.add(assigned)
    assert client_for(assigned).get(url).status_code == 403
    assert client_for(lead()).get(url).status_code == 404


def test_english_labels_work_when_the_admin_reads_chinese(setup):
    _, admin, url = setup
    admin.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    html = upload(admin, url, GOOD).content.decode()
    assert "未知行業" not in html and "有錯誤" not in html
    assert "CSV檔案" in html


def test_an_existing_member_is_never_overwritten_and_the_preview_says_so(setup, oncommit):
    """A messy export (English name changed, Chinese name left empty) must not rewrite a
    member on record: its name, Chinese name, industry and board stay as they were."""
    cohort, admin, url = setup
    member = IssuerFactory(
        stock_code="00700",
        name_en="Victoria Harbour Technology Holdings Limited",
        name_zh="維港科技控股有限公司",
        industry="financials",
        board="main",
    )
    messy = (
        "stock_code,name_en,name_zh,industry,board,email\n"
        "0700,Victoria Harbour Tech Ltd,,Information Technology,Main Board,cfo@vht.example\n"
    )
    html = upload(admin, url, messy).content.decode()
    assert "On record, details differ" in html
    # The empty Chinese name proposes nothing; the two other differences are offered.
    changes = re.search(r'id="changes-2".*?</table>', html, re.S).group(0)
    assert "Name (English)" in changes and "Industry" in changes
    assert "Name (Chinese)" not in changes
    with oncommit(execute=True):
        assert admin.post(url, {"action": "import"}).status_code == 302
    member.refresh_from_db()
    assert member.name_en == "Victoria Harbour Technology Holdings Limited"
    assert member.name_zh == "維港科技控股有限公司"
    assert (member.industry, member.board) == ("financials", "main")
    assert Assessment.objects.filter(cohort=cohort, issuer=member).count() == 1


def test_old_mac_line_ends_and_binary_junk_get_a_preview_not_an_error(setup):
    _, admin, url = setup
    mac = GOOD.replace("\n", "\r")
    response = upload(admin, url, mac)
    assert (
        response.status_code == 200 and "Victoria Harbour Tech Limited" in response.content.decode()
    )
    junk = (
        "stock_code,name_en,name_zh,industry,board,email\n\x0070\x00,X,,IT,Main Board,a@b.example\n"
    )
    response = upload(admin, url, junk)
    assert response.status_code == 200
    assert "Stock code must be 1 to 5 digits" in response.content.decode()
    response = upload(admin, url, 'stock_code,"name_en\n')
    assert response.status_code == 200
