"""Method: the level thresholds and the rules behind the scores and peer statistics."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from assessments.framework import Framework
from assessments.scoring import effective_shares

from ..benchmarks import detail_min, min_group_size
from ..releases import release_step


@dataclass(frozen=True)
class Method:
    levels: list[tuple[int, float, str]]  # (level, from score, name)
    min_known_percent: int  # share of a dimension's weight that must be known to score it
    min_group: int  # other issuers a peer group needs to be shown
    scoring_rules: int  # the framework's rules (scoring.py): 1, or 2 with gates at every level
    provisional_below_percent: int  # a result with less of its weight known is provisional
    min_scored_percent: int  # rules 2: share of a shift's weight scored to score the shift
    max_not_applicable_percent: int  # rules 2: a dimension more "not applicable" is unscored
    # (shift, dimension, percent of the overall score) in framework order
    shares: list[tuple[str, str, float]]
    # The peer disclosure rules in force (settings), so no page states numbers of its own.
    detail_min: int  # peers needed for quartiles and percentiles
    coarse_rounding: int  # below detail_min, the median is rounded to this many points
    release_step: int  # figures change only after this many other companies changed


@dataclass(frozen=True)
class DisclosureRules:
    min_group: int
    detail_min: int
    coarse_rounding: int
    release_step: int


def disclosure_rules() -> DisclosureRules:
    """The peer disclosure rules in force, for pages that show no framework's results."""
    return DisclosureRules(
        min_group=min_group_size(),
        detail_min=detail_min(),
        coarse_rounding=int(settings.PEER_COARSE_ROUNDING),
        release_step=release_step(),
    )


def method_section(*, fw: Framework, language: str) -> Method:
    shares = effective_shares(fw)
    return Method(
        levels=[(lv.level, lv.min_score, lv.name.get(language)) for lv in fw.levels],
        min_known_percent=round(fw.min_known_share * 100),
        min_group=min_group_size(),
        scoring_rules=fw.scoring_rules,
        provisional_below_percent=round(fw.provisional_below * 100),
        min_scored_percent=round(fw.min_scored_share * 100),
        max_not_applicable_percent=round(fw.max_not_applicable_share * 100),
        shares=[
            (s.name.get(language), d.name.get(language), round(100 * shares[d.code], 1))
            for s in fw.shifts
            for d in s.dimensions
        ],
        detail_min=detail_min(),
        coarse_rounding=int(settings.PEER_COARSE_ROUNDING),
        release_step=release_step(),
    )
