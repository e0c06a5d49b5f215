from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.mail import mail_send
from core.models import EmailKind

from .models import User

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _helper(label: StrOrPromise) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("That e-mail address and password do not match an account."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Log in"))


class StyledPasswordResetForm(PasswordResetForm):
    """ "Forgotten password" and "request a new link" in one form.

    Django's form skips accounts without a usable password, so an invited person whose
    link expired (or was used) could never get in: here every active account with the
    address gets a link, in its owner's language(s), stating when it expires. The page
    that follows is the same whether or not the address has an account.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send reset link"))

    def get_users(self, email: str) -> Iterator[User]:
        wanted = email.casefold()
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if user.email.casefold() == wanted:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """Through the e-mail log, in the owner's language; a refused message is logged
        and the page still says the same (as Django's own form does)."""
        user = context["user"]
        link = "{protocol}://{domain}{path}".format(
            protocol=context["protocol"],
            domain=context["domain"],
            path=reverse(
                "password_reset_confirm",
                kwargs={"uidb64": context["uid"], "token": context["token"]},
            ),
        )
        try:
            mail_send(
                to=to_email,
                kind=EmailKind.NEW_LINK,
                template="accounts/email/new_link",
                context={
                    "link": link,
                    "expires": timezone.now()
                    + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
                    "first_time": not user.has_usable_password(),
                },
                language=user.language,
                user_id=user.pk,
            )
        except Exception as exc:  # noqa: BLE001 - logged as failed by mail_send
            logger.warning("new-link e-mail to user %s failed: %s", user.pk, exc)


class StyledSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Set password"))


class InviteColleagueForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send invitation"))

    def clean_email(self) -> str:
        # Whether the address already has an account is deliberately not said here
        # (accounts.services.colleague_invite): the answer is the same either way.
        return str(self.cleaned_data["email"]).strip().lower()


class SecondFactorForm(forms.Form):
    """The code asked for after the password: from the authenticator app, or a recovery
    code."""

    code = forms.CharField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Verify"))


class AuthenticatorConfirmForm(forms.Form):
    """The first code of a newly added authenticator app, which confirms it."""

    code = forms.CharField(
        label=_("The 6-digit code your app shows"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add the app"))
