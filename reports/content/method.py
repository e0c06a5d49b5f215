"""Method: the level thresholds and the rules behind the scores and peer statistics."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.framework import Framework

from ..benchmarks import min_group_size


@dataclass(frozen=True)
class Method:
    levels: list[tuple[int, float, str]]  # (level, from score, name)
    min_known_percent: int  # share of a dimension's weight that must be known to score it
    min_group: int  # other issuers a peer group needs to be shown


def method_section(*, fw: Framework, language: str) -> Method:
    return Method(
        levels=[(lv.level, lv.min_score, lv.name.get(language)) for lv in fw.levels],
        min_known_percent=round(fw.min_known_share * 100),
        min_group=min_group_size(),
    )
