from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from assessments.forms import ItemRow
from assessments.framework import ItemDef, Text
from assessments.markup import is_stage_grid as _is_stage_grid
from assessments.markup import item_fieldset as _item_fieldset
from assessments.markup import stage_grid as _stage_grid
from assessments.presenters import answer_text as _answer_text

register = template.Library()


@register.simple_tag
def answer_text(item: ItemDef, answer: Any) -> str:
    return _answer_text(item, answer, get_language())


@register.simple_tag
def item_fieldset(row: ItemRow) -> SafeString:
    """One questionnaire item's fields (built in Python for speed: assessments/markup.py)."""
    return _item_fieldset(row)


@register.filter
def tr(text: Text | None) -> str:
    """Framework text in the active language."""
    return text.get(get_language()) if text else ""


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def signed(value: int | float | None) -> str:
    """A whole-number change with its sign: +12, −58 (a true minus), 0; None as "—"."""
    if value is None or value == "":
        return "—"
    n = round(float(value))
    if n > 0:
        return f"+{n}"
    if n < 0:
        return f"\u2212{-n}"
    return "0"


@register.simple_tag
def dimension_items(rows: list[ItemRow]) -> SafeString:
    """A dimension's questions: the value-chain stages as one grid, any other one by one."""
    if _is_stage_grid(rows):
        return _stage_grid(rows)
    return mark_safe("".join(_item_fieldset(row) for row in rows))
