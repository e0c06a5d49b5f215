"""The association's home lists every assessment, a page at a time (it used to stop at
50 with no way to the rest)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services, views
from assessments.tests.factories import IssuerFactory, association_admin, client_for

pytestmark = pytest.mark.django_db


def codes(response):
    assert response.status_code == 200
    return re.findall(r"<td>(\d{5}) ", response.content.decode())


def test_the_admin_home_pages_through_every_assessment(framework, monkeypatch):
    monkeypatch.setattr(views, "HOME_PAGE_SIZE", 4)
    issuers = [IssuerFactory() for _ in range(10)]
    for issuer in issuers:
        services.assessment_create(issuer=issuer, framework=framework, user=None)
    admin = client_for(association_admin())
    url = reverse("home")
    seen = []
    for number in (1, 2, 3):
        seen += codes(admin.get(url, {"page": number}))
    assert sorted(seen) == sorted(i.stock_code for i in issuers)  # none twice, none missing
    html = admin.get(url, {"page": 2}).content.decode()
    assert 'rel="prev" href="?page=1"' in html and 'rel="next" href="?page=3"' in html
    for bad in ("abc", "-1", "0", "99999999999999999999"):
        assert len(codes(admin.get(url, {"page": bad}))) in (4, 2)


def test_the_home_page_runs_the_same_queries_for_a_page_of_5_or_50(framework):
    admin = client_for(association_admin())
    url = reverse("home")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(url).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(5):
        services.assessment_create(issuer=IssuerFactory(), framework=framework, user=None)
    small = queries()
    for _ in range(55):
        services.assessment_create(issuer=IssuerFactory(), framework=framework, user=None)
    assert queries() == small
    assert len(codes(admin.get(url))) == 50
    assert len(codes(admin.get(url, {"page": 2}))) == 10


def test_the_audit_trail_pages_through_answer_changes(framework, monkeypatch):
    from assessments import selectors
    from assessments.services import Proposed
    from assessments.tests.factories import lead

    monkeypatch.setattr(views, "HISTORY_PAGE_SIZE", 3)
    the_lead = lead()
    assessment = services.assessment_create(
        issuer=the_lead.issuer, framework=framework, user=the_lead
    )
    item = next(i for i in selectors.framework_of(framework).iter_items() if i.kind == "maturity")
    for version, level in enumerate((1, 2, 3, 4, 5, 1, 2)):
        services.answers_save(
            assessment=assessment,
            proposals={item.code: Proposed(level=level, base_version=version)},
            user=the_lead,
        )
    admin = client_for(association_admin())
    url = reverse("assessments:history", args=[assessment.pk])
    rows = 0
    for number in (1, 2, 3):
        html = admin.get(url, {"page": number}).content.decode()
        rows += html.count(item.text.get("en").replace("'", "&#x27;"))
    assert rows == 7
    assert admin.get(url, {"page": "x"}).status_code == 200
