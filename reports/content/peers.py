"""How you compare: the anonymised peer groups (one query, reports.benchmarks), their names,
and the primary group the rest of the result compares against."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from assessments.models import ScoreSnapshot

from ..benchmarks import PeerGroup, Stat, peer_benchmarks

# The group a result compares against when several are shown: the programme's own cohort
# first, then the whole market, then the narrower groups.
PRIMARY_ORDER = ("cohort", "all", "industry", "size", "board")


@dataclass(frozen=True)
class GroupView:
    key: str
    name: str
    n: int
    shown: bool
    reason: str
    overall: Stat | None
    shifts: dict[str, Stat]
    kpis: dict[str, Stat] = field(default_factory=dict)  # key figures, by item code


@dataclass(frozen=True)
class Peers:
    groups: list[GroupView]  # largest first, withheld ones included (with their reason)
    primary: GroupView | None

    @property
    def primary_name(self) -> str:
        return self.primary.name if self.primary else ""


def group_name(key: str, snapshot: ScoreSnapshot) -> str:
    """The group as the snapshot froze it at submission (a later profile edit moves nothing)."""
    if key == "all":
        return _("All issuers")
    if key == "cohort" and snapshot.assessment.cohort:
        return _("Cohort: %(name)s") % {"name": snapshot.assessment.cohort.display_name}
    if key == "industry":
        return _("Industry: %(name)s") % {"name": snapshot.get_industry_display()}
    if key == "size":
        return _("Market capitalisation: %(name)s") % {
            "name": snapshot.get_market_cap_band_display()
        }
    return _("Board: %(name)s") % {"name": snapshot.get_board_display()}


def _view(group: PeerGroup, snapshot: ScoreSnapshot) -> GroupView:
    return GroupView(
        group.key,
        group_name(group.key, snapshot),
        group.n,
        group.shown,
        group.reason,
        group.overall,
        group.shifts,
        group.kpis,
    )


def peers_section(*, snapshot: ScoreSnapshot) -> Peers:
    """Group names are in the active language (the caller's translation.override)."""
    groups = [_view(g, snapshot) for g in peer_benchmarks(snapshot=snapshot)]
    shown = {g.key: g for g in groups if g.shown}
    primary = next((shown[key] for key in PRIMARY_ORDER if key in shown), None)
    return Peers(groups=groups, primary=primary)
