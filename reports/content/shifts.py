"""One section per shift: its score against the primary peer group, its dimensions, and
which of them are strengths and which are gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assessments.framework import Framework

from ..benchmarks import Stat
from .peers import Peers
from .scores import Scores

STRENGTH_LEVEL = 3  # a dimension at this level or above is a strength
SHOWN = 2  # strengths and gaps named per shift


@dataclass(frozen=True)
class ShiftSection:
    code: str
    name: str
    purpose: str
    weight: float
    score: float | None
    level: int | None
    level_name: str
    next_level_at: float | None
    dimensions: list[dict[str, Any]]  # as in Scores.result["shifts"][i]["dimensions"]
    peer: Stat | None  # the primary group's statistic, when it has a median
    strengths: list[dict[str, Any]]
    gaps: list[dict[str, Any]]  # the weakest scored dimensions that are not strengths
    insufficient: list[dict[str, Any]]  # too few known answers to score
    unknown: list[dict[str, Any]]  # questions without a known answer (Scores.result["gaps"])
    share: float = 0.0  # percent of the overall score
    # When the shift is not scored: its unscored dimensions, each with `to_score`.
    unscored_dimensions: list[dict[str, Any]] = field(default_factory=list)


def shift_sections(
    *, scores: Scores, peers: Peers, fw: Framework, language: str
) -> list[ShiftSection]:
    r = scores.result
    sections = []
    for s in r["shifts"]:
        peer_stat = peers.primary.shifts.get(s["code"]) if peers.primary else None
        dims = s["dimensions"]
        scored = [d for d in dims if d["score"] is not None]
        strengths = sorted(
            (d for d in scored if d["level"] >= STRENGTH_LEVEL), key=lambda d: -d["score"]
        )[:SHOWN]
        weakest = sorted(scored, key=lambda d: d["score"])[:SHOWN]
        sections.append(
            ShiftSection(
                code=s["code"],
                name=s["name"],
                purpose=fw.shift(s["code"]).purpose.get(language),
                weight=s["weight"],
                score=s["score"],
                level=s["level"],
                level_name=s["level_name"],
                next_level_at=s["next_level_at"],
                dimensions=dims,
                peer=peer_stat if peer_stat and peer_stat.median is not None else None,
                strengths=strengths,
                gaps=[d for d in weakest if d not in strengths],
                insufficient=[d for d in dims if d["score"] is None],
                unknown=[g for g in r["gaps"] if g["shift"] == s["name"]],
                share=s["share"],
                unscored_dimensions=s["unscored_dimensions"],
            )
        )
    return sections
