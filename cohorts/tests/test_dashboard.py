from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Industry
from assessments import services
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from reports.tests.conftest import submit_synthetic

pytestmark = pytest.mark.django_db


def enrol(cohort, framework, n, start=0):
    for i in range(start, start + n):
        issuer = IssuerFactory(industry=Industry.INDUSTRIALS if i % 2 else Industry.FINANCIALS)
        snapshot = submit_synthetic(issuer, framework, seed=i)
        assessment = snapshot.assessment
        assessment.cohort = cohort
        assessment.save(update_fields=["cohort"])
    the_lead = lead()
    services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead, cohort=cohort
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_dashboard_runs_the_same_queries_at_two_sizes(framework):
    cohort = CohortFactory(framework=framework)
    admin = client_for(association_admin())
    url = f"/cohorts/{cohort.slug}/"
    enrol(cohort, framework, 3)
    admin.get(url)
    small, response = count_queries(admin, url)
    html = response.content.decode()
    assert 'data-key="enrolled">4<' in html and 'data-key="submitted">3<' in html
    enrol(cohort, framework, 9, start=3)
    big, response = count_queries(admin, url)
    html = response.content.decode()
    assert 'data-key="enrolled">14<' in html and 'data-key="submitted">12<' in html
    assert small == big, (small, big)
    assert 'id="value-chain"' in html and "Main Board" in html
    assert big <= 15
    filtered = admin.get(url, {"industry": "financials", "sort": "-score", "status": "submitted"})
    assert filtered.status_code == 200
    assert admin.get(url, {"page": "abc", "sort": "bogus", "status": "x"}).status_code == 200


def test_dashboard_scope(framework):
    cohort_a, cohort_b = CohortFactory(framework=framework), CohortFactory(framework=framework)
    rev = reviewer()
    cohort_a.reviewers.add(rev)
    client = client_for(rev)
    assert client.get(f"/cohorts/{cohort_a.slug}/").status_code == 200
    assert client.get(f"/cohorts/{cohort_b.slug}/").status_code == 404
    listing = client.get("/cohorts/").content.decode()
    assert cohort_a.display_name in listing and cohort_b.display_name not in listing
    issuer_client = client_for(lead())
    assert issuer_client.get(f"/cohorts/{cohort_a.slug}/").status_code == 404
    assert "No cohorts" in issuer_client.get("/cohorts/").content.decode()
    assert Client().get(f"/cohorts/{cohort_a.slug}/").status_code == 302
