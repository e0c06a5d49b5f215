"""Anonymised peer statistics.

Peers are the other issuers' latest submissions on the same framework version, as published
in each peer group's latest release (reports.releases: a group's figures move only when at
least PEER_RELEASE_STEP issuers have changed). For each of the viewer's groups (all issuers,
cohort, industry, size band, board, as frozen in the viewer's snapshot) we show, overall
and per shift:

- nothing when fewer than PEER_MIN_GROUP (never below 5) *other* issuers contribute, or when
  the group's contributor set differs from a group already shown by 1 to PEER_MIN_GROUP - 1
  issuers (comparing the two would single out those few; groups are taken largest first);
- from 5 to PEER_DETAIL_MIN - 1 others: only the median rounded to PEER_COARSE_ROUNDING
  points and where the viewer stands (below / around / above it), so no shown figure is
  one peer's score;
- from PEER_DETAIL_MIN (10) others: median and quartiles in whole points, and the viewer's
  percentile rank.

Key figures (reports.releases.KPI measures) go through the same rules and the same code;
only their rounding differs, since their units differ (`KPI_ROUNDING`): a coarse median is
rounded to one significant figure, never finer than a whole unit, and detailed figures are
in whole units.

One query: the latest releases of the viewer's groups, whose decoded scores each process
keeps (reports.releases.release_measures; a second query for any not decoded yet)
(docs/SECURITY.md, "Peer statistics").
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from assessments.models import ScoreSnapshot

from .releases import KPI, OVERALL, Measure, group_keys, latest_releases, release_measures

GROUP_KEYS = ("all", "cohort", "industry", "size", "board")
POSITION_LABELS = {
    "below": _("below the median"),
    "around": _("around the median"),
    "above": _("above the median"),
}


@dataclass
class Stat:
    n: int
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    percentile: float | None = None  # the issuer's rank among the group, 0–100
    mine: float | None = None
    # "below" | "around" | "above" the median; "" when there is no median or no own score.
    position: str = ""
    # True when only the rounded median and the position are shown (fewer than 10 peers).
    coarse: bool = False

    @property
    def position_label(self) -> str:
        return str(POSITION_LABELS.get(self.position, ""))

    @property
    def has_spread(self) -> bool:
        return self.q1 is not None and self.q3 is not None


@dataclass
class PeerGroup:
    key: str
    n: int
    shown: bool
    reason: str = ""  # "too_few" | "overlap" when withheld
    overall: Stat | None = None
    shifts: dict[str, Stat] = field(default_factory=dict)
    kpis: dict[str, Stat] = field(default_factory=dict)  # by item code


@dataclass(frozen=True)
class Rounding:
    """How one measure's figures are shown: `coarse(median)` is the step a coarse median
    (fewer than PEER_DETAIL_MIN peers) is rounded to and the band "around" it spans;
    detailed figures are rounded to `fine`."""

    coarse: Callable[[float], float]
    fine: float = 1.0


def _score_step(_median: float) -> float:
    return float(settings.PEER_COARSE_ROUNDING)


def one_significant_figure(median: float) -> float:
    """The step that rounds `median` to one significant figure, never below a whole unit:
    2.37 → 1 (so 2), 37 → 10 (so 40), 137 → 100 (so 100)."""
    if median == 0:
        return 1.0
    return max(1.0, 10.0 ** math.floor(math.log10(abs(median))))


SCORE_ROUNDING = Rounding(coarse=_score_step)  # points: coarse to PEER_COARSE_ROUNDING
KPI_ROUNDING = Rounding(coarse=one_significant_figure)  # key figures, in their own unit


def _r(x: float | Decimal | None) -> float | None:
    return None if x is None else round(float(x), 2)


def percentile_of_sorted(values: list[float], fraction: float) -> float | None:
    """SQL percentile_cont over an ascending list: linear between the closest ranks."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def round_to(x: float, step: float) -> float:
    """Half up, to a multiple of `step` (Python's round() goes to the even neighbour)."""
    return float(math.floor(x / step + 0.5) * step)


def describe(values: list[float], mine: float | None, rounding: Rounding = SCORE_ROUNDING) -> Stat:
    """What may be shown of one group's values of one measure (ascending, the viewer's
    own left out)."""
    n = len(values)
    coarse = n < detail_min()
    median = percentile_of_sorted(values, 0.5)
    if median is None:
        return Stat(n=n, mine=_r(mine), coarse=coarse)
    step = rounding.coarse(median)
    if coarse:
        shown = round_to(median, step)
        return Stat(
            n=n, median=shown, mine=_r(mine), position=_position(mine, shown, step), coarse=True
        )
    q1, q3 = percentile_of_sorted(values, 0.25), percentile_of_sorted(values, 0.75)
    shown = round_to(median, rounding.fine)
    stat = Stat(
        n=n,
        q1=None if q1 is None else round_to(q1, rounding.fine),
        median=shown,
        q3=None if q3 is None else round_to(q3, rounding.fine),
        mine=_r(mine),
        position=_position(mine, shown, step),
    )
    if mine is not None:
        below = bisect.bisect_left(values, mine)
        equal = bisect.bisect_right(values, mine) - below
        stat.percentile = round_to(100.0 * (below + 0.5 * equal) / n, 1)
    return stat


def _position(mine: float | None, median: float, band: float) -> str:
    """Within `band` points of the (shown) median counts as around it."""
    if mine is None:
        return ""
    if mine < median - band:
        return "below"
    if mine > median + band:
        return "above"
    return "around"


def disclosure(
    order: list[str], sizes: dict[str, int], overlap: dict[frozenset[str], int], min_group: int
) -> dict[str, str]:
    """Which groups may be shown: "" for shown, else the reason it is withheld.

    `overlap[{a, b}]` is the number of contributors the two groups share. Groups are taken
    in `order` (largest first); a group is withheld when it has fewer than `min_group`
    contributors, or when its contributor set differs from an already shown group's by
    1 to min_group - 1 issuers.
    """
    verdict: dict[str, str] = {}
    shown: list[str] = []
    for key in order:
        n = sizes[key]
        if n < min_group:
            verdict[key] = "too_few"
            continue
        if any(
            0 < n + sizes[other] - 2 * overlap[frozenset((key, other))] < min_group
            for other in shown
        ):
            verdict[key] = "overlap"
            continue
        verdict[key] = ""
        shown.append(key)
    return verdict


def _mine(snapshot: ScoreSnapshot, measures: list[str]) -> dict[str, float | None]:
    own = {
        **(snapshot.shift_scores or {}),
        **{f"{KPI}{code}": v for code, v in (snapshot.kpis or {}).items()},
    }
    values = {OVERALL: snapshot.overall_score, **{m: own.get(m) for m in measures[1:]}}
    return {k: None if v is None else float(v) for k, v in values.items()}


def viewer_groups(snapshot: ScoreSnapshot) -> dict[str, tuple[int, str, str]]:
    """The snapshot's peer groups from what it froze at submission (and its cohort)."""
    return group_keys(
        framework_id=snapshot.framework_id,
        cohort_id=snapshot.assessment.cohort_id,
        industry=snapshot.industry,
        size=snapshot.market_cap_band,
        board=snapshot.board,
    )


def detail_min() -> int:
    """Peers a group needs for quartiles and percentiles: PEER_DETAIL_MIN, never below 10;
    below it only a rounded median and a below/around/above band are shown."""
    return max(10, settings.PEER_DETAIL_MIN)


def min_group_size(min_group: int | None = None) -> int:
    """Other issuers a group needs to be shown: PEER_MIN_GROUP, never below 5."""
    return max(5, min_group or settings.PEER_MIN_GROUP)


def peer_benchmarks(*, snapshot: ScoreSnapshot, min_group: int | None = None) -> list[PeerGroup]:
    """Peer groups for one snapshot, in display order, with withheld groups marked.

    One query: the latest releases of the snapshot's groups; a second for those this process
    has not decoded yet (plus, the first time a group is ever looked at, its first release).
    """
    min_group = min_group_size(min_group)
    releases = latest_releases(viewer_groups(snapshot))
    keys = [k for k in GROUP_KEYS if k in releases]
    decoded = release_measures(releases[k] for k in keys)
    by_group = {key: decoded[releases[key].pk] for key in keys}
    # Key figures: every one any of the groups published, the viewer's own figure or not.
    kpis = sorted({m for ms in by_group.values() for m in ms if m.startswith(KPI)})
    measures = [OVERALL, *sorted(snapshot.shift_scores or {}), *kpis]
    mine = _mine(snapshot, measures)
    me = snapshot.issuer_id
    empty = Measure(values=(), ids=frozenset(), value_of={})
    # Per measure and group: the release's contributors, the viewer among them or not.
    who: dict[str, dict[str, Measure]] = {
        m: {key: by_group[key].get(m, empty) for key in keys} for m in measures
    }

    def others(m: str, key: str) -> list[float]:
        """The group's values of `m` (ascending) without the viewer's own."""
        measure = who[m][key]
        values = list(measure.values)
        if me in measure.ids:
            del values[bisect.bisect_left(values, measure.value_of[me])]
        return values

    def sets(m: str) -> tuple[dict[str, int], dict[frozenset[str], int]]:
        groups = who[m]
        sizes = {k: len(groups[k].ids) - (me in groups[k].ids) for k in keys}
        overlap = {
            frozenset((a, b)): len(groups[a].ids & groups[b].ids)
            - (me in groups[a].ids and me in groups[b].ids)
            for a, b in itertools.combinations(keys, 2)
        }
        return sizes, overlap

    sizes, overlap = sets(OVERALL)
    order = sorted(keys, key=lambda k: (-sizes[k], GROUP_KEYS.index(k)))
    verdict = disclosure(order, sizes, overlap, min_group)
    result = {
        key: PeerGroup(key=key, n=sizes[key], shown=not verdict[key], reason=verdict[key])
        for key in keys
    }
    for key in keys:
        if result[key].shown:
            result[key].overall = describe(others(OVERALL, key), mine[OVERALL])
    for code in measures[1:]:
        s_sizes, s_overlap = sets(code)
        # The same measure on two different sets is what differencing exploits, so each
        # shift (and key figure) is checked on its own contributor sets (issuers with a
        # value for it).
        s_verdict = disclosure([k for k in order if result[k].shown], s_sizes, s_overlap, min_group)
        is_kpi = code.startswith(KPI)
        rounding = KPI_ROUNDING if is_kpi else SCORE_ROUNDING
        for key, reason in s_verdict.items():
            target = result[key].kpis if is_kpi else result[key].shifts
            name = code.removeprefix(KPI) if is_kpi else code
            if reason:
                target[name] = Stat(n=s_sizes[key], mine=_r(mine[code]))
            else:
                target[name] = describe(others(code, key), mine[code], rounding)
    return [result[k] for k in keys]
