from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from . import mfa
from .models import User

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """Apply a signed-in user's remembered language, whatever device they come from.

    LocaleMiddleware has already chosen from the cookie / Accept-Language; the user's
    own saved choice wins over both.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language in LANGUAGE_CODES and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language in LANGUAGE_CODES:
            response.headers.setdefault("Content-Language", language)
            # The browser learns the choice too, so its pages stay in that language after
            # logging out (the login page, the next visit) as on the device it was made on.
            if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    language,
                    max_age=settings.LANGUAGE_COOKIE_AGE,
                    path=settings.LANGUAGE_COOKIE_PATH,
                    domain=settings.LANGUAGE_COOKIE_DOMAIN,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                    httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax"
                )
        return response


class SecondFactorMiddleware:
    """Before every view: a signed-in person who owes a second factor and has not given it
    reaches only views marked `mfa.second_factor_exempt` (accounts/mfa.py). In
    `process_view`, so the Django admin's views and any API's are covered as the app's
    are, and nothing needs remembering when a view is added."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return None
        verified = mfa.is_verified(request)
        # What django-otp's own middleware would set (django-otp-webauthn asks for it).
        user.is_verified = lambda: verified  # type: ignore[attr-defined]
        if verified or mfa.is_exempt(view_func):
            return None
        owed = mfa.session_owed(request, user)
        return None if owed == mfa.Owed.NOTHING else mfa.refusal(request, owed)
