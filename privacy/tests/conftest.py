"""A small world for personal-data requests: a company's lead who answered, submitted and
got e-mail, sign-ins and an admin's change; the reviewer who returned it; an admin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import translation

from accounts.models import Issuer, User
from assessments import selectors, services
from assessments.models import Assessment
from assessments.services import FRAMEWORK_DIR, Proposed, framework_load
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    contributor,
    lead,
    login_request,
    reviewer,
)
from core.mail import mail_send
from core.models import EmailKind, EmailStatus, SentEmail

NOTE = "Board minutes of March, page 4"
COMMENT = "Which board minutes exactly?"
RETURN_NOTE = "Please attach the minutes."


@dataclass
class PD:
    issuer: Issuer
    cohort: Any
    assessment: Assessment
    lead: User
    colleague: User
    reviewer: User
    admin: User
    clients: dict[str, Client]


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in Chinese leaves the thread's language active: later tests expect none."""
    yield
    translation.deactivate()


@pytest.fixture
def pd(db, mailoutbox) -> PD:
    framework, _ = framework_load(path=FRAMEWORK_DIR / "v1.yaml")
    cohort: Any = CohortFactory(framework=framework)
    issuer = cast(
        Issuer, IssuerFactory(name_en="Harbour Widgets Limited", name_zh="港灣零件有限公司")
    )
    person = lead(issuer, full_name="Chan Tai Man", email="tai.man.chan@example.org")
    colleague = contributor(issuer, full_name="Lee Siu Ming")
    rev = reviewer(full_name="Wong Ka Yan")
    admin = association_admin(full_name="Admin Ho")
    cohort.reviewers.add(rev)

    a = services.assessment_create(issuer=issuer, framework=framework, user=person, cohort=cohort)
    fw = selectors.framework_of(a.framework)
    current = selectors.answers_of(a)
    proposals = {}
    for item in fw.iter_items():
        base = current[item.code].version
        if item.kind == "maturity":
            proposals[item.code] = Proposed(level=3, note=NOTE, base_version=base)
        elif item.kind == "choice":
            proposals[item.code] = Proposed(choice=item.options[0].code, base_version=base)
    services.answers_save(assessment=a, proposals=proposals, user=person)
    services.assessment_submit(assessment=a, user=person)
    services.review_comment_add(assessment=a, author=rev, text=COMMENT, item_code="")
    services.assessment_review(assessment=a, reviewer=rev, approve=False, note=RETURN_NOTE)
    a.refresh_from_db()

    mail_send(
        to=person.email,
        kind=EmailKind.OTHER,
        template="accounts/email/new_link",
        context={"link": "http://x/", "expires": "tomorrow", "recipient_name": person.full_name},
        language="en",
        user_id=person.pk,
    )
    SentEmail.objects.create(
        recipient=person.email,
        user_id=person.pk,
        kind=EmailKind.REMINDER,
        reason="pending-one",
        on_date="2026-12-01",
        status=EmailStatus.PENDING,
    )
    # One failed sign-in (axes counts it), then real sign-ins (axes logs them).
    assert not Client().login(request=login_request(), username=person.email, password="wrong")
    clients = {
        "lead": client_for(person),
        "colleague": client_for(colleague),
        "reviewer": client_for(rev),
        "admin": client_for(admin),
    }
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Full name"]}}]',
    )
    return PD(issuer, cohort, a, person, colleague, rev, admin, clients)
