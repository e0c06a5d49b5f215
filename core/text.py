"""Text as each language writes it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_join(items: Iterable[object]) -> str:
    """Items listed the way the active language lists them: "a, b" in English, "甲、乙"
    in Chinese (the separator is a translation, so each language says its own)."""
    return pgettext("separator between the items of a list", ", ").join(str(i) for i in items)
