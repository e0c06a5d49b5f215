"""The disclosure rules of peer statistics, applied to the groups of a cohort.

A group's figure is shown only when at least `min_group_size()` (never below 5) companies
contribute to it, and withheld when its contributor set differs from an already shown
group's by 1 to min_group - 1 companies (differencing), larger groups first, for each
measure on its own contributor set: the same rule and code (`reports.benchmarks.
disclosure`) as an issuer's peer groups. Every group of the report (all companies, each
industry, size band and board, the previous year's cohort, the companies in both years)
is checked against every other shown one, so no two figures of the report can be
subtracted to isolate fewer than 5 companies. Shown figures follow `describe`: from 5 to
9 companies only a median rounded to 5 points (one significant figure for key figures),
from 10 median and middle half in whole units.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reports.benchmarks import SCORE_ROUNDING, Rounding, describe, disclosure, min_group_size

from .data import Member


@dataclass(frozen=True)
class Figure:
    """One measure of one group: n contributors, and what may be shown of them."""

    n: int
    shown: bool
    reason: str = ""  # "too_few" | "overlap" when withheld
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    coarse: bool = False

    @property
    def has_spread(self) -> bool:
        return self.shown and self.q1 is not None and self.q3 is not None

    @property
    def spread_width(self) -> float:
        """q3 - q1 (0 without a shown middle half): the width of the bar's band."""
        return (self.q3 or 0) - (self.q1 or 0) if self.has_spread else 0.0


WITHHELD = Figure(n=0, shown=False, reason="too_few")


def figure(values: Iterable[float], rounding: Rounding = SCORE_ROUNDING) -> Figure:
    """What `describe` lets us show of `values` (call only for a disclosed group)."""
    stat = describe(sorted(values), None, rounding)
    return Figure(
        n=stat.n, shown=True, median=stat.median, q1=stat.q1, q3=stat.q3, coarse=stat.coarse
    )


Measure = Callable[[Member], float | None]


def figures(
    groups: dict[str, list[Member]], measure: Measure, rounding: Rounding = SCORE_ROUNDING
) -> dict[str, Figure]:
    """Each group's figure of `measure`, with the disclosure rules applied across all of
    `groups` (keys in the order they should win ties, e.g. "all" first)."""
    # A company is in several groups (all, its industry, size band, board): measure it once.
    measured: dict[int, float | None] = {}
    values: dict[str, list[float]] = {}
    who: dict[str, set[int]] = {}
    for key, members in groups.items():
        vals, ids = [], set()
        for m in members:
            ref = id(m)
            if ref in measured:
                v = measured[ref]
            else:
                v = measured[ref] = measure(m)
            if v is not None:
                vals.append(v)
                ids.add(m.issuer_id)
        values[key], who[key] = vals, ids
    return disclosed(values, who, rounding)


def disclosed(
    values: dict[str, list[float]],
    who: dict[str, set],  # type: ignore[type-arg]
    rounding: Rounding = SCORE_ROUNDING,
    order: list[str] | None = None,
) -> dict[str, Figure]:
    """Figures of groups given as values and contributor sets (any hashable ids), decided
    in `order` (default: largest first, ties in the given order)."""
    keys = list(values)
    sizes = {k: len(who[k]) for k in keys}
    overlap = {frozenset((a, b)): len(who[a] & who[b]) for a, b in itertools.combinations(keys, 2)}
    order = order or size_order(keys, sizes)
    verdict = disclosure(order, sizes, overlap, min_group_size())
    return {
        k: figure(values[k], rounding)
        if not verdict[k]
        else Figure(n=sizes[k], shown=False, reason=verdict[k])
        for k in keys
    }


def size_order(keys: list[str], sizes: dict[str, int]) -> list[str]:
    return sorted(keys, key=lambda k: (-sizes[k], keys.index(k)))


def enough(n: int) -> bool:
    return n >= min_group_size()


def share(count: int, total: int) -> float | None:
    """A share of a group in whole per cent (of a group of at least min_group companies)."""
    return None if not total else round(100.0 * count / total)
