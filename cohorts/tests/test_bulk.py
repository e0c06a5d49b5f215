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
    assert len(names) == 3 and all(n.endswith("-en.pdf") for n in names)
    assert all(archive.read(n).startswith(b"%PDF") for n in names)


def test_bulk_scope_and_bad_language(cohort):
    url = f"/cohorts/{cohort.slug}/reports/"
    assert client_for(reviewer()).get(url).status_code == 404
    assert client_for(lead()).get(f"/cohorts/{cohort.slug}/reports.zip").status_code == 404
    assert client_for(association_admin()).get(url + "?lang=fr").status_code == 404
