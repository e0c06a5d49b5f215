from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def expiry_choices() -> list[tuple[int, str]]:
    """30 days to the longest allowed (API_TOKEN_MAX_DAYS, a year by default)."""
    longest = settings.API_TOKEN_MAX_DAYS
    days = sorted({d for d in (30, 90, 180, 365) if d <= longest} | {longest})
    return [(d, _("%(days)s days") % {"days": d}) for d in days]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “Group dashboard”."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"), coerce=int, choices=expiry_choices, initial=90
    )

    def clean_name(self) -> str:
        # Control characters (a NUL, which PostgreSQL refuses in text) are dropped.
        name = "".join(c for c in self.cleaned_data["name"] if c >= " ").strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name
