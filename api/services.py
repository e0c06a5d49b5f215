"""Every write of the API app: personal tokens created, revoked and marked used.

Each re-checks the access policy and raises PermissionDenied; each leaves a row in the
account audit trail (`accounts.services.account_event_record`), never the token itself.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AccountEventKind, User
from accounts.services import account_event_record
from assessments import access

from .models import ApiToken

TOKEN_START = "air_"  # noqa: S105  (the marker every token starts with, not a secret)
PREFIX_HEX = 8
# "API token used" goes into the person's audit trail at most once an hour per token: a
# BI tool paging through a cohort makes hundreds of requests, and the trail must stay
# readable. `last_used_at` itself is kept to the minute.
USE_LOG_EVERY = datetime.timedelta(hours=1)
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def split_token(raw: str) -> str | None:
    """The lookup prefix of a well-formed token, else None (nothing is looked up)."""
    if not raw.startswith(TOKEN_START):
        return None
    prefix, sep, secret = raw[len(TOKEN_START) :].partition("_")
    if not sep or len(prefix) != PREFIX_HEX or not secret or len(raw) > 200:
        return None
    if any(c not in "0123456789abcdef" for c in prefix):
        return None
    return prefix


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


def token_create(*, user: User, name: str, days: int, request: Any = None) -> NewToken:
    """A new token of `user`'s, valid for `days` (1 to API_TOKEN_MAX_DAYS)."""
    if not access.can_use_api(user=user):
        raise PermissionDenied
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValueError(f"days must be 1 to {settings.API_TOKEN_MAX_DAYS}")
    now = timezone.now()
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(PREFIX_HEX // 2)
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            prefix=prefix,
            digest=token_digest(raw),
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        account_event_record(
            user=user,
            kind=AccountEventKind.API_TOKEN_CREATED,
            detail={"token": prefix, "name": token.name, "expires": token.expires_at.isoformat()},
            request=request,
        )
    return NewToken(token=token, raw=raw)


def token_revoke(*, user: User, token: ApiToken, request: Any = None) -> bool:
    """Revoke one's own token; False when it was already revoked (nothing recorded)."""
    if not access.can_use_api(user=user) or token.user_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if changed:
            account_event_record(
                user=user,
                kind=AccountEventKind.API_TOKEN_REVOKED,
                detail={"token": token.prefix, "name": token.name},
                request=request,
            )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def token_used(*, token: ApiToken, request: Any = None) -> None:
    """Note a request made with `token`: `last_used_at` at most once a minute, an audit row
    at most once an hour. Conditional UPDATEs, so concurrent requests record one row."""
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    due = Q(use_logged_at=None) | Q(use_logged_at__lt=now - USE_LOG_EVERY)
    if (token.use_logged_at is None or token.use_logged_at < now - USE_LOG_EVERY) and (
        ApiToken.objects.filter(due, pk=token.pk).update(use_logged_at=now)
    ):
        token.use_logged_at = now
        account_event_record(
            user=token.user,
            kind=AccountEventKind.API_TOKEN_USED,
            detail={"token": token.prefix, "name": token.name},
            request=request,
        )
