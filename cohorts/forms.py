"""Forms of the association's cohort pages: create / edit a cohort, enrol (a CSV or one issuer)."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import Board, Industry, Role, User
from assessments.models import FrameworkVersion

from . import enrolment
from .models import Cohort

# Path segments under /cohorts/ that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new"})


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = [
            "name_en",
            "name_zh",
            "slug",
            "year",
            "framework",
            "opens_on",
            "closes_on",
            "status",
            "reviewers",
            "mfa_required_for_leads",
        ]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closes_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reviewers": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "mfa_required_for_leads": _(
                "The lead of every company in this round must then sign in with a second "
                "factor (an authenticator app or a security key), as association staff do."
            ),
            "slug": _("Short name used in addresses and file names, e.g. members-2027."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        framework = self.fields["framework"]
        assert isinstance(framework, forms.ModelChoiceField)
        framework.queryset = FrameworkVersion.objects.defer("content").order_by("-loaded_at")
        reviewers = self.fields["reviewers"]
        assert isinstance(reviewers, forms.ModelMultipleChoiceField)
        reviewers.queryset = User.objects.filter(
            role=Role.ASSOCIATION_REVIEWER, is_active=True
        ).order_by("email")
        if self.instance.pk:
            # Assessments already hang on the framework; changing it would mix versions.
            framework.disabled = True
        else:
            framework.initial = framework.queryset.values_list("pk", flat=True).first()
            self.fields["year"].initial = timezone.localdate().year
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save cohort")))

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError(_("Enter a year between 2000 and 2100."))
        return year

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This short name is reserved; choose another."))
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("The closing date must not be before the opening date."))
        return data


class EnrolOneForm(forms.Form):
    """One issuer by hand: the same fields and rules as a line of the CSV file."""

    # Room for the forms a file accepts too (0700.HK); enrolment.parse_stock_code decides.
    stock_code = forms.CharField(label=_("HKEX stock code"), max_length=12)
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200)
    name_zh = forms.CharField(label=capfirst(_("name (Chinese)")), max_length=200, required=False)
    # No preselected industry: the admin must choose one, not accept "Energy" by default.
    industry = forms.ChoiceField(
        label=capfirst(_("industry")), choices=[("", "---------"), *Industry.choices]
    )
    board = forms.ChoiceField(label=capfirst(_("board")), choices=Board.choices)
    email = forms.EmailField(label=_("Lead's e-mail address"), max_length=254)

    def __init__(self, *args: Any, cohort: Cohort | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cohort = cohort
        self.row: enrolment.Row | None = None
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        row = enrolment.validate_row({c: str(data.get(c, "")) for c in enrolment.COLUMNS})
        enrolment.classify([row], cohort=self.cohort)
        for message in row.problems:
            self.add_error(None, message)
        self.row = row
        return data


class EnrolmentUploadForm(forms.Form):
    """The enrolment CSV (parsed by `enrolment.parse`, which also bounds its size)."""

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )
