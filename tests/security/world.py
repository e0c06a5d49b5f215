"""A small world of two issuers, two cohorts and every role (see conftest.py for how it
is built once per module and rolled back)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Issuer, User
from assessments import selectors, services
from assessments.models import Assessment, FrameworkVersion
from assessments.services import FRAMEWORK_DIR, Proposed, framework_load
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    reviewer,
)
from cohorts.index_report import services as index_report_services
from cohorts.models import Cohort
from reports import services as report_services
from reports.models import Report

ROLES = ("anon", "contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b", "admin")


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever happens inside is undone, so requests in one test cannot see each other."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def fresh(client: Client) -> Client:
    """A new client sharing the session cookie: logging out or message cookies stay local."""
    copy = Client()
    copy.cookies = SimpleCookie()
    copy.cookies.load(client.cookies.output(header="", sep=";"))
    return copy


def answer_everything(
    assessment: Assessment, user: User, notes: list[str] | None = None, level_shift: int = 0
) -> None:
    """Every item answered through the service (figures "don't know"), notes cycled."""
    fw = selectors.framework_of(assessment.framework)
    current = selectors.answers_of(assessment)
    proposals = {}
    for n, item in enumerate(fw.iter_items()):
        note = notes[n % len(notes)] if notes else ""
        base = current[item.code].version
        if item.kind == "maturity":
            proposals[item.code] = Proposed(
                level=(n + level_shift) % 5 + 1, note=note, base_version=base
            )
        elif item.kind == "choice":
            proposals[item.code] = Proposed(
                choice=item.options[0].code, note=note, base_version=base
            )
        else:
            proposals[item.code] = Proposed(dont_know=True, note=note, base_version=base)
    services.answers_save(assessment=assessment, proposals=proposals, user=user)


@dataclass
class World:
    framework: FrameworkVersion
    issuer_a: Issuer
    issuer_b: Issuer
    cohort_a: Cohort
    cohort_b: Cohort
    users: dict[str, User]
    clients: dict[str, Client]
    a: Assessment  # issuer A, cohort A: submitted, returned by the reviewer (editable, scored)
    b: Assessment  # issuer B, cohort B: submitted
    report: Report  # a ready English PDF of `a`
    media: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        return fresh(self.clients[role])

    def refresh(self) -> None:
        for obj in (self.a, self.b, self.issuer_a, self.issuer_b, self.report):
            obj.refresh_from_db()


def build_world(media: Path) -> World:
    framework, _ = framework_load(path=FRAMEWORK_DIR / "v1.yaml")
    cohort_a = cast(Cohort, CohortFactory(framework=framework))
    cohort_b = cast(Cohort, CohortFactory(framework=framework))
    issuer_a = cast(Issuer, IssuerFactory(profile_confirmed_at=timezone.now()))
    issuer_b = cast(Issuer, IssuerFactory(profile_confirmed_at=timezone.now()))
    users = {
        "contributor_a": contributor(issuer_a),
        "lead_a": lead(issuer_a),
        "lead_b": lead(issuer_b),
        "reviewer_a": reviewer(),
        "reviewer_b": reviewer(),
        "admin": association_admin(),
    }
    cohort_a.reviewers.add(users["reviewer_a"])
    cohort_b.reviewers.add(users["reviewer_b"])

    a = services.assessment_create(
        issuer=issuer_a, framework=framework, user=users["lead_a"], cohort=cohort_a
    )
    answer_everything(a, users["lead_a"], notes=["Board minutes, March"])
    services.assessment_submit(assessment=a, user=users["lead_a"])
    services.review_comment_add(
        assessment=a, author=users["reviewer_a"], text="Which minutes?", item_code=""
    )
    services.assessment_review(
        assessment=a, reviewer=users["reviewer_a"], approve=False, note="Add the evidence."
    )
    b = services.assessment_create(
        issuer=issuer_b, framework=framework, user=users["lead_b"], cohort=cohort_b
    )
    answer_everything(b, users["lead_b"], level_shift=2)
    services.assessment_submit(assessment=b, user=users["lead_b"])

    report = report_services.report_request(assessment=a, language="en", user=users["lead_a"])
    report_services.report_render(report_id=report.pk)
    report.refresh_from_db()
    # A ready English index report of cohort A (its one company: "not enough companies").
    index = index_report_services.index_report_request(
        cohort=cohort_a, language="en", user=users["admin"]
    )
    index_report_services.index_report_render(report_id=index.pk)
    for obj in (a, b):
        obj.refresh_from_db()

    clients = {"anon": Client(), **{role: client_for(user) for role, user in users.items()}}
    return World(
        framework=framework,
        issuer_a=issuer_a,
        issuer_b=issuer_b,
        cohort_a=cohort_a,
        cohort_b=cohort_b,
        users=users,
        clients=clients,
        a=a,
        b=b,
        report=report,
        media=media,
    )
