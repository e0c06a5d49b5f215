from __future__ import annotations

import io
import zipfile

import pytest

from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from cohorts.bulk import MAX_NAME_BYTES, _unique, zip_entry_name
from reports.models import Report, ReportStatus
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(framework, eager, media):
    cohort = CohortFactory(framework=framework)
    for seed in range(3):
        snapshot = submit_synthetic(IssuerFactory(), framework, seed=seed)
        snapshot.assessment.cohort = cohort
        snapshot.assessment.save(update_fields=["cohort"])
    return cohort


def test_generate_all_progress_and_zip(cohort, oncommit, monkeypatch):
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/reports/"
    assert "0 of 3 reports ready" in admin.get(url).content.decode()
    from reports import services

    original = services.report_html
    calls = {"n": 0}

    def fail_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("layout exploded")
        return original(**kwargs)

    monkeypatch.setattr(services, "report_html", fail_once)
    with oncommit(execute=True):
        assert admin.post(url, {"lang": "en"}).status_code == 302
    html = admin.get(url).content.decode()
    assert "2 of 3 reports ready" in html and "layout exploded" in html
    with oncommit(execute=True):
        admin.post(url, {"lang": "en", "retry": "1"})
    assert "3 of 3 reports ready" in admin.get(url).content.decode()
    assert Report.objects.filter(status=ReportStatus.READY).count() == 3
    response = admin.get(f"/cohorts/{cohort.slug}/reports.zip?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    issuers = sorted(
        Report.objects.select_related("assessment__issuer").values_list(
            "assessment__issuer__stock_code", "assessment__issuer__name_en"
        )
    )
    assert names == [f"{code} {name} (English).pdf" for code, name in issuers]
    assert all(archive.read(n).startswith(b"%PDF") for n in names)


def test_bulk_scope_and_bad_language(cohort):
    url = f"/cohorts/{cohort.slug}/reports/"
    assert client_for(reviewer()).get(url).status_code == 404
    assert client_for(lead()).get(f"/cohorts/{cohort.slug}/reports.zip").status_code == 404
    assert client_for(association_admin()).get(url + "?lang=fr").status_code == 404


def test_zip_entries_in_chinese_keep_their_utf8_names(framework, eager, media, oncommit):
    cohort = CohortFactory(framework=framework)
    harbour = IssuerFactory(
        stock_code="00700", name_en="Harbour Precision Holdings Ltd", name_zh="港灣精密控股有限公司"
    )
    plain = IssuerFactory(stock_code="00005", name_en="Plain: Co/Ltd", name_zh="")
    for seed, issuer in enumerate((harbour, plain)):
        submit_synthetic(issuer, framework, seed=seed, cohort=cohort)
    admin = client_for(association_admin())
    with oncommit(execute=True):
        admin.post(f"/cohorts/{cohort.slug}/reports/", {"lang": "zh-hant"})
    response = admin.get(f"/cohorts/{cohort.slug}/reports.zip?lang=zh-hant")
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == [
        "00005 Plain Co Ltd (繁體中文).pdf",  # no Chinese name: the English one, made safe
        "00700 港灣精密控股有限公司 (繁體中文).pdf",
    ]
    chinese = archive.getinfo("00700 港灣精密控股有限公司 (繁體中文).pdf")
    assert chinese.flag_bits & 0x800  # "language encoding flag": the name is UTF-8
    assert "港灣精密控股有限公司".encode() in data


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Harbour Precision Holdings Ltd", "00700 Harbour Precision Holdings Ltd (English).pdf"),
        ('A/B\\C: "D" <E> | F? G*', "00700 A B C D E F G (English).pdf"),
        ("Tab\tand\nnew line\x00\x7f\x85 Ltd.", "00700 Tab and new line Ltd (English).pdf"),
        ("Ab\u202efdp.exe", "00700 Ab fdp.exe (English).pdf"),  # no bidi override
        ("...", "00700 (English).pdf"),
        ("", "00700 (English).pdf"),
    ],
)
def test_zip_entry_names_are_safe_to_unzip(name, expected):
    assert zip_entry_name(stock_code="00700", name=name, language="en") == expected


def test_zip_entry_names_are_short_and_unique():
    long = zip_entry_name(stock_code="00700", name="港" * 200, language="zh-hant")
    assert long == "00700 " + "港" * (MAX_NAME_BYTES // 3) + " (繁體中文).pdf"
    assert len(long.encode()) < 255
    taken: set[str] = set()
    names = [_unique(n, taken) for n in ("a.pdf", "A.pdf", "a.pdf", "b.pdf")]
    assert names == ["a.pdf", "A (2).pdf", "a (3).pdf", "b.pdf"]


def test_more_failures_than_listed_are_all_counted_and_retried(cohort, oncommit, monkeypatch):
    """A page lists only the first FAILURES_LISTED failures but counts them all, and says so."""
    from cohorts import bulk
    from reports import services

    monkeypatch.setattr(bulk, "FAILURES_LISTED", 2)
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/reports/"

    def always_fail(**kwargs):
        raise ValueError("layout exploded")

    monkeypatch.setattr(services, "report_html", always_fail)
    with oncommit(execute=True):
        admin.post(url, {"lang": "en"})
    html = admin.get(url).content.decode()
    assert "3 failed." in html
    assert "The first 2 of 3 failed reports are listed" in html
    assert html.count("layout exploded") == 2
