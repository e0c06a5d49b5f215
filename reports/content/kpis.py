"""Key figures: the company's own figures (AI spend, AI capex, weekly AI users…, the items
of a kind with `kpi` in assessments/kinds.py) as frozen at submission, beside the median of
each peer group shown and the change since the previous submitted assessment.

Peer medians come from the same releases and disclosure rules as the scores
(reports.benchmarks, through the `peers` section): a group shows a figure only when at
least PEER_MIN_GROUP other issuers gave it and it is not within 1–4 contributors of a
group already shown; with fewer than 10 a coarse median (one significant figure, never
finer than a whole unit), from 10 the median and middle half in whole units. A figure
that was not given is shown as "—", never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assessments import kinds
from assessments.framework import Framework
from assessments.models import ScoreSnapshot

from ..benchmarks import Stat
from .peers import Peers

MISSING = "—"


@dataclass(frozen=True)
class KpiPeer:
    """One peer group's median of one figure; `median` is "" when the group shows none."""

    median: str
    spread: str  # "q1–q3" from 10 peers, else ""
    coarse: bool


@dataclass(frozen=True)
class Kpi:
    code: str
    name: str  # the question, in the reader's language
    unit: str
    value: float | None
    value_text: str  # in the item's own decimals, "—" when not given
    before: float | None  # the previous submitted assessment's figure
    before_text: str
    delta: float | None
    delta_text: str  # signed, "—" unless both figures are known
    peers: list[KpiPeer]  # one per group of Kpis.groups, in that order


@dataclass(frozen=True)
class Kpis:
    items: list[Kpi]
    groups: list[str]  # the names of the peer groups shown (columns), largest first
    previous_date: datetime | None  # when the previous figures were frozen; None: first time

    @property
    def any_value(self) -> bool:
        return any(k.value is not None for k in self.items)


def _number(value: float | None, decimals: int) -> str:
    if value is None:
        return MISSING
    return f"{value + 0.0:,.{decimals}f}"  # + 0.0: no "-0"


def _signed(value: float | None, decimals: int) -> str:
    if value is None:
        return MISSING
    if round(value, decimals) == 0:
        return _number(0.0, decimals)
    return f"{value:+,.{decimals}f}"


def _peer(stat: Stat | None) -> KpiPeer:
    if stat is None or stat.median is None:
        return KpiPeer(median="", spread="", coarse=False)
    spread = f"{_number(stat.q1, 0)}–{_number(stat.q3, 0)}" if stat.has_spread else ""
    return KpiPeer(median=_number(stat.median, 0), spread=spread, coarse=stat.coarse)


def kpis_section(
    *,
    snapshot: ScoreSnapshot,
    previous: ScoreSnapshot | None,
    peers: Peers,
    fw: Framework,
    language: str,
) -> Kpis:
    """`previous` is the issuer's previous submitted snapshot (changes.previous_snapshot)."""
    mine = snapshot.kpis or {}
    before_all = (previous.kpis or {}) if previous is not None else {}
    shown = [g for g in peers.groups if g.shown]
    items = []
    for item in kinds.kpi_items(fw):
        value, before = mine.get(item.code), before_all.get(item.code)
        delta = None if value is None or before is None else round(value - before, item.decimals)
        items.append(
            Kpi(
                code=item.code,
                name=item.text.get(language),
                unit=item.unit.get(language) if item.unit else "",
                value=value,
                value_text=_number(value, item.decimals),
                before=before,
                before_text=_number(before, item.decimals),
                delta=delta,
                delta_text=_signed(delta, item.decimals),
                peers=[_peer(g.kpis.get(item.code)) for g in shown],
            )
        )
    return Kpis(
        items=items,
        groups=[g.name for g in shown],
        previous_date=previous.created_at if previous is not None else None,
    )
