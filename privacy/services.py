"""Personal-data requests: exporting what is held about a person.

An association-admin action (`access.can_export_personal_data`), re-checked here, that
leaves a row in the person's account audit trail (`DATA_EXPORTED`) naming the admin as the
actor and no personal detail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from accounts.models import AccountEventKind, User
from accounts.services import account_event_record
from assessments import access

from .selectors import PersonalData, personal_data

EXPORT_FORMATS = ("html", "json")


def personal_data_export(
    *, user: User, person: User, fmt: str, request: Any = None
) -> PersonalData:
    """Everything held about `person`, for an admin answering a data access request;
    recorded in the person's audit trail (the format only: no personal detail)."""
    if not access.can_export_personal_data(user=user) or fmt not in EXPORT_FORMATS:
        raise PermissionDenied
    data = personal_data(person=person)
    account_event_record(
        user=person,
        kind=AccountEventKind.DATA_EXPORTED,
        actor=user,
        detail={"format": fmt.upper()},
        request=request,
    )
    return data
