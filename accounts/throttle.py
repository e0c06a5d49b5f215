"""How django-axes identifies a login attempt: which account, from which address.

Both are keys of the lockout counter (settings.AXES_LOCKOUT_PARAMETERS), so they must be
impossible to vary for free: an attacker who could change either at will would get a
fresh set of attempts each time.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def login_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail address as the account lookup sees it (case-insensitive, trimmed).

    Without this, "Lead@Example.org" and "lead@example.org" would be counted apart while
    both try the same account's password.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    raw = (credentials or {}).get(field)
    if raw is None and request is not None:
        raw = request.POST.get(field)
    value = str(raw or "").strip().lower()
    return value or None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the socket peer, or what our own proxies say it was.

    Each of the TRUSTED_PROXY_COUNT reverse proxies appends the address it received the
    connection from to X-Forwarded-For, so the client is the entry that many places from
    the right. Anything further left was written by the client and is ignored. A request
    that did not pass through every proxy (too few entries) or an entry that is not an
    address falls back to the socket peer.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
