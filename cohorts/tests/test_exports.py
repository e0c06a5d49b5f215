from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Board, Industry, User
from accounts.selectors import INVITATION_STATUS_LABELS, InvitationStatus
from assessments import services
from assessments.models import Answer, Assessment, AssessmentStatus, ScoreSnapshot
from assessments.selectors import framework_of
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
)
from cohorts import exports
from cohorts.exports import KINDS, neutralise, rows_for
from cohorts.models import Cohort
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://evil")', "+SUM(A1:A9)", "-2+3", "@cmd", "\tTAB", "\rCR", "\nLF"]


@pytest.fixture
def cohort(framework):
    cohort = CohortFactory(slug="test-2026", framework=framework)
    the_lead = lead(issuer=IssuerFactory(name_en="=cmd|' /C calc'!A0", name_zh="+中文"))
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )
    item = Answer.objects.filter(assessment=assessment).select_related("item").first().item
    services.answers_save(
        assessment=assessment,
        proposals={item.code: services.Proposed(level=3, note=PAYLOADS[1])},
        user=the_lead,
    )
    return cohort


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise(payload):
    assert neutralise(payload) == "'" + payload
    assert neutralise("plain") == "plain" and neutralise(-5) == -5


def test_csv_neutralises_formulas_and_xlsx_keeps_text_as_written(cohort, tmp_path):
    out = tmp_path / "s.csv"
    call_command(
        "export_cohort",
        "--cohort",
        cohort.slug,
        "--format",
        "csv",
        "--out",
        str(out),
        stdout=StringIO(),
    )
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[1][2] == "'+中文"
    answers = tmp_path / "a.xlsx"
    call_command(
        "export_cohort",
        "--cohort",
        cohort.slug,
        "--format",
        "xlsx",
        "--kind",
        "answers",
        "--out",
        str(answers),
        stdout=StringIO(),
    )
    sheet = openpyxl.load_workbook(answers, read_only=True).active
    values = [
        cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)
    ]
    # Text cells of an XLSX are never formulas: no apostrophe to show.
    assert "+SUM(A1:A9)" in values and "=cmd|' /C calc'!A0" in values
    assert not any(v.startswith("'") for v in values)
    with zipfile.ZipFile(answers) as package:
        assert "<f>" not in package.read("xl/worksheets/sheet1.xml").decode()


@override_settings(DEBUG=True)
def test_export_cohort_has_a_row_per_demo_issuer(tmp_path):
    call_command("seed_demo", "--peers", "6", stdout=StringIO())
    demo = Cohort.objects.get(slug="demo-2026")
    issuers = demo.assessments.count()
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"demo.{fmt}"
        call_command(
            "export_cohort",
            "--cohort",
            "demo-2026",
            "--format",
            fmt,
            "--out",
            str(out),
            stdout=StringIO(),
        )
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        else:
            rows = list(
                openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True)
            )
        assert len(rows) == issuers + 1
        assert {r[0] for r in rows[1:]} >= {"90000", "90001"}
    zh = tmp_path / "zh.csv"
    call_command(
        "export_cohort",
        "--cohort",
        "demo-2026",
        "--format",
        "csv",
        "--lang",
        "zh-hant",
        "--out",
        str(zh),
        stdout=StringIO(),
    )
    assert "香港交易所股份代號" in zh.read_text(encoding="utf-8-sig").splitlines()[0]


def test_export_command_errors(tmp_path):
    with pytest.raises(CommandError, match="No cohort"):
        call_command(
            "export_cohort",
            "--cohort",
            "nope",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x"),
            stdout=StringIO(),
        )
    with pytest.raises(CommandError):
        call_command(
            "export_cohort",
            "--cohort",
            "nope",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "x"),
            stdout=StringIO(),
        )


def test_export_views_are_scoped_to_admins_and_the_cohorts_reviewers(cohort, framework):
    url = f"/cohorts/{cohort.slug}/export.csv"
    response = client_for(association_admin()).get(url)
    assert response.status_code == 200 and isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith("attachment;")
    assert "'=cmd" in b"".join(response.streaming_content).decode("utf-8-sig")
    assigned = reviewer()
    cohort.reviewers.add(assigned)
    assert client_for(assigned).get(url).status_code == 200
    xlsx = client_for(assigned).get(f"/cohorts/{cohort.slug}/export.xlsx?kind=answers&lang=zh-hant")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    other = CohortFactory(slug="cohort-b", framework=framework)
    assert client_for(assigned).get(f"/cohorts/{other.slug}/export.csv").status_code == 404
    assert client_for(reviewer()).get(url).status_code == 404
    assert client_for(lead()).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    admin = client_for(association_admin())
    for bad in ("export.pdf", "export.csv?kind=everything", "export.csv?lang=fr"):
        assert admin.get(f"/cohorts/{cohort.slug}/{bad}").status_code == 404


# --- what the association follows up from ---------------------------------------------

SUMMARY_EN = [
    "HKEX stock code",
    "name (English)",
    "name (Chinese)",
    "board",
    "industry",
    "Contact",
    "Contact's e-mail",
    "Invitation status",
    "Last login",
    "Status",
    "Answered",
    "Questions",
    "Deadline",
    "Extended until",
    "Submitted",
    "Overall score",
    "Provisional",
]
ANSWERS_EN = [
    "HKEX stock code",
    "Company",
    "Status",
    "Question code",
    "Question",
    "Shift",
    "Dimension",
    "Answer",
    "Level",
    "Choice",
    "Figure",
    "Don't know",
    "Not applicable",
    "Evidence note",
    "Confidence",
    "Last changed",
]
SUBMITTED_AT = datetime(2026, 5, 4, 15, 30, tzinfo=UTC)  # 23:30 in Hong Kong


@pytest.fixture
def round_(framework):
    """A cohort with one issuer that submitted (provisional result, lead who logged in)
    and one whose lead was invited and never came (an extension granted)."""
    # Answered while open; its closing date is set to the past below (the calendar
    # refuses answers after it).
    cohort = CohortFactory(slug="round-2026", framework=framework, opens_on=date(2026, 1, 1))
    harbour = IssuerFactory(
        stock_code="00700",
        name_en="=Harbour Precision Holdings Ltd",
        name_zh="港灣精密控股有限公司",
        board=Board.GEM,
        industry=Industry.INDUSTRIALS,
    )
    done = lead(issuer=harbour, full_name="Ada Chan", email="ada@harbour.example")
    User.objects.filter(pk=done.pk).update(last_login=SUBMITTED_AT)
    snapshot = submit_synthetic(harbour, framework, seed=1, cohort=cohort)
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(provisional=True)
    Assessment.objects.filter(pk=snapshot.assessment_id).update(submitted_at=SUBMITTED_AT)
    quiet = IssuerFactory(stock_code="00005", name_en="Quiet Ltd", name_zh="")
    invited = lead(issuer=quiet, full_name="Bo Lee", email="bo@quiet.example")
    invited.set_unusable_password()
    invited.save()
    colleague = contributor(quiet, full_name="Cy Wong")  # logged in, the lead never did
    User.objects.filter(pk=colleague.pk).update(last_login=SUBMITTED_AT)
    assessment = services.assessment_create(
        issuer=quiet, framework=framework, user=invited, cohort=cohort
    )
    assessment.extended_until = date(2026, 7, 15)
    assessment.save(update_fields=["extended_until"])
    cohort.closes_on = date(2026, 6, 30)
    cohort.save(update_fields=["closes_on"])
    return cohort


def _by_header(rows):
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


def test_summary_drives_follow_up_in_english(round_):
    rows = list(rows_for("summary", round_, "en"))
    assert rows[0][:5] == SUMMARY_EN[:5]
    assert all(column in rows[0] for column in SUMMARY_EN)
    quiet, harbour = _by_header(rows)
    assert harbour["HKEX stock code"] == "00700"
    assert harbour["board"] == "GEM" and harbour["industry"] == "Industrials"
    assert harbour["Contact"] == "Ada Chan" and harbour["Contact's e-mail"] == "ada@harbour.example"
    assert harbour["Invitation status"] == "Accepted" and harbour["Last login"] == SUBMITTED_AT
    assert harbour["Status"] == "Submitted" and harbour["Provisional"] == "Yes"
    answers = Answer.objects.filter(assessment__issuer__stock_code="00700")
    assert harbour["Answered"] == sum(a.is_answered for a in answers) > 0
    assert harbour["Questions"] == len(answers) > harbour["Answered"]  # optional ones left
    assert harbour["Submitted"] == SUBMITTED_AT and harbour["Overall score"] is not None
    assert harbour["Deadline"] == date(2026, 6, 30) and harbour["Extended until"] is None
    assert quiet["Contact"] == "Bo Lee" and quiet["Invitation status"] == "Invited"
    assert quiet["Last login"] == SUBMITTED_AT and quiet["Status"] == "In progress"
    assert quiet["Answered"] == 0 and quiet["Questions"] == harbour["Questions"]
    assert quiet["Deadline"] == quiet["Extended until"] == date(2026, 7, 15)
    assert quiet["Provisional"] == "" and quiet["Overall score"] is None
    assert "draft" not in quiet.values() and "main" not in harbour.values()


def test_summary_in_chinese(round_):
    rows = list(rows_for("summary", round_, "zh-hant"))
    with translation.override("zh-hant"):
        expected = {
            "status": str(AssessmentStatus.SUBMITTED.label),
            "draft": str(AssessmentStatus.DRAFT.label),
            "industry": str(Industry.INDUSTRIALS.label),
            "accepted": str(INVITATION_STATUS_LABELS[InvitationStatus.ACCEPTED]),
            "yes": translation.gettext("Yes"),
            "header": [translation.gettext(h) for h in SUMMARY_EN],
        }
        status, industry, invitation, provisional = (
            translation.gettext(h)
            for h in ("Status", "industry", "Invitation status", "Provisional")
        )
    assert rows[0][:5] == expected["header"][:5]
    assert all(column in rows[0] for column in expected["header"])
    assert not set(expected["header"]) & set(SUMMARY_EN), "untranslated headers"
    quiet, harbour = _by_header(rows)
    assert harbour[status] == expected["status"] != "Submitted"
    assert quiet[status] == expected["draft"] != "In progress"
    assert harbour[industry] == expected["industry"] != "Industrials"
    assert harbour[invitation] == expected["accepted"] != "Accepted"
    assert harbour[provisional] == expected["yes"] == "是"


def test_answers_use_question_text_and_labels_in_both_languages(round_, framework):
    fw = framework_of(framework)
    items = {item.code: item for item in fw.iter_items()}
    shifts = {s.code: s for s in fw.shifts}
    stored = {a.item.code: a for a in Answer.objects.filter(assessment__issuer__stock_code="00700")}
    for language, yes, no in (("en", "Yes", "No"), ("zh-hant", "是", "否")):
        rows = list(rows_for("answers", round_, language))
        with translation.override(language):
            assert rows[0] == [translation.gettext(h) for h in ANSWERS_EN]
            submitted = str(AssessmentStatus.SUBMITTED.label)
            words = {"Don't know": translation.gettext("Don't know")}
        answers = [dict(zip(ANSWERS_EN, row, strict=True)) for row in rows[1:]]
        harbour = [row for row in answers if row["HKEX stock code"] == "00700"]
        assert {row["Company"] for row in harbour} == {
            "=Harbour Precision Holdings Ltd" if language == "en" else "港灣精密控股有限公司"
        }
        assert {row["Status"] for row in harbour} == {submitted}
        kinds_seen = set()
        for row in harbour:
            item = items[row["Question code"]]
            answer = stored[item.code]
            assert row["Question"] == item.text.get(language) != item.code
            assert row["Shift"] == shifts[item.shift_code].name.get(language)
            assert row["Don't know"] in (yes, no) and row["Not applicable"] in (yes, no)
            assert row["Don't know"] == (yes if answer.dont_know else no)
            if answer.dont_know:
                assert row["Answer"] == words["Don't know"]
            elif answer.choice:  # a choice in words is its label, never its code
                kinds_seen.add("choice")
                assert row["Answer"] == item.option(answer.choice).label.get(language)
            elif answer.level:
                kinds_seen.add("level")
                assert row["Answer"].endswith(item.levels[answer.level - 1].get(language))
        assert kinds_seen == {"choice", "level"}
        quiet = [row for row in answers if row["HKEX stock code"] == "00005"]
        assert quiet and all(row["Company"] == "Quiet Ltd" for row in quiet)  # no Chinese name


def test_dates_are_iso_in_csv_and_date_cells_in_xlsx(round_, tmp_path):
    text = "".join(exports.csv_stream(rows_for("summary", round_, "en")))
    (quiet, harbour) = _by_header(list(csv.reader(io.StringIO(text.lstrip("\ufeff")))))
    assert harbour["Submitted"] == "2026-05-04T23:30:00+08:00"
    assert harbour["Last login"] == "2026-05-04T23:30:00+08:00"
    assert harbour["Deadline"] == "2026-06-30" and quiet["Extended until"] == "2026-07-15"
    assert harbour["name (English)"] == "'=Harbour Precision Holdings Ltd"
    path = tmp_path / "s.xlsx"
    exports.write_xlsx(rows_for("summary", round_, "en"), str(path), sheet="summary")
    book = openpyxl.load_workbook(path, read_only=True)
    sheet = book.active
    assert sheet.max_row == 3 and sheet.max_column == len(next(rows_for("summary", round_, "en")))
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    row = dict(zip(header, next(sheet.iter_rows(min_row=3, max_row=3)), strict=True))
    assert row["HKEX stock code"].value == "00700"
    assert row["name (English)"].value == "=Harbour Precision Holdings Ltd"
    assert row["Submitted"].is_date and row["Submitted"].value == datetime(2026, 5, 4, 23, 30)
    assert row["Deadline"].is_date and row["Deadline"].value == datetime(2026, 6, 30)
    assert row["Answered"].data_type == "n"
    book.close()
    full = openpyxl.load_workbook(path).active
    assert (
        full.freeze_panes == "A2"
        and full.auto_filter.ref == f"A1:{full.cell(1, full.max_column).column_letter}3"
    )


def _queries(kind, cohort):
    with CaptureQueriesContext(connection) as queries:
        rows = list(rows_for(kind, cohort, "en"))
    return len(queries), len(rows)


def test_query_count_does_not_grow_with_the_cohort(framework):
    cohort = CohortFactory(slug="grow-2026", framework=framework)

    def enrol(n):
        for _ in range(n):
            user = lead(issuer=IssuerFactory())
            services.assessment_create(
                issuer=user.issuer, framework=framework, user=user, cohort=cohort
            )

    enrol(5)
    framework_of(framework)  # the parsed framework is cached per process
    small = {kind: _queries(kind, cohort) for kind in KINDS}
    enrol(15)
    large = {kind: _queries(kind, cohort) for kind in KINDS}
    assert small["summary"][1] == 6 and large["summary"][1] == 21
    assert small["summary"][0] == large["summary"][0] <= 6
    assert small["answers"][0] == large["answers"][0]


def test_export_speaks_the_readers_language_unless_asked(round_):
    admin = client_for(association_admin())
    url = f"/cohorts/{round_.slug}/export.csv"
    english = b"".join(admin.get(url).streaming_content).decode("utf-8-sig")
    assert english.startswith("HKEX stock code,")
    admin.cookies["django_language"] = "zh-hant"
    chinese = b"".join(admin.get(url).streaming_content).decode("utf-8-sig")
    assert chinese.startswith("香港交易所股份代號,") and "進行中" in chinese
    asked = b"".join(admin.get(url + "?lang=en").streaming_content).decode("utf-8-sig")
    assert asked.startswith("HKEX stock code,") and "In progress" in asked
