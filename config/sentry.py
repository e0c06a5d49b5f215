"""The optional error-reporting hook: Sentry, on only when SENTRY_DSN is set.

An error report leaves the association's server, so it must not carry what member
companies confided: answers, notes, review comments, e-mail addresses, request bodies.
Two layers: the SDK is told not to collect bodies, cookies, query strings, user details,
SQL parameters or stack-frame variables (`data_collection`), and `scrub` (the
`before_send` hook, a pure function tested on its own) removes whatever still gets into
an event: request data, cookies and sensitive headers, any value under a key naming an
answer, note or comment, frame variables, and every e-mail address in any string.
"""

from __future__ import annotations

import re
from typing import Any

FILTERED = "[Filtered]"
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A key containing any of these (case-insensitive) holds what respondents wrote.
SENSITIVE_KEYS = (
    "answer",
    "note",
    "comment",
    "text",
    "message_body",
    "email",
    "e-mail",
    "full_name",
    "password",
    "token",
    "secret",
    "cookie",
    "authorization",
    "session",
    "csrf",
    "choice",
)
# Event keys Sentry itself defines whose content is code or ours, not respondents' words.
_STRUCTURAL = {"message", "formatted", "type", "module", "function", "filename"}


def _key_is_sensitive(key: str) -> bool:
    lowered = key.lower()
    if lowered in _STRUCTURAL:
        return False
    return any(term in lowered for term in SENSITIVE_KEYS)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(FILTERED, value)
    if isinstance(value, dict):
        return {
            k: FILTERED if isinstance(k, str) and _key_is_sensitive(k) else _clean(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """before_send: the event without respondents' words, addresses or request bodies."""
    event = dict(event)
    request = dict(event.get("request") or {})
    for key in ("data", "cookies", "query_string", "env"):
        if key in request:
            request[key] = FILTERED
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            k: v for k, v in headers.items() if k.lower() not in ("cookie", "authorization")
        }
    if request:
        event["request"] = request
    if "user" in event:
        # The user's id is enough to find the account; name and address stay home.
        event["user"] = {"id": (event.get("user") or {}).get("id")}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        for crumb in breadcrumbs["values"]:
            if crumb.get("category") == "query":
                crumb.pop("data", None)  # SQL parameters: answers, names, addresses
    return _clean(event)


def sentry_init(*, dsn: str, environment: str, release: str | None) -> None:
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        before_send=scrub,  # type: ignore[arg-type]  # Event is a TypedDict of the same dict
        traces_sample_rate=0.0,
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "cookies": {"mode": "off"},
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
            "queues": False,
        },
    )
