"""Where the company stands in its primary peer group, overall and per shift: one strip
each (reports.charts.strip) and the same in plain words, under the disclosure rules in force
(reports.benchmarks): quartiles and a percentile only from PEER_DETAIL_MIN peers, a rounded
median and below / around / above with fewer, nothing for a withheld group."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import charts
from ..benchmarks import Stat
from .changes import whole
from .peers import Peers
from .scores import Scores


@dataclass(frozen=True)
class Position:
    name: str
    n: int
    mine: int | None
    stat: Stat
    words: str  # the strip in a sentence: its accessible name and the caption beside it
    svg: SafeString


def _words(stat: Stat, mine: int | None) -> str:
    # Chinese runs sentences on after its full stop; English puts a space between them.
    gap = "" if (get_language() or "").startswith("zh") else " "
    median = whole(stat.median)
    if stat.has_spread:
        text = _(
            "The middle half of the %(n)s companies scored between %(q1)s and %(q3)s; "
            "the median was %(median)s."
        ) % {"n": stat.n, "q1": whole(stat.q1), "q3": whole(stat.q3), "median": median}
    else:
        text = _("With %(n)s companies only a rounded median is shown: about %(median)s.") % {
            "n": stat.n,
            "median": median,
        }
    if mine is None:
        return text + gap + _("You have no score here.")
    if stat.percentile is not None:
        return (
            text
            + gap
            + _("You scored %(mine)s, higher than about %(pct)s%% of them.")
            % {"mine": mine, "pct": whole(stat.percentile)}
        )
    return (
        text
        + gap
        + _("You scored %(mine)s: %(position)s.") % {"mine": mine, "position": stat.position_label}
    )


def _position(name: str, stat: Stat | None) -> Position | None:
    if stat is None or stat.median is None:
        return None
    mine = whole(stat.mine)
    words = _words(stat, mine)
    svg = charts.strip(
        mine=stat.mine,
        median=stat.median,
        q1=stat.q1 if stat.has_spread else None,
        q3=stat.q3 if stat.has_spread else None,
        coarse=stat.coarse,
        label=f"{name}: {words}",
    )
    return Position(name=name, n=stat.n, mine=mine, stat=stat, words=words, svg=svg)


def positions_section(*, scores: Scores, peers: Peers) -> list[Position]:
    """Empty when no group may be shown. Built in the active language."""
    group = peers.primary
    if group is None:
        return []
    rows = [_position(_("Overall"), group.overall)]
    rows += [_position(s["name"], group.shifts.get(s["code"])) for s in scores.result["shifts"]]
    return [r for r in rows if r is not None]
