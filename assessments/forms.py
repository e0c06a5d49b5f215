from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Issuer

from . import kinds
from .framework import Dimension, ItemDef, Shift
from .models import Answer, AnswerRevision, Confidence
from .services import Proposed, SaveOutcome

NOTE_MAX = 4000
VERSION_MAX = 2**31 - 1  # PositiveIntegerField's range on every supported database


def _f(code: str, part: str) -> str:
    return f"{code}__{part}"


@dataclass
class ItemRow:
    item: ItemDef
    form: StepForm
    answer: Answer | None
    conflicts: list[AnswerRevision] = field(default_factory=list)
    theirs: Answer | None = None  # a colleague's value that just won a concurrent edit

    def __getitem__(self, part: str) -> forms.BoundField:
        return self.form[_f(self.item.code, part)]

    @property
    def value(self) -> forms.BoundField:
        return self["value"]

    @property
    def dk(self) -> forms.BoundField | None:
        name = _f(self.item.code, "dk")
        return self.form[name] if name in self.form.fields else None

    @property
    def note(self) -> forms.BoundField:
        return self["note"]

    @property
    def confidence(self) -> forms.BoundField:
        return self["confidence"]

    @property
    def base(self) -> forms.BoundField:
        return self["base"]

    @property
    def has_errors(self) -> bool:
        return self.form.is_bound and self.form.item_has_errors(self.item.code)


class StepForm(forms.Form):
    """One questionnaire step: every item of one shift, grouped by dimension.

    Bound to POST data, only items whose hidden base-version field is present are
    considered, so the same form serves the full step and single-item autosave, and a
    tampered or truncated POST can only ever skip items, never touch others.
    """

    def __init__(
        self,
        *args: Any,
        shift: Shift,
        answers: Mapping[str, Answer],
        language: str,
        conflicts: Mapping[str, list[AnswerRevision]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.shift = shift
        self.answers = answers
        self.conflicts = conflicts or {}
        self.theirs: dict[str, Answer] = {}
        self.language = language
        self.items = list(shift.items)
        if self.is_bound:
            present = {
                item.code for item in self.items if _f(item.code, "base") in (self.data or {})
            }
            self.items = [i for i in self.items if i.code in present]
        for item in self.items:
            self._add_item_fields(item, answers.get(item.code))

    def _add_item_fields(self, item: ItemDef, answer: Answer | None) -> None:
        lang = self.language
        code = item.code
        for part, item_field in kinds.of(item).form_fields(item, answer, lang).items():
            self.fields[_f(code, part)] = item_field
        self.fields[_f(code, "note")] = forms.CharField(
            label=_("Evidence note"),
            required=False,
            max_length=NOTE_MAX,
            widget=forms.Textarea(attrs={"rows": 2}),
            initial=answer.note if answer else "",
        )
        self.fields[_f(code, "confidence")] = forms.ChoiceField(
            label=_("Confidence"),
            required=False,
            choices=[("", _("Not stated")), *Confidence.choices],
            initial=answer.confidence if answer else "",
            error_messages={"invalid_choice": _("Choose one of the options shown.")},
        )
        out_of_date = _("This page was out of date. Check the answer and save again.")
        self.fields[_f(code, "base")] = forms.IntegerField(
            required=False,
            min_value=0,
            # A version column's limit: beyond it a forged base would fail in the database.
            max_value=VERSION_MAX,
            widget=forms.HiddenInput,
            initial=answer.version if answer else 0,
            error_messages={
                "invalid": out_of_date,
                "min_value": out_of_date,
                "max_value": out_of_date,
            },
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.items:
            error = kinds.of(item).form_error(
                cleaned.get(_f(item.code, "value")), bool(cleaned.get(_f(item.code, "dk")))
            )
            if error:
                self.add_error(_f(item.code, "value"), error)
        return cleaned

    def item_has_errors(self, code: str) -> bool:
        return any(
            _f(code, p) in self.errors for p in ("value", "dk", "note", "confidence", "base")
        )

    def proposals(self) -> dict[str, Proposed]:
        """The cleaned answers as values for answers_save (call after is_valid).

        When some items are invalid, the valid ones are still returned, so one mistyped
        figure never holds back (or loses) the rest of the step.
        """
        data = self.cleaned_data
        result: dict[str, Proposed] = {}
        for item in self.items:
            if self.item_has_errors(item.code):
                continue
            stored = kinds.of(item).from_form(
                data.get(_f(item.code, "value")), bool(data.get(_f(item.code, "dk")))
            )
            result[item.code] = Proposed(
                **stored,
                note=(data.get(_f(item.code, "note")) or "").strip(),
                confidence=data.get(_f(item.code, "confidence")) or "",
                base_version=data.get(_f(item.code, "base")) or 0,
            )
        return result

    def sections(self) -> list[tuple[Dimension, list[ItemRow]]]:
        wanted = {i.code for i in self.items}
        out: list[tuple[Dimension, list[ItemRow]]] = []
        for dim in self.shift.dimensions:
            rows = [
                ItemRow(
                    i,
                    self,
                    self.answers.get(i.code),
                    self.conflicts.get(i.code, []),
                    self.theirs.get(i.code),
                )
                for i in dim.items
                if i.code in wanted
            ]
            if rows:
                out.append((dim, rows))
        return out

    def rebase(self, versions: Mapping[str, int]) -> None:
        """After a save, point base fields at the new versions so the next save is current."""
        if not self.is_bound:
            return
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
        for code, version in versions.items():
            data[_f(code, "base")] = str(version)
        self.data = data

    def show_conflicts(self, outcome: SaveOutcome, answers: dict[str, Answer]) -> None:
        """After a save the page is shown again (a conflict, or invalid input): what was
        typed stays, its base versions become the ones just saved (or, for a conflict, the
        colleague's winning version), and each conflict shows their answer beside it."""
        versions = dict(outcome.versions)
        versions.update({c.item_code: answers[c.item_code].version for c in outcome.conflicts})
        self.rebase(versions)
        self.answers = answers
        self.theirs = {c.item_code: answers[c.item_code] for c in outcome.conflicts}


class IssuerProfileForm(forms.ModelForm):
    class Meta:
        model = Issuer
        fields = [
            "name_en",
            "name_zh",
            "board",
            "industry",
            "market_cap_band",
            "revenue_band",
            "employee_band",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("market_cap_band", "revenue_band", "employee_band"):
            self.fields[name].required = True  # peers are grouped by size
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Confirm and continue")))


class ReviewForm(forms.Form):
    ACTIONS = (
        ("comment", _("Add comment")),
        ("approve", _("Approve")),
        ("return", _("Return to the issuer")),
    )
    # The buttons send it; a missing or unknown value would otherwise fail silently,
    # since a hidden field shows no error of its own.
    action = forms.ChoiceField(
        choices=ACTIONS,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose what to do: add a comment, approve or return."),
            "invalid_choice": _("Choose what to do: add a comment, approve or return."),
        },
    )
    item = forms.ChoiceField(label=_("About"), required=False)
    text = forms.CharField(
        label=_("Comment or message"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item_field = self.fields["item"]
        assert isinstance(item_field, forms.ChoiceField)
        item_field.choices = [("", _("The assessment as a whole")), *items]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "comment" and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Write the comment first."))
        return cleaned


class ExtensionForm(forms.Form):
    """An admin grants one issuer more time (`services.assessment_extension_grant`)."""

    until = forms.DateField(
        label=_("Extended until"),
        help_text=_("The last day answers are accepted, Hong Kong time (inclusive)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note for the history"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawalForm(forms.Form):
    """Withdraw an issuer from its cohort, or reinstate it (the reason goes to the history)."""

    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
