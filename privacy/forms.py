from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AnonymiseForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the person's e-mail address to confirm"),
        max_length=254,
        strip=True,
    )
