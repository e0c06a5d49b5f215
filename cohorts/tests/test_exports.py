from __future__ import annotations

import csv
import io
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.test import Client, override_settings

from assessments import services
from assessments.models import Answer
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from cohorts.exports import neutralise
from cohorts.models import Cohort

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


def test_csv_and_xlsx_exports_neutralise_formulas(cohort, tmp_path):
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
    assert "'+SUM(A1:A9)" in values and "'=cmd|' /C calc'!A0" in values
    assert not any(v.startswith(("=", "+", "@")) for v in values)


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
    assert "港交所股份代號" in zh.read_text(encoding="utf-8-sig").splitlines()[0]


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
