"""The result's sections (reports/content/): their rules, and that the results page and the
report read the same builders."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.urls import reverse

from assessments.tests.factories import IssuerFactory, client_for
from reports import content
from reports.content import Peers, ResultContent
from reports.content import result as result_module

from .conftest import submit_synthetic

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(framework):
    return submit_synthetic(IssuerFactory(), framework, seed=11, note="our evidence")


def test_sections_keep_their_rules(snapshot):
    c = ResultContent(snapshot=snapshot, language="en", compared_with=None)
    for shift in c.shifts:
        assert len(shift.strengths) <= 2 and all(d["level"] >= 3 for d in shift.strengths)
        assert [d["score"] for d in shift.strengths] == sorted(
            (d["score"] for d in shift.strengths), reverse=True
        )
        assert not any(d in shift.strengths for d in shift.gaps)
        assert all(d["score"] is None for d in shift.insufficient)
    assert len(c.priorities) <= 8
    assert [(-p.priority, p.name) for p in c.priorities] == sorted(
        (-p.priority, p.name) for p in c.priorities
    )
    scored = [s for s in c.scores.result["shifts"] if s["score"] is not None]
    assert c.scores.strongest["score"] == max(s["score"] for s in scored)
    assert c.scores.weakest["score"] == min(s["score"] for s in scored)
    assert c.changes is None  # the issuer's first submission
    assert c.evidence and all(n.note == "our evidence" for b in c.evidence for n in b.items)
    assert c.method.min_group >= 5


def test_sections_are_built_once_and_only_when_read(snapshot, django_assert_num_queries):
    c = ResultContent(snapshot=snapshot, language="en", compared_with=None)
    with django_assert_num_queries(1):  # the answers, for the evidence notes
        assert c.evidence is c.evidence


def test_results_page_and_report_show_the_same_section(snapshot, monkeypatch):
    """A change to one builder reaches both: here, every peer group's name."""
    real = content.peers_section

    def marked(*, snapshot):
        peers = real(snapshot=snapshot)
        groups = [replace(g, name=f"{g.name} [marked]") for g in peers.groups]
        primary = next((g for g in groups if peers.primary and g.key == peers.primary.key), None)
        return Peers(groups=groups, primary=primary)

    monkeypatch.setattr(result_module, "peers_section", marked)
    assessment = snapshot.assessment
    client = client_for(assessment.submitted_by)
    page = client.get(reverse("reports:results", args=[assessment.pk])).content.decode()
    report = client.get(reverse("reports:view", args=[assessment.pk, "en"])).content.decode()
    assert "All issuers [marked]" in page and "All issuers [marked]" in report
