from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from .access import can_invite_colleague, can_view_team
from .forms import InviteColleagueForm
from .http import AuthedRequest
from .middleware import LANGUAGE_CODES
from .models import User
from .selectors import team_of
from .services import colleague_invite, user_language_set


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """The page for a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE): 429, translated."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/lockout.html", context, status=429)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + safe redirect), plus remembering it on the account."""
    language = request.POST.get("language", "")
    user = request.user
    if language in LANGUAGE_CODES and isinstance(user, User):
        user_language_set(user=user, language=language)
    return django_set_language(request)


@login_required
@require_http_methods(["GET", "POST"])
def team(request: AuthedRequest) -> HttpResponse:
    """The issuer's people; the lead invites colleagues as contributors."""
    user = request.user
    if not can_view_team(user=user):
        raise Http404
    form = (
        InviteColleagueForm(request.POST if request.method == "POST" else None)
        if can_invite_colleague(user=user)
        else None
    )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            colleague_invite(
                lead=user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                base_url=request.build_absolute_uri("/"),
            )
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("team")
    assert user.issuer is not None  # can_view_team
    return render(request, "accounts/team.html", {"people": team_of(user.issuer), "form": form})
