"""History comparisons show only assessments the reader may see (issue: a reviewer of one
cohort saw another cohort's scores through "Change since your previous assessment")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Industry
from assessments.tests.factories import CohortFactory, IssuerFactory, client_for, reviewer
from reports.models import Report, ReportStatus

from .conftest import submit_synthetic
from .poppler import pdftotext

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cohorts(framework):
    """An issuer assessed in cohort Y, then in cohort X; a reviewer of X only."""
    cohort_y = CohortFactory(framework=framework, year=2025)
    cohort_x = CohortFactory(framework=framework, year=2026)
    issuer = IssuerFactory(industry=Industry.IT)
    earlier = submit_synthetic(issuer, framework, seed=1, cohort=cohort_y)
    later = submit_synthetic(issuer, framework, seed=2, cohort=cohort_x)
    rev = reviewer()
    cohort_x.reviewers.add(rev)
    lead = later.assessment.submitted_by
    return earlier, later, rev, lead


def _results(user, snapshot) -> str:
    return (
        client_for(user)
        .get(reverse("reports:results", args=[snapshot.assessment_id]))
        .content.decode()
    )


def _report_html(user, snapshot) -> str:
    url = reverse("reports:view", args=[snapshot.assessment_id, "en"])
    return client_for(user).get(url).content.decode()


def test_the_reviewer_of_one_cohort_never_sees_another_cohorts_scores(two_cohorts):
    earlier, later, rev, lead = two_cohorts
    # The reviewer cannot open the earlier assessment at all ...
    url = reverse("reports:results", args=[earlier.assessment_id])
    assert client_for(rev).get(url).status_code == 404
    # ... nor see it through the comparison on the results page or in the HTML report.
    assert 'id="changes"' not in _results(rev, later)
    assert "Change since your previous assessment" in _report_html(rev, later)
    assert ">Before<" not in _report_html(rev, later)
    # The issuer's own lead does see the change since its earlier assessment.
    assert 'id="changes"' in _results(lead, later)
    assert ">Before<" in _report_html(lead, later)


def test_the_pdf_a_reviewer_downloads_compares_with_nothing_they_cannot_see(
    two_cohorts, eager, oncommit, tmp_path
):
    earlier, later, rev, lead = two_cohorts
    request = reverse("reports:request", args=[later.assessment_id])
    download = reverse("reports:download", args=[later.assessment_id, "en"])
    texts = {}
    for who in (lead, rev):
        client = client_for(who)
        with oncommit(execute=True):
            client.post(request, {"language": "en"})
        response = client.get(download)
        assert response.status_code == 200
        texts[who.pk] = pdftotext(b"".join(response.streaming_content), tmp_path)
    # Two files: the lead's compares with the earlier assessment, the reviewer's with none.
    reports = Report.objects.filter(snapshot=later, language="en", status=ReportStatus.READY)
    assert {r.compared_with_id for r in reports} == {earlier.pk, None}
    assert "Before" in texts[lead.pk]
    assert "Before" not in texts[rev.pk]
    assert "no earlier submitted assessment" in texts[rev.pk]
