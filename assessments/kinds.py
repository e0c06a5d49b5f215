"""Item kinds: everything that differs between question types, in one class per kind.

A framework item's `kind:` (frameworks/SCHEMA.md) names one registered `ItemKind`, and
every module that treats items differently asks that object instead of comparing the
kind's name: the parser (framework.py), scoring (scoring.py), the step form (forms.py),
its markup (markup.py), the answer texts (presenters.py), the exports
(`export_framework`, cohorts/exports.py) and the synthetic data generators. Adding a
question type is a subclass here plus content (ARCHITECTURE.md, "New question type").

This module imports no models and touches no database: framework.py and scoring.py use
it and stay pure. `kinds.of(item)` is one dict lookup, cheap enough for the step page.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import list_join

from . import framework
from .controls import DONT_KNOW, NOT_APPLICABLE, number_input, radio_cards

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .forms import ItemRow
    from .framework import Framework, ItemDef, Option, Text

# A level-L answer scores (L − 1) × 25; under scoring rules 2 level L also starts there
# (framework.py checks every threshold, option and depth score against it).
POINTS_PER_LEVEL = 25.0
CODE_MAX = 16  # Item.kind's max_length

# The Answer columns a kind may keep its value in, with their header in the cohort answer
# export. A kind that needs another column adds it to models.AnswerValueFields (with a
# migration) and here.
VALUE_COLUMNS: tuple[tuple[str, Promise], ...] = (
    ("level", gettext_lazy("Level")),
    ("choice", gettext_lazy("Choice")),
    ("number", gettext_lazy("Figure")),
)


class StoredValue(Protocol):
    """An answer's value: models.Answer / AnswerRevision, scoring.AnswerValue, Proposed."""

    @property
    def level(self) -> int | None: ...
    @property
    def choice(self) -> str: ...
    @property
    def number(self) -> Decimal | None: ...
    @property
    def dont_know(self) -> bool: ...
    @property
    def not_applicable(self) -> bool: ...


def _as_dict(text: Text | None) -> dict[str, str] | None:
    return text.as_dict() if text else None


class ItemKind:
    """One question type. Subclass it, set the class attributes, override what differs
    and `register` an instance.

    Storage: an answer keeps its value in the kind's `fields` (columns of
    models.AnswerValueFields, listed in VALUE_COLUMNS) or is "don't know". It is *known*
    when one of its fields is set and *answered* when known or "don't know"
    (`Answer.is_known` / `is_answered`, `AnswerValue.known`): a kind writes only its own
    fields, so those rules need not ask it.
    """

    code: ClassVar[str]  # the framework file's `kind:`, stored in Item.kind
    label: ClassVar[StrOrPromise]  # its name (Item.kind's choices)
    fields: ClassVar[tuple[str, ...]]  # the Answer value columns it stores its answer in
    scored: ClassVar[bool] = True  # False: counts for completeness only, never for a score
    # True: a key figure (KPI): frozen on the snapshot at submission and reported beside
    # its peer median on the results page, in the report and on the cohort dashboard.
    kpi: ClassVar[bool] = False
    # The form can offer "Not applicable" on items the framework marks `not_applicable`
    # (scoring rules 2); from_form then returns {"not_applicable": True}.
    can_be_not_applicable: ClassVar[bool] = False

    # --- the framework file (framework.py) ---------------------------------------------

    def parse(
        self, raw: Mapping[str, Any], *, where: str, weight: float, depths: tuple[Option, ...]
    ) -> dict[str, Any]:
        """Validate the kind's own keys of one item; return them as ItemDef fields.

        Raise framework.FrameworkError starting with `where`. `depths` are the
        value-chain depths, the options of a value-chain item.
        """
        return {}

    def export(self, item: ItemDef) -> dict[str, Any]:
        """The kind's own keys of the item as `export_framework` prints them."""
        return {}

    # --- scoring (pure) ------------------------------------------------------------------

    def points(self, item: ItemDef, value: StoredValue) -> float | None:
        """Score 0–100 of a known answer to a scored item, or None if it has none."""
        return None

    def answer_code(self, item: ItemDef, value: StoredValue) -> str:
        """The answer as the language-neutral code a score explanation stores ("" if none)."""
        return ""

    def step_up(
        self, item: ItemDef, value: StoredValue, current: float
    ) -> tuple[float, str] | None:
        """(points, answer code) of the next better answer, for "what would lift it"."""
        return None

    def kpi_value(self, item: ItemDef, value: StoredValue) -> float | None:
        """The key figure a known answer reports (kinds with `kpi`), or None."""
        return None

    # --- answer files (`score_answers`) ---------------------------------------------------

    def from_json(self, item: ItemDef, raw: Any) -> dict[str, Any]:
        """The stored fields of a known answer given in an answer file (JSON), or raise
        ValueError saying what the item expects ("dont_know" and "na" never get here)."""
        raise ValueError("this kind of question can't be answered from a file")

    # --- the step form and its markup ----------------------------------------------------

    def form_fields(self, item: ItemDef, answer: Any, lang: str) -> dict[str, forms.Field]:
        """The fields of the item's answer by part: "value", and "dk" for a separate
        "Don't know" box. `answer` is the stored Answer or None."""
        raise NotImplementedError

    def from_form(self, value: Any, dont_know: bool) -> dict[str, Any]:
        """The stored fields (and `dont_know`) of the cleaned "value" and "dk" parts."""
        raise NotImplementedError

    def form_error(self, value: Any, dont_know: bool) -> StrOrPromise | None:
        """An error for the cleaned parts taken together, or None."""
        return None

    def markup(self, row: ItemRow, lang: str | None) -> str:
        """The HTML of the answer control (controls.py); every variable part escaped."""
        raise NotImplementedError

    # --- words (presenters.py) -------------------------------------------------------------

    def answer_text(self, item: ItemDef, answer: StoredValue, lang: str | None) -> str | None:
        """An answer that is not "don't know" in words, or None when it holds no value."""
        raise NotImplementedError

    def code_text(self, item: ItemDef, code: str, lang: str | None) -> str:
        """An `answer_code` in words."""
        return code

    def lift_text(self, item: ItemDef, code: str, lang: str | None) -> str:
        """The better answer of a `step_up` in words."""
        return answer_code_text(item, code, lang)

    def scale_text(self, item: ItemDef, lang: str | None) -> str | None:
        """How a scored item's answers turn into points, for the footnote under its
        dimension (None when the kind is unscored)."""
        return None

    # --- synthetic data (devdata) ----------------------------------------------------------

    def synthetic(
        self, item: ItemDef, *, centre: float, rng: random.Random
    ) -> dict[str, Any] | None:
        """Stored fields of a plausible answer from a company whose typical maturity is
        `centre` (1–5), or None to leave the item blank."""
        return None


def _synthetic_level(rng: random.Random, centre: float) -> int:
    return max(1, min(5, round(rng.gauss(centre, 0.7))))


class RadioKind(ItemKind):
    """Answered by picking one option, or "Don't know" (the last option); on an item the
    framework marks `not_applicable`, "Not applicable" comes before it."""

    grid: ClassVar[str]  # the CSS class of the option cards' container
    numbered: ClassVar[bool] = False  # show each option's value on its card
    can_be_not_applicable = True

    def options(self, item: ItemDef, lang: str) -> list[tuple[str, str]]:
        raise NotImplementedError

    def option_of(self, answer: StoredValue) -> str | None:
        """The option value a stored answer shows as checked."""
        raise NotImplementedError

    def stored(self, option: str) -> dict[str, Any]:
        """The stored fields of a picked option value."""
        raise NotImplementedError

    def form_fields(self, item: ItemDef, answer: Any, lang: str) -> dict[str, forms.Field]:
        initial = self.option_of(answer) if answer else None
        if answer and answer.dont_know:
            initial = DONT_KNOW
        elif answer and answer.not_applicable:
            initial = NOT_APPLICABLE
        na = [(NOT_APPLICABLE, gettext_lazy("Not applicable"))] if item.not_applicable else []
        return {
            "value": forms.ChoiceField(
                label=item.text.get(lang),
                required=False,
                choices=[
                    *self.options(item, lang),
                    *na,
                    (DONT_KNOW, gettext_lazy("Don't know")),
                ],
                widget=forms.RadioSelect,
                initial=initial,
                error_messages={"invalid_choice": gettext_lazy("Choose one of the options shown.")},
            )
        }

    def from_form(self, value: Any, dont_know: bool) -> dict[str, Any]:
        if value == DONT_KNOW:
            return {"dont_know": True}
        if value == NOT_APPLICABLE:
            return {"not_applicable": True}
        return self.stored(value) if value else {}

    def markup(self, row: ItemRow, lang: str | None) -> str:
        return radio_cards(row, grid=self.grid, numbered=self.numbered)


class Maturity(RadioKind):
    """Five cumulative level descriptors; level L scores (L − 1) × 25."""

    code = "maturity"
    label = gettext_lazy("Maturity")
    fields = ("level",)
    grid = "level-grid"
    numbered = True

    def parse(
        self, raw: Mapping[str, Any], *, where: str, weight: float, depths: tuple[Option, ...]
    ) -> dict[str, Any]:
        levels = framework.required(raw, "levels", where)
        if not isinstance(levels, list) or len(levels) != 5:
            raise framework.FrameworkError(f"{where}: a maturity item needs exactly 5 levels")
        parsed = tuple(
            framework.parse_text(t, f"{where}.levels[{i + 1}]") for i, t in enumerate(levels)
        )
        if len({t.en for t in parsed}) != 5 or len({t.zh for t in parsed}) != 5:
            raise framework.FrameworkError(f"{where}: the 5 level descriptors must be distinct")
        return {"levels": parsed}

    def export(self, item: ItemDef) -> dict[str, Any]:
        return {"levels": [_as_dict(level) for level in item.levels]}

    def points(self, item: ItemDef, value: StoredValue) -> float | None:
        if value.level is None or not 1 <= value.level <= 5:
            return None
        return (value.level - 1) * POINTS_PER_LEVEL

    def answer_code(self, item: ItemDef, value: StoredValue) -> str:
        return "" if value.level is None else str(value.level)

    def step_up(
        self, item: ItemDef, value: StoredValue, current: float
    ) -> tuple[float, str] | None:
        if value.level is not None and value.level < 5:
            return current + POINTS_PER_LEVEL, str(value.level + 1)
        return None

    def from_json(self, item: ItemDef, raw: Any) -> dict[str, Any]:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
            raise ValueError(
                'expects a level from 1 to 5, "dont_know"{na}; got {raw}'.format(
                    na=' or "na"' if item.not_applicable else "", raw=_json(raw)
                )
            )
        return {"level": raw}

    def options(self, item: ItemDef, lang: str) -> list[tuple[str, str]]:
        return [(str(n), d.get(lang)) for n, d in enumerate(item.levels, start=1)]

    def option_of(self, answer: StoredValue) -> str | None:
        return str(answer.level) if answer.level else None

    def stored(self, option: str) -> dict[str, Any]:
        return {"level": int(option)}

    def answer_text(self, item: ItemDef, answer: StoredValue, lang: str | None) -> str | None:
        if not answer.level:
            return None
        return _("Level %(n)s: %(text)s") % {
            "n": answer.level,
            "text": item.levels[answer.level - 1].get(lang),
        }

    def code_text(self, item: ItemDef, code: str, lang: str | None) -> str:
        return _("Level %(n)s") % {"n": code}

    def lift_text(self, item: ItemDef, code: str, lang: str | None) -> str:
        return item.levels[int(code) - 1].get(lang)

    def scale_text(self, item: ItemDef, lang: str | None) -> str | None:
        return _("Level 1 gives 0 points, each level above adds 25.")

    def synthetic(
        self, item: ItemDef, *, centre: float, rng: random.Random
    ) -> dict[str, Any] | None:
        return {"level": _synthetic_level(rng, centre)}


class Choice(RadioKind):
    """Options with their own scores; a value-chain item takes the value-chain depths."""

    code = "choice"
    label = gettext_lazy("Choice")
    fields = ("choice",)
    grid = "choice-grid"

    def parse(
        self, raw: Mapping[str, Any], *, where: str, weight: float, depths: tuple[Option, ...]
    ) -> dict[str, Any]:
        stage = raw.get("value_chain_stage", "")
        if stage:
            return {"options": depths, "value_chain_stage": str(stage)}
        options = framework.required(raw, "options", where)
        if not isinstance(options, list) or len(options) < 2:
            raise framework.FrameworkError(f"{where}: a choice item needs at least 2 options")
        parsed = tuple(
            framework.parse_option(o, f"{where}.options[{i}]") for i, o in enumerate(options)
        )
        if len({o.code for o in parsed}) != len(parsed):
            raise framework.FrameworkError(f"{where}: option codes must be unique")
        return {"options": parsed}

    def export(self, item: ItemDef) -> dict[str, Any]:
        out: dict[str, Any] = {
            "options": [
                {"code": o.code, "score": o.score, "label": _as_dict(o.label)}
                | ({"description": _as_dict(o.description)} if o.description else {})
                for o in item.options
            ]
        }
        if item.value_chain_stage:
            out["value_chain_stage"] = item.value_chain_stage
        return out

    def points(self, item: ItemDef, value: StoredValue) -> float | None:
        option = item.option(value.choice)
        return None if option is None else option.score

    def answer_code(self, item: ItemDef, value: StoredValue) -> str:
        return value.choice

    def step_up(
        self, item: ItemDef, value: StoredValue, current: float
    ) -> tuple[float, str] | None:
        ups = sorted((o for o in item.options if o.score > current), key=lambda o: o.score)
        return (ups[0].score, ups[0].code) if ups else None

    def from_json(self, item: ItemDef, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, str) or item.option(raw) is None:
            raise ValueError(
                'expects one of {codes}, "dont_know"{na}; got {raw}'.format(
                    codes=", ".join(f'"{o.code}"' for o in item.options),
                    na=' or "na"' if item.not_applicable else "",
                    raw=_json(raw),
                )
            )
        return {"choice": raw}

    def options(self, item: ItemDef, lang: str) -> list[tuple[str, str]]:
        return [(o.code, o.label.get(lang)) for o in item.options]

    def option_of(self, answer: StoredValue) -> str | None:
        return answer.choice if answer.choice else None

    def stored(self, option: str) -> dict[str, Any]:
        return {"choice": option}

    def answer_text(self, item: ItemDef, answer: StoredValue, lang: str | None) -> str | None:
        if not answer.choice:
            return None
        option = item.option(answer.choice)
        return option.label.get(lang) if option else answer.choice

    def code_text(self, item: ItemDef, code: str, lang: str | None) -> str:
        option = item.option(code)
        return option.label.get(lang) if option else code

    def scale_text(self, item: ItemDef, lang: str | None) -> str | None:
        points = list_join(f"{o.label.get(lang)} {o.score:g}" for o in item.options)
        return _("Points: %(points)s.") % {"points": points}

    def synthetic(
        self, item: ItemDef, *, centre: float, rng: random.Random
    ) -> dict[str, Any] | None:
        options = sorted(item.options, key=lambda o: o.score)
        index = round((_synthetic_level(rng, centre) - 1) / 4 * (len(options) - 1))
        return {"choice": options[index].code}


def _json(raw: Any) -> str:
    """A value of an answer file as the file wrote it, cut short."""
    text = json.dumps(raw, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _number_text(value: Decimal, decimals: int) -> str:
    return f"{float(value):,.{decimals}f}"


def figure_text(number: str, unit: str) -> str:
    """A figure with its unit as each language writes it: a percentage unit takes the %
    sign on the number ("25.9% of revenue"; "佔收入 25.9%" from the unit "佔收入百分比"),
    any other unit follows the number ("3 use cases", "3 個應用場景")."""
    if unit.startswith("%"):
        return f"{number}{unit}"
    if unit.endswith("百分比"):
        what = unit.removesuffix("百分比")
        return f"{what} {number}%" if what else f"{number}%"
    return f"{number} {unit}".strip()


class Figure(ItemKind):
    """A number with a unit and a range; unscored (it counts for completeness)."""

    code = "figure"
    label = gettext_lazy("Figure")
    fields = ("number",)
    scored = False
    kpi = True

    def parse(
        self, raw: Mapping[str, Any], *, where: str, weight: float, depths: tuple[Option, ...]
    ) -> dict[str, Any]:
        lo, hi = framework.required(raw, "min", where), framework.required(raw, "max", where)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lo, hi)):
            raise framework.FrameworkError(f"{where}: min and max must be numbers")
        if lo >= hi:
            raise framework.FrameworkError(f"{where}: min must be below max")
        decimals = raw.get("decimals", 0)
        if not isinstance(decimals, int) or not 0 <= decimals <= 4:
            raise framework.FrameworkError(f"{where}: decimals must be a whole number from 0 to 4")
        if weight != 0:
            raise framework.FrameworkError(f"{where}: figure items are unscored; weight must be 0")
        return {
            "unit": framework.parse_text(framework.required(raw, "unit", where), f"{where}.unit"),
            "min_value": Decimal(str(lo)),
            "max_value": Decimal(str(hi)),
            "decimals": decimals,
        }

    def export(self, item: ItemDef) -> dict[str, Any]:
        return {
            "unit": _as_dict(item.unit),
            "min": float(item.min_value or 0),
            "max": float(item.max_value or 0),
            "decimals": item.decimals,
        }

    def answer_code(self, item: ItemDef, value: StoredValue) -> str:
        return "" if value.number is None else format(value.number.normalize(), "f")

    def kpi_value(self, item: ItemDef, value: StoredValue) -> float | None:
        return None if value.number is None or value.dont_know else float(value.number)

    def from_json(self, item: ItemDef, raw: Any) -> dict[str, Any]:
        assert item.min_value is not None and item.max_value is not None
        number = (
            Decimal(str(raw))
            if isinstance(raw, int | float) and not isinstance(raw, bool)
            else None
        )
        if (
            number is None
            or not number.is_finite()
            or not item.min_value <= number <= item.max_value
        ):
            raise ValueError(
                'expects a number from {lo} to {hi} or "dont_know"; got {raw}'.format(
                    lo=format(item.min_value.normalize(), "f"),
                    hi=format(item.max_value.normalize(), "f"),
                    raw=_json(raw),
                )
            )
        return {"number": round(number, item.decimals)}

    def form_fields(self, item: ItemDef, answer: Any, lang: str) -> dict[str, forms.Field]:
        assert item.min_value is not None and item.max_value is not None
        # An implausible figure (negative spend, a share over 100 %) is refused with the
        # item's own range. The validators %-format the message, hence the doubled %.
        out_of_range = (
            _("Enter a figure from %(lo)s to %(hi)s (%(unit)s).")
            % {
                "lo": f"{item.min_value.normalize():,f}",
                "hi": f"{item.max_value.normalize():,f}",
                "unit": item.unit.get(lang) if item.unit else "",
            }
        ).replace("%", "%%")
        return {
            "value": forms.DecimalField(
                label=item.text.get(lang),
                required=False,
                min_value=item.min_value,
                max_value=item.max_value,
                decimal_places=item.decimals,
                max_digits=16,
                widget=forms.NumberInput(
                    attrs={
                        "step": str(Decimal(1).scaleb(-item.decimals)),
                        "inputmode": "decimal",
                        "min": str(item.min_value),
                        "max": str(item.max_value),
                    }
                ),
                initial=answer.number.normalize() if answer and answer.number is not None else None,
                error_messages={"min_value": out_of_range, "max_value": out_of_range},
            ),
            "dk": forms.BooleanField(
                label=gettext_lazy("Don't know"),
                required=False,
                initial=bool(answer and answer.dont_know),
            ),
        }

    def from_form(self, value: Any, dont_know: bool) -> dict[str, Any]:
        return {"number": value, "dont_know": dont_know}

    def form_error(self, value: Any, dont_know: bool) -> StrOrPromise | None:
        if value is not None and dont_know:
            return gettext_lazy("Give a number or tick “Don't know”, not both.")
        return None

    def markup(self, row: ItemRow, lang: str | None) -> str:
        return number_input(row, lang)

    def answer_text(self, item: ItemDef, answer: StoredValue, lang: str | None) -> str | None:
        if answer.number is None:
            return None
        unit = item.unit.get(lang) if item.unit else ""
        return figure_text(_number_text(answer.number, item.decimals), unit)

    def synthetic(
        self, item: ItemDef, *, centre: float, rng: random.Random
    ) -> dict[str, Any] | None:
        if not item.mandatory and rng.random() < 0.25:
            return None
        assert item.min_value is not None and item.max_value is not None
        lo, hi = float(item.min_value), float(item.max_value)
        span = min(hi - lo, 100.0)
        raw = lo + span * max(0.0, min(1.0, rng.gauss(centre / 6, 0.15)))
        if lo < 0:  # a change figure: centred on small growth
            raw = rng.gauss((centre - 2.5) * 4, 6)
        return {"number": Decimal(str(round(max(lo, min(hi, raw)), item.decimals)))}


# --- the registry ----------------------------------------------------------------------

_KINDS: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> ItemKind:
    columns = {name for name, _label in VALUE_COLUMNS}
    if not 0 < len(kind.code) <= CODE_MAX:
        raise ValueError(f"item kind {kind.code!r}: the code needs 1 to {CODE_MAX} characters")
    if kind.code in _KINDS:
        raise ValueError(f"item kind {kind.code!r} is already registered")
    if not kind.fields or not set(kind.fields) <= columns:
        raise ValueError(f"item kind {kind.code!r}: fields must be among {sorted(columns)}")
    _KINDS[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    del _KINDS[code]


@contextmanager
def registered(kind: ItemKind) -> Iterator[ItemKind]:
    """The kind registered for the duration of a `with` block (tests)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.code)


def get(code: Any) -> ItemKind | None:
    """The kind named `code` in a framework file, or None when there is none."""
    return _KINDS.get(code) if isinstance(code, str) else None


def of(item: ItemDef) -> ItemKind:
    """The kind of a parsed item."""
    return _KINDS[item.kind]


def codes() -> list[str]:
    return list(_KINDS)


def choices() -> list[tuple[str, StrOrPromise]]:
    return [(kind.code, kind.label) for kind in _KINDS.values()]


def value_columns() -> list[tuple[str, Promise]]:
    """The Answer value columns some kind stores its answers in, in VALUE_COLUMNS order."""
    used = {name for kind in _KINDS.values() for name in kind.fields}
    return [(name, label) for name, label in VALUE_COLUMNS if name in used]


def kpi_items(fw: Framework) -> list[ItemDef]:
    """The framework's key figures (items of a kind with `kpi`), in questionnaire order."""
    return [item for item in fw.iter_items() if of(item).kpi]


def kpi_values(fw: Framework, answers: Mapping[str, StoredValue]) -> dict[str, float]:
    """{item code: figure} of the key figures answered with a value: what a snapshot
    freezes at submission (a blank or "don't know" figure is left out, never 0)."""
    values: dict[str, float] = {}
    for item in kpi_items(fw):
        answer = answers.get(item.code)
        value = None if answer is None else of(item).kpi_value(item, answer)
        if value is not None:
            values[item.code] = value
    return values


def answer_code_text(item: ItemDef, code: str, lang: str | None) -> str:
    """An answer code of a score explanation (scoring.answer_label) in words."""
    if code == "dont_know":
        return _("Don't know")
    if code == NOT_APPLICABLE:
        return _("Not applicable")
    if not code:
        return _("Not answered")
    return of(item).code_text(item, code, lang)


register(Maturity())
register(Choice())
register(Figure())
