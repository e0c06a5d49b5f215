"""The answer controls of a questionnaire item, and the escaping all item markup uses.

Each item kind (kinds.py) renders its answer part with one of these (or its own, built
with `esc`); markup.py builds the rest of the item around it. Split from markup.py so
kinds.py can use them without importing models: scoring imports kinds.py and stays pure.

Every value that comes from a user or the database goes through `esc`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from django import forms
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .forms import ItemRow

DONT_KNOW = "dk"  # the value of every radio group's "Don't know" option
# "Not applicable": the form value offered on items marked so, and the answer code of score
# explanations and answer files.
NOT_APPLICABLE = "na"


def esc(value: Any) -> str:
    """A variable as the template would print it: localised, escaped, None as ''."""
    if value is None:
        return ""
    if type(value) is str:  # the common case; SafeString (a subclass) takes the long way
        return html.escape(value)
    return str(conditional_escape(localize(value)))


def esc_text(text: Any, lang: str | None) -> str:
    """A framework Text (or None) in `lang`, escaped."""
    return esc(text.get(lang)) if text else ""


def bound_choices(bound: forms.BoundField) -> list[tuple[Any, Any]]:
    """A ChoiceField's (value, label) pairs (flat: none of ours has groups)."""
    field: Any = bound.field
    return list(field.choices)


def radio_cards(row: ItemRow, *, grid: str, numbered: bool) -> str:
    """One card per option of the item's ChoiceField, "Don't know" last; `numbered` shows
    each option's value (a level number) on its card."""
    value = row.value
    current = value.value()
    selected = "" if current is None else str(current)
    name = value.html_name
    base_id = value.auto_id
    out = [f'<div class="{grid}" role="radiogroup">']
    for index, (option, label) in enumerate(bound_choices(value)):
        option = str(option)
        option_id = f"{base_id}_{index}"
        dk_class = " dk" if option in (DONT_KNOW, NOT_APPLICABLE) else ""
        checked = "checked" if option == selected else ""
        number = (
            f'<span class="level-no">{esc(option)}</span>'
            if numbered and option not in (DONT_KNOW, NOT_APPLICABLE)
            else ""
        )
        out.append(
            f'<label class="level-card{dk_class}" for="{option_id}">'
            f'<input type="radio" class="form-check-input" name="{name}" '
            f'value="{esc(option)}" id="{option_id}" {checked}>'
            f'{number}<span class="level-text">{esc(label)}</span></label>'
        )
    out.append("</div>")
    return "".join(out)


def number_input(row: ItemRow, lang: str | None) -> str:
    """The item's number with its unit, a "Don't know" box and the allowed range."""
    item = row.item
    value = row.value
    dk = row.dk
    invalid = " is-invalid" if value.errors else ""
    attrs = "".join(f'{esc(k)}="{esc(v)}" ' for k, v in value.field.widget.attrs.items())
    unit = esc_text(item.unit, lang)
    checked = "checked" if dk is not None and dk.value() else ""
    dont_know = esc(_("Don't know"))
    dk_input = (
        ""
        if dk is None
        else (
            f'<input class="form-check-input" type="checkbox" name="{dk.html_name}" '
            f'id="{dk.id_for_label}" {checked}><label class="form-check-label" '
            f'for="{dk.id_for_label}">{dont_know}</label>'
        )
    )
    between = _("Between %(lo)s and %(hi)s; optional.") % {
        "lo": esc(floatformat(item.min_value, "-4")),
        "hi": esc(floatformat(item.max_value, "-4")),
    }
    return (
        '<div class="row g-2 align-items-center">'
        '<div class="col-sm-5"><div class="input-group">'
        f'<input type="number" name="{value.html_name}" id="{value.id_for_label}" '
        f'class="form-control{invalid}" value="{esc(value.value())}" {attrs}'
        f'aria-label="{esc_text(item.text, lang)}">'
        f'<span class="input-group-text">{unit}</span>'
        "</div></div>"
        f'<div class="col-sm-4"><div class="form-check">{dk_input}</div></div>'
        "</div>"
        f'<p class="small text-muted mt-1">{between}</p>'
    )
