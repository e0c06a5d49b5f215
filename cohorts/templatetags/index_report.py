"""How the index report writes a disclosed figure (`stats.Figure`), in the active language."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..index_report.stats import Figure

register = template.Library()


def _n(x: float, decimals: int = 0) -> str:
    return number_format(round(x, decimals), decimals)


@register.filter
def median(fig: Figure | None, decimals: int = 0) -> str:
    """ "45", "≈ 45" (rounded, fewer than 10 companies) or "not enough companies"."""
    if fig is None or not fig.shown or fig.median is None:
        return _("not enough companies")
    text = _n(fig.median, 0 if fig.coarse else decimals)
    return f"≈\u202f{text}" if fig.coarse else text


@register.filter
def spread(fig: Figure | None, decimals: int = 0) -> str:
    """The middle half "38–52", or "" when not shown (fewer than 10 companies)."""
    if fig is None or not fig.has_spread or fig.q1 is None or fig.q3 is None:
        return ""
    return f"{_n(fig.q1, decimals)}–{_n(fig.q3, decimals)}"


@register.filter
def signed(x: float | None) -> str:
    """A change in points: "+3", "−2", "0"; "—" when it cannot be shown."""
    if x is None:
        return "—"
    if round(x) == 0:
        return "0"
    return f"+{round(x):.0f}" if x > 0 else f"−{abs(round(x)):.0f}"


@register.filter
def percent(x: float | None) -> str:
    return "—" if x is None else f"{x:.0f}%"
