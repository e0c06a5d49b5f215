"""The second factor: who owes one, and whether this session has given it.

Built on django-otp (devices, TOTP, the verified device kept in the session) with
django-otp-webauthn (security keys and passkeys); recovery codes are a django-otp device
of our own (`models.RecoveryCodes`), stored hashed. ARCHITECTURE.md says why these.

- **Who owes one.** Association admins and reviewers, and anyone who may enter the Django
  admin (`is_staff`), always; an issuer's lead when one of their issuers is enrolled in a
  cohort with `mfa_required_for_leads`; anybody else once they have added a device of
  their own (optional, from the account page).
- **A verified session** is one django-otp has put a device into (`django_otp.login`,
  session key `otp_device_id`): by a code from an authenticator app, a recovery code, a
  security key, or by enrolling the first device. Every sign-in (password, the
  password-reset link's automatic login, the Django admin's login page) starts
  unverified: `session_assess` runs on `user_logged_in`.
- **Enforcement.** `SecondFactorMiddleware` (accounts/middleware.py) runs before every
  view (the app's, the Django admin's, any API's): a signed-in person who owes a second
  factor and has not given it gets only views marked `@second_factor_exempt` (the
  second-factor pages, sign-out, language); HTML requests are sent to the code or
  enrolment page with `?next=`, JSON and `/api/` requests get 403. A new view is covered
  without doing anything; only a page that must work *before* the second factor is
  marked exempt.
- **Cheap per request.** What a session owes is worked out at sign-in and then read from
  the session, re-read from the database every MFA_RECHECK_SECONDS (a cohort that starts
  requiring it reaches its leads within that time); a verified session costs nothing.
"""

from __future__ import annotations

import time
from base64 import b32encode
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from .models import Membership, MembershipRole, RecoveryCode, User
from .throttle import client_ip, login_username

STATE_KEY = "second_factor_owed"
# The secret of an authenticator app being set up: in the session until a code confirms
# it, so showing the page stores nothing.
PENDING_KEY_KEY = "second_factor_new_app"

View = TypeVar("View", bound=Callable[..., Any])


class Owed(StrEnum):
    NOTHING = ""
    VERIFY = "verify"  # has a device: asked for a code (or key)
    ENROL = "enrol"  # must have one and has none: may only add one


def required_by_role(user: User) -> bool:
    """Association staff and anyone the Django admin lets in: known without a query."""
    return user.is_association_staff or user.is_staff or user.is_superuser


def required_for(user: User) -> bool:
    """Must this person use a second factor? Leads: when an issuer they lead is enrolled
    (not withdrawn) in a cohort that requires it for leads (one query)."""
    if required_by_role(user):
        return True
    if not user.is_issuer_staff:
        return False
    return Membership.objects.filter(
        user=user,
        role=MembershipRole.LEAD,
        is_active=True,
        issuer__assessments__cohort__mfa_required_for_leads=True,
        issuer__assessments__withdrawn_at__isnull=True,
    ).exists()


def devices_of(user: User) -> list[Device]:
    """The person's confirmed devices: apps, security keys and their recovery codes."""
    return list(devices_for_user(user, confirmed=True))


def has_device(user: User) -> bool:
    return bool(devices_of(user))


def has_recovery_codes(user: User) -> bool:
    """Unused recovery codes left."""
    return RecoveryCode.objects.filter(device__user=user, used_at__isnull=True).exists()


def owed_by(user: User) -> Owed:
    if has_device(user):
        return Owed.VERIFY
    return Owed.ENROL if required_for(user) else Owed.NOTHING


def is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def session_assess(request: HttpRequest, user: User) -> Owed:
    """At sign-in: forget any earlier verification and note what this session owes. When
    nothing, sign-in is complete and the failed-login count is cleared (it is not on the
    password alone: `settings.AXES_RESET_ON_SUCCESS`)."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    owed = owed_by(user)
    request.session[STATE_KEY] = {"user": user.pk, "owed": str(owed), "at": time.time()}
    if owed == Owed.NOTHING:
        failures_clear(request, user)
    return owed


def session_owed(request: HttpRequest, user: User) -> Owed:
    """What this signed-in session still owes (nothing once verified)."""
    if is_verified(request):
        return Owed.NOTHING
    state = request.session.get(STATE_KEY) or {}
    stale = (
        state.get("user") != user.pk
        or time.time() - float(state.get("at", 0)) > settings.MFA_RECHECK_SECONDS
        or (state.get("owed") == Owed.NOTHING and required_by_role(user))
    )
    if stale:
        owed = owed_by(user)
        request.session[STATE_KEY] = {"user": user.pk, "owed": str(owed), "at": time.time()}
        return owed
    return Owed(state.get("owed", ""))


def session_verify(request: HttpRequest, device: Device) -> None:
    """The session has given its second factor: sign-in is complete."""
    otp_login(request, device)
    request.session.pop(STATE_KEY, None)
    user = request.user
    assert isinstance(user, User)
    failures_clear(request, user)


def failures_clear(request: HttpRequest, user: User) -> None:
    """Clear django-axes' failed attempts for this account and address (what a completed
    sign-in does)."""
    from axes.handlers.proxy import AxesProxyHandler

    address = client_ip(request)
    if address is None:
        return  # axes would then clear the account's count from every address
    AxesProxyHandler.reset_attempts(
        ip_address=address,
        username=login_username(None, {settings.AXES_USERNAME_FORM_FIELD: user.email}),
    )


def failure_count(request: HttpRequest, user: User) -> None:
    """A wrong code counts as a failed login of the same account from the same address,
    so django-axes locks both out together (it sets `request.axes_locked_out`)."""
    user_login_failed.send(
        sender=__name__,
        credentials={settings.AXES_USERNAME_FORM_FIELD: user.email},
        request=request,
    )


def is_locked_out(request: HttpRequest, user: User) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(
        request, credentials={settings.AXES_USERNAME_FORM_FIELD: user.email}
    )


def second_factor_exempt(view: View) -> View:
    """Mark a view that a signed-in person may reach before giving their second factor."""
    view.second_factor_exempt = True  # type: ignore[attr-defined]
    return view


def is_exempt(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "second_factor_exempt", False))


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("accept", "")
    return request.path.startswith("/api/") or "application/json" in accept


def refusal(request: HttpRequest, owed: Owed) -> HttpResponse:
    """What a request gets while the second factor is owed."""
    if wants_json(request):
        return JsonResponse(
            {
                "status": "second_factor_required",
                "message": _("Confirm your second factor before continuing."),
            },
            status=403,
        )
    target = reverse("mfa_verify" if owed == Owed.VERIFY else "mfa_enrol")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


def next_url(request: HttpRequest) -> str:
    """Where to go once the second factor is given: a safe `next`, else home."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- what the second-factor pages show -------------------------------------------------------


def may_add_device(request: HttpRequest) -> bool:
    """A new app or key is added from a verified session, or by someone who has none yet
    (their first): never past a device the person already has."""
    user = request.user
    assert isinstance(user, User)
    return is_verified(request) or not has_device(user)


def verify_url(request: HttpRequest) -> str:
    return reverse("mfa_verify") + "?" + urlencode({"next": next_url(request)})


def has_security_key(user: User) -> bool:
    from django_otp_webauthn.models import WebAuthnCredential

    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def verify_context(request: HttpRequest, form: Any) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    return {"form": form, "next": next_url(request), "keys": has_security_key(user)}


def pending_authenticator_key(request: HttpRequest) -> str:
    """The secret (hex) of the app this person is adding: kept in the session so the QR
    code stays the same across a mistyped code."""
    key = request.session.get(PENDING_KEY_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = random_hex(20)
        request.session[PENDING_KEY_KEY] = key
    return key


def totp_secret(key: str) -> str:
    """The app's secret as people type it: base32, in groups of four."""
    raw = b32encode(bytes.fromhex(key)).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr(user: User, key: str) -> str:
    """The otpauth:// address as a QR code (an SVG data URI: no script, allowed by img-src)."""
    url = TOTPDevice(user=user, key=key).config_url
    return str(segno.make(url, error="m").svg_data_uri(scale=5, border=2))


def enrol_context(request: HttpRequest, key: str, form: Any) -> dict[str, Any]:
    user = request.user
    assert isinstance(user, User)
    return {
        "form": form,
        "secret": totp_secret(key),
        "qr": totp_qr(user, key),
        "required": required_for(user),
        "verified": is_verified(request),
        "next": next_url(request),
    }


def recovery_codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    """The codes, shown this once: never cached, never stored anywhere in plain text."""
    response = render(
        request, "accounts/mfa/recovery_codes.html", {"codes": codes, "next": next_url(request)}
    )
    response["Cache-Control"] = "no-store"
    return response
