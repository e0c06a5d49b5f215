"""Error pages that must work while a backing service is down."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

# Seconds a browser or proxy is told to wait: about one database restart.
RETRY_AFTER = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database is a 503 ("try again shortly"), anything else a 500.

    Django calls this while handling the exception, so sys.exc_info() is the cause. The
    page is rendered without the request context: context processors (the user, the
    session) would query the database that is down.
    """
    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        return defaults.server_error(request)
    try:
        body = loader.get_template("503.html").render()
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return HttpResponse(
            b"Service temporarily unavailable", status=503, content_type="text/plain"
        )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response
