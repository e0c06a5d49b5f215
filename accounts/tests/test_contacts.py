from __future__ import annotations

import pytest

from accounts.models import Role, User
from accounts.selectors import InvitationStatus, issuer_contacts
from assessments.tests.factories import IssuerFactory


@pytest.mark.django_db
def test_issuer_contacts_lists_each_issuers_people_leads_first_with_their_status(
    django_assert_num_queries,
):
    a, b, c = IssuerFactory(), IssuerFactory(), IssuerFactory()
    User.objects.create_user(
        "z-contrib@a.example", "pw-123456789", role=Role.ISSUER_CONTRIBUTOR, issuer=a
    )
    User.objects.create_user("lead@a.example", None, role=Role.ISSUER_LEAD, issuer=a)
    gone = User.objects.create_user(
        "old@b.example", "pw-123456789", role=Role.ISSUER_LEAD, issuer=b
    )
    gone.is_active = False
    gone.save()
    with django_assert_num_queries(1):
        contacts = issuer_contacts(issuer_ids=[a.pk, b.pk, c.pk])
    assert [x.email for x in contacts[a.pk]] == ["lead@a.example", "z-contrib@a.example"]
    assert [x.status for x in contacts[a.pk]] == [
        InvitationStatus.INVITED,
        InvitationStatus.ACCEPTED,
    ]
    assert contacts[a.pk][0].is_lead and contacts[a.pk][0].status_label == "Invited"
    assert [x.status for x in contacts[b.pk]] == [InvitationStatus.INACTIVE]
    assert c.pk not in contacts
    assert issuer_contacts(issuer_ids=[]) == {}
