"""Every API error as JSON: `{"detail": <message in the reader's language>, "code": …}`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class BadParameter(exceptions.ValidationError):
    """A query parameter that does not parse: 400 with what was expected."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__({name: [message]}, code="invalid_parameter")


def json_error(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real fault: Django's 500 handling (logged), never a guess here
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("Some parameters are not valid."),
            "code": "invalid",
            "errors": data,
        }
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else data
        code = getattr(detail, "code", None) or "error"
        response.data = {"detail": str(detail), "code": code}
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response.data["code"] = "throttled"
    return response
