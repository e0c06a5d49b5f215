from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language
from django_otp.models import Device
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from . import mfa
from .access import can_invite_colleague, can_view_team
from .forms import AuthenticatorConfirmForm, InviteColleagueForm, SecondFactorForm
from .http import AuthedRequest
from .middleware import LANGUAGE_CODES
from .models import Membership, User
from .selectors import account_events_of, memberships_of, team_of
from .services import (
    SecondFactorNeeded,
    colleague_invite,
    invitation_accepted,
    invitation_opened,
    issuer_switch,
    membership_accept,
    recovery_codes_issue,
    second_factor_added,
    second_factor_check,
    second_factor_failed,
    second_factor_remove,
    totp_enrolment_confirm,
    user_language_set,
)


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """The page for a locked-out login (django-axes' AXES_LOCKOUT_CALLABLE): 429, translated."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/lockout.html", context, status=429)


@mfa.second_factor_exempt
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


# --- the second factor (accounts/mfa.py) -----------------------------------------------------


@mfa.second_factor_exempt
@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: AuthedRequest) -> HttpResponse:
    """After the password: a code from the app, a recovery code or a security key.
    Wrong codes count towards the login lockout; once locked out the half-signed-in
    session ends, so the password is needed again after the cool-off."""
    user = request.user
    if mfa.session_owed(request, user) != mfa.Owed.VERIFY:
        return redirect(mfa.next_url(request))
    if mfa.is_locked_out(request, user):
        logout(request)
        return lockout(request)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = second_factor_check(user=user, code=form.cleaned_data["code"], request=request)
        if device is not None:
            mfa.session_verify(request, device)
            return redirect(mfa.next_url(request))
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return lockout(request)
        form.add_error(
            "code", _("That code is not valid. Try the current code, or an unused recovery code.")
        )
    return render(request, "accounts/mfa/verify.html", mfa.verify_context(request, form))


@mfa.second_factor_exempt
@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: AuthedRequest) -> HttpResponse:
    """Add an authenticator app (and, from the same page, a security key). Before the
    second factor is given, only someone who has no device yet may add one."""
    user = request.user
    if not mfa.may_add_device(request):
        return redirect(mfa.verify_url(request))
    key = mfa.pending_authenticator_key(request)
    form = AuthenticatorConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = totp_enrolment_confirm(
                user=user, key=key, code=form.cleaned_data["code"], request=request
            )
        except ValueError:
            form.add_error("code", _("That code does not match. Type the code your app shows now."))
        else:
            request.session.pop(mfa.PENDING_KEY_KEY, None)
            if not mfa.is_verified(request):
                mfa.session_verify(request, device)
            messages.success(request, _("Your authenticator app is added."))
            if codes:
                return mfa.recovery_codes_page(request, codes)
            return redirect(mfa.next_url(request))
    return render(request, "accounts/mfa/enrol.html", mfa.enrol_context(request, key, form))


@login_required
@require_POST
def mfa_recovery_codes(request: AuthedRequest) -> HttpResponse:
    """A new set of recovery codes, shown once; the earlier set stops working. With
    `first` (after adding a security key), only for someone who has none yet."""
    if not mfa.has_device(request.user):
        messages.error(request, _("Add an authenticator app or a security key first."))
        return redirect("account")
    if request.POST.get("first") and mfa.has_recovery_codes(request.user):
        messages.success(request, _("Your security key is added."))
        return redirect(mfa.next_url(request))
    codes = recovery_codes_issue(user=request.user, request=request)
    return mfa.recovery_codes_page(request, codes)


@login_required
@require_POST
def mfa_remove(request: AuthedRequest) -> HttpResponse:
    """Remove one of one's own apps or security keys (from the account page)."""
    device = Device.from_persistent_id(str(request.POST.get("device", "")))
    if device is None or device.user_id != request.user.pk:
        raise Http404
    try:
        second_factor_remove(user=request.user, device=device, request=request)
    except SecondFactorNeeded:
        messages.error(
            request,
            _("You must keep a second factor. Add another one before removing this one."),
        )
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Removed."))
    return redirect("account")


# Security keys and passkeys: django-otp-webauthn's JSON views, with the audit trail, the
# login lockout and this project's session rules (static/js/security-key.js calls them).


class _LockedOut(webauthn_errors.OTPWebAuthnApiError):
    status_code = 429
    default_code = "locked_out"
    default_detail = "Too many attempts."


class KeyRegisterBegin(webauthn_views.BeginCredentialRegistrationView):
    """Options for a new key. The library refuses a session that has a device and has not
    given it (`is_verified`, set by SecondFactorMiddleware): no key added past the second
    factor."""


class KeyRegisterComplete(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        was_verified = mfa.is_verified(self.request)
        response = super().post(*args, **kwargs)
        user = self.request.user
        assert isinstance(user, User)
        device = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"], user=user)
        if not was_verified:
            mfa.session_verify(self.request, device)
        second_factor_added(user=user, device=device, request=self.request)
        return response


class KeyVerifyBegin(webauthn_views.BeginCredentialAuthenticationView):
    """Options to sign in with one's key (only once the password was given)."""


class KeyVerifyComplete(webauthn_views.CompleteCredentialAuthenticationView):
    """The key's answer: the session is verified, or the failure is audited and counted by
    the login lockout as a wrong code would be."""

    def check_can_authenticate(self) -> None:
        super().check_can_authenticate()
        user = self.request.user
        if isinstance(user, User) and mfa.is_locked_out(self.request, user):
            raise _LockedOut()

    def complete_auth(self, device: Any) -> Any:
        mfa.session_verify(self.request, device)
        return device.user

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(*args, **kwargs)
        except webauthn_errors.OTPWebAuthnApiError as exc:
            user = self.request.user
            if isinstance(user, User) and not isinstance(exc, _LockedOut):
                second_factor_failed(user=user, request=self.request)
            if getattr(self.request, "axes_locked_out", False):
                logout(self.request)
            raise

    def get_success_url(self) -> str:
        return mfa.next_url(self.request)
