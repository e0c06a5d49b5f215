"""Method: the level thresholds and the rules behind the scores and peer statistics."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.framework import Framework
from assessments.scoring import effective_shares

from ..benchmarks import min_group_size


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
    )
