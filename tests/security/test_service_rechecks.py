"""Services ask the access policy themselves: called directly, as the wrong person, every
write (and every file hand-out) raises PermissionDenied, whatever the caller checked.

The people are those of the access matrix (world.py): issuer A's contributor and lead, the
lead of issuer B, the reviewers of cohorts A and B, an admin. The objects are issuer A's
assessment `a` (in cohort A, open again after being returned) and cohort A.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from accounts import services as accounts_services
from accounts.services import colleague_invite
from api import services as api_services
from assessments import services
from assessments.services import Proposed
from assessments.tests.factories import authenticator_for
from cohorts import bulk, enrolment, exports
from cohorts import services as cohort_services
from cohorts.index_report import services as index_report_services
from privacy import services as privacy_services
from reports import services as report_services

from .world import World, rolled_back

pytestmark = pytest.mark.django_db

Call = Callable[[World, Any], object]


def save_answer(w: World, user: Any) -> object:
    item = w.framework.items.filter(kind="maturity").first()
    assert item is not None
    return services.answers_save(
        assessment=w.a, proposals={item.code: Proposed(level=3, base_version=99)}, user=user
    )


def create_cohort(w: World, user: Any) -> object:
    return cohort_services.cohort_create(
        user=user,
        name_en="Members 2030",
        name_zh="會員 2030",
        slug="members-2030",
        year=2030,
        framework=w.framework,
        opens_on=date(2030, 1, 1),
        closes_on=date(2030, 12, 31),
        status="planned",
    )


# service → the people it refuses (the others are allowed; the access matrix and each
# app's tests show the allowed paths).
REFUSED: dict[str, tuple[Call, tuple[str, ...]]] = {
    "answers_save": (save_answer, ("lead_b", "reviewer_a", "reviewer_b", "admin")),
    "assessment_submit": (
        lambda w, u: services.assessment_submit(assessment=w.a, user=u),
        ("contributor_a", "lead_b", "reviewer_a", "reviewer_b", "admin"),
    ),
    "issuer_profile_confirm": (
        lambda w, u: services.issuer_profile_confirm(issuer=w.issuer_a, user=u, data={}),
        ("contributor_a", "lead_b", "reviewer_a", "reviewer_b", "admin"),
    ),
    "assessment_start": (
        lambda w, u: services.assessment_start(user=u, framework=w.framework),
        ("reviewer_a", "reviewer_b", "admin"),
    ),
    "assessment_extension_grant": (
        lambda w, u: services.assessment_extension_grant(
            assessment=w.a, until=date(2099, 1, 1), by=u
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "assessment_withdraw": (
        lambda w, u: services.assessment_withdraw(assessment=w.a, by=u, reason="Test"),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "assessment_reinstate": (
        lambda w, u: services.assessment_reinstate(assessment=w.a, by=u),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "review_comment_add": (
        lambda w, u: services.review_comment_add(assessment=w.a, author=u, text="Noted."),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "assessment_review": (
        lambda w, u: services.assessment_review(
            assessment=w.a, reviewer=u, approve=False, note="Redo."
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "report_request": (
        lambda w, u: report_services.report_request(assessment=w.a, language="en", user=u),
        ("lead_b", "reviewer_b"),
    ),
    "colleague_invite": (
        lambda w, u: colleague_invite(
            lead=u, email="someone@example.org", full_name="Someone", base_url="http://x/"
        ),
        ("contributor_a", "reviewer_a", "reviewer_b", "admin"),
    ),
    "issuer_contact_add": (
        lambda w, u: accounts_services.issuer_contact_add(
            issuer=w.issuer_a,
            email="someone@example.org",
            full_name="Someone",
            role="issuer_lead",
            invited_by=u,
            base_url="http://x/",
        ),
        # The lead adds only contributors (colleague_invite); admins any role.
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    # The second factor: only an admin resets someone's (never their own); one's devices
    # are one's own to remove.
    "second_factor_reset": (
        lambda w, u: accounts_services.second_factor_reset(user=w.users["reviewer_a"], by=u),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "second_factor_reset_own": (
        lambda w, u: accounts_services.second_factor_reset(user=u, by=u),
        ("admin",),
    ),
    "second_factor_remove": (
        lambda w, u: accounts_services.second_factor_remove(
            user=u, device=authenticator_for(w.users["reviewer_b"])
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "admin"),
    ),
    "second_factor_added": (
        lambda w, u: accounts_services.second_factor_added(
            user=u, device=authenticator_for(w.users["reviewer_b"])
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "admin"),
    ),
    "invitation_resend": (
        lambda w, u: accounts_services.invitation_resend(
            membership=w.users["lead_a"].memberships.get(), by=u, base_url="http://x/"
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "invitations_resend_pending": (
        lambda w, u: accounts_services.invitations_resend_pending(
            issuer_ids=[w.issuer_a.pk], by=u, base_url="http://x/"
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "issuer_switch": (
        lambda w, u: accounts_services.issuer_switch(user=u, issuer=w.issuer_a),
        ("lead_b", "reviewer_a", "reviewer_b", "admin"),
    ),
    "membership_accept": (
        lambda w, u: accounts_services.membership_accept(
            user=u, membership=w.users["lead_a"].memberships.get()
        ),
        ("contributor_a", "lead_b", "reviewer_a", "reviewer_b", "admin"),
    ),
    "cohort_create": (
        create_cohort,
        ("contributor_a", "lead_a", "reviewer_a", "reviewer_b"),
    ),
    "cohort_update": (
        lambda w, u: cohort_services.cohort_update(cohort=w.cohort_a, user=u, name_en="Renamed"),
        ("contributor_a", "lead_a", "reviewer_a", "reviewer_b"),
    ),
    "import_rows": (
        lambda w, u: enrolment.import_rows(
            cohort=w.cohort_a, rows=[], user=u, base_url="http://x/"
        ),
        ("contributor_a", "lead_a", "reviewer_a", "reviewer_b"),
    ),
    "export_rows": (
        lambda w, u: exports.export_rows(user=u, cohort=w.cohort_a, kind="summary", language="en"),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "cohort_reports_request": (
        lambda w, u: bulk.cohort_reports_request(cohort=w.cohort_a, language="en", user=u),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "personal_data_export": (
        lambda w, u: privacy_services.personal_data_export(
            user=u, person=w.users["lead_a"], fmt="json"
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "person_anonymise": (
        lambda w, u: privacy_services.person_anonymise(
            user=u, person=w.users["contributor_a"], confirm_email=w.users["contributor_a"].email
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_a", "reviewer_b"),
    ),
    "cohort_reports_zip": (
        lambda w, u: bulk.cohort_reports_zip(cohort=w.cohort_a, language="en", user=u),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "index_report_request": (
        lambda w, u: index_report_services.index_report_request(
            cohort=w.cohort_a, language="en", user=u
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
    "index_report_file": (
        lambda w, u: index_report_services.index_report_file(
            cohort=w.cohort_a, language="en", user=u
        ),
        ("contributor_a", "lead_a", "lead_b", "reviewer_b"),
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_service_refuses_the_wrong_person(name: str, world: World):
    call, refused = REFUSED[name]
    for role in refused:
        with rolled_back(), pytest.raises(PermissionDenied):
            call(world, world.users[role])


def test_report_request_no_longer_trusts_its_caller(world: World):
    """It used to let any association staff member through: another cohort's reviewer
    is now refused like anybody who cannot see the assessment, and an inactive lead too."""
    lead = world.users["lead_a"]
    lead.is_active = False
    try:
        with rolled_back(), pytest.raises(PermissionDenied):
            report_services.report_request(assessment=world.a, language="en", user=lead)
    finally:
        lead.is_active = True


def test_api_token_services_refuse_the_wrong_person(world: World):
    """A token is created only by an active person for themselves, and revoked only by
    its owner: another person (an admin included) is refused."""
    token = api_services.token_create(user=world.users["lead_a"], name="mine", days=30).token
    for role in ("contributor_a", "lead_b", "reviewer_a", "admin"):
        with rolled_back(), pytest.raises(PermissionDenied):
            api_services.token_revoke(user=world.users[role], token=token)
    lead = world.users["lead_b"]
    lead.is_active = False
    try:
        with rolled_back(), pytest.raises(PermissionDenied):
            api_services.token_create(user=lead, name="x", days=30)
    finally:
        lead.is_active = True
