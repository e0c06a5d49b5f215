"""`{% second_factor account as status %}`: the account page's second-factor section."""

from __future__ import annotations

from django import template

from accounts.models import User
from accounts.selectors import SecondFactorStatus, second_factor_status

register = template.Library()


@register.simple_tag
def second_factor(user: object) -> SecondFactorStatus | None:
    if not isinstance(user, User):
        return None
    return second_factor_status(user=user)


@register.filter
def device_kind(device: object) -> str:
    """An app or a security key, in the reader's language."""
    from django.utils.translation import gettext as _
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return _("Authenticator app") if isinstance(device, TOTPDevice) else _("Security key")
