"""Every read of the API app's own rows (the data endpoints read through the selectors
of the apps below)."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from assessments.models import FrameworkVersion

from .models import ApiToken
from .services import split_token, token_digest


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """One's own tokens, newest first (revoked and expired ones too: the list says so)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def token_of(*, user: User, pk: int) -> ApiToken:
    """One of one's own tokens; 404 for anybody else's, as if it did not exist."""
    try:
        return tokens_of(user=user).get(pk=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc


def token_authenticated(*, raw: str) -> ApiToken | None:
    """The live token `raw` is, with its active owner; None for anything else (unknown,
    wrong secret, expired, revoked, or its owner deactivated)."""
    prefix = split_token(raw)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(raw)):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now():
        return None
    if not token.user.is_active:
        return None
    return token


def framework_versions() -> QuerySet[FrameworkVersion]:
    """Every loaded framework version, newest first (its content deferred)."""
    return FrameworkVersion.objects.defer("content").order_by("-loaded_at", "-pk")


def framework_version(*, version: str) -> FrameworkVersion:
    """One loaded version by its name, or the newest for "latest"; 404 otherwise."""
    rows = framework_versions()
    row = rows.first() if version == "latest" else rows.filter(version=version).first()
    if row is None:
        raise Http404
    return row
