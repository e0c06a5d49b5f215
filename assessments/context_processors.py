"""`user_can` in every template: the access policy's rules that need no object."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import UserAccess


def access(request: HttpRequest) -> dict[str, Any]:
    # Lazy, like Django's `user`: a page that never asks touches neither the session nor
    # the database (the error pages render while the database may be down).
    return {"user_can": SimpleLazyObject(lambda: UserAccess(user=getattr(request, "user", None)))}
