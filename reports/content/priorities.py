"""Priorities: for every scored dimension below the top level, the points to its next level
weighted by its effective share of the overall score (scoring.effective_shares: its shift's
share × its share within the shift), highest first."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.framework import Framework
from assessments.scoring import effective_shares

from .scores import Scores

LIMIT = 8


@dataclass(frozen=True)
class Priority:
    name: str
    shift: str
    level: int
    level_name: str
    target: int
    target_name: str
    gap: float  # points to the next level
    weight: float  # the dimension's effective share of the overall score, in percent
    priority: float  # gap × share: the overall points reaching the next level would add
    first_step: str


def priorities_section(
    *, scores: Scores, fw: Framework, language: str, limit: int = LIMIT
) -> list[Priority]:
    shares = effective_shares(fw)
    priorities = []
    for s in scores.result["shifts"]:
        for d in s["dimensions"]:
            if d["score"] is None or d["next_level_at"] is None:
                continue
            gap = d["next_level_at"] - d["score"]
            share = shares[d["code"]]
            priorities.append(
                Priority(
                    name=d["name"],
                    shift=s["name"],
                    level=d["level"],
                    level_name=d["level_name"],
                    target=d["level"] + 1,
                    target_name=fw.levels[d["level"]].name.get(language),
                    gap=round(gap, 1),
                    weight=round(100 * share, 1),
                    priority=round(gap * share, 2),
                    first_step=d["recommendation"],
                )
            )
    priorities.sort(key=lambda p: (-p.priority, p.name))
    return priorities[:limit]
