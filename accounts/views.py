from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from assessments import selectors

from .http import AuthedRequest
from .middleware import LANGUAGE_CODES
from .models import User
from .services import user_language_set


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    assessments = list(selectors.assessments_for_home(user)[:50])
    return render(
        request,
        "home.html",
        {
            "assessments": assessments,
            "open_assessment": next((a for a in assessments if a.is_editable), None),
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + safe redirect), plus remembering it on the account."""
    language = request.POST.get("language", "")
    user = request.user
    if language in LANGUAGE_CODES and isinstance(user, User):
        user_language_set(user=user, language=language)
    return django_set_language(request)
