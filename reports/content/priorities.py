"""Priorities: for every scored dimension below the top level, the points to its next level
weighted by its share of the overall score, highest first."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.framework import Framework

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
    weight: float  # the dimension's weight in the overall score
    priority: float  # gap × weight
    first_step: str


def priorities_section(
    *, scores: Scores, fw: Framework, language: str, limit: int = LIMIT
) -> list[Priority]:
    priorities = []
    for s, shift in zip(scores.result["shifts"], fw.shifts, strict=True):
        for d in s["dimensions"]:
            if d["score"] is None or d["next_level_at"] is None:
                continue
            gap = d["next_level_at"] - d["score"]
            priorities.append(
                Priority(
                    name=d["name"],
                    shift=s["name"],
                    level=d["level"],
                    level_name=d["level_name"],
                    target=d["level"] + 1,
                    target_name=fw.levels[d["level"]].name.get(language),
                    gap=round(gap, 1),
                    weight=round(d["weight"] * shift.weight, 2),
                    priority=round(gap * d["weight"] * shift.weight, 1),
                    first_step=d["recommendation"],
                )
            )
    priorities.sort(key=lambda p: (-p.priority, p.name))
    return priorities[:limit]
