from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    """A request behind login_required: `user` is a real User, never AnonymousUser."""

    user: User  # type: ignore[assignment]
