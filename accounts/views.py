from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from .access import can_invite_colleague, can_view_team
from .forms import InviteColleagueForm
from .http import AuthedRequest
from .middleware import LANGUAGE_CODES
from .models import Membership, User
from .selectors import account_events_of, memberships_of, team_of
from .services import (
    colleague_invite,
    invitation_accepted,
    invitation_opened,
    issuer_switch,
    membership_accept,
    user_language_set,
)


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
        user_language_set(user=user, language=language, request=request)
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


@login_required
@require_POST
def issuer_select(request: AuthedRequest) -> HttpResponse:
    """The navbar's company switcher: act for another of one's issuers."""
    membership = request.user.memberships_active().get(_int(request.POST.get("issuer")))
    if membership is None or not request.user.is_issuer_staff:
        messages.error(request, _("You do not act for that company."))
        return redirect("home")
    issuer_switch(user=request.user, issuer=membership.issuer)
    messages.success(
        request,
        _("You are now working for %(issuer)s.") % {"issuer": membership.issuer.display_name},
    )
    return redirect("home")


@login_required
@require_GET
def account(request: AuthedRequest) -> HttpResponse:
    """The person's own account: details and the sections other features add (language,
    second factor, API tokens), each an include of its own in accounts/account.html."""
    context = {"account": request.user, "events": account_events_of(user=request.user)}
    return render(request, "accounts/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def memberships(request: AuthedRequest) -> HttpResponse:
    """The companies one acts for, and invitations from a lead waiting to be accepted."""
    if request.method == "POST":
        membership = get_object_or_404(
            Membership, pk=_int(request.POST.get("accept")), user=request.user
        )
        membership_accept(user=request.user, membership=membership)
        messages.success(
            request,
            _("You now also act for %(issuer)s.") % {"issuer": membership.issuer.display_name},
        )
        return redirect("memberships")
    return render(
        request, "accounts/memberships.html", {"memberships": memberships_of(user=request.user)}
    )


def _int(raw: object) -> int:
    """A posted id, or 0 (matches nothing) for anything that is not one."""
    return int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() else 0


class InvitationConfirmView(auth_views.PasswordResetConfirmView):
    """Django's "choose a password" page, noting the invitation lifecycle: the link
    opened (a valid link shown), then accepted (a password chosen)."""

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(*args, **kwargs)
        if self.validlink and self.request.method == "GET" and self.user is not None:
            invitation_opened(user=self.user)
        return response

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        invitation_accepted(user=form.user)
        return response
