"""Summary: the overall score, level, completeness, tier and the per-shift and per-dimension
scores with the inputs behind them, plus the strongest and weakest shift."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessments import presenters
from assessments.framework import Framework
from assessments.models import ScoreSnapshot


@dataclass(frozen=True)
class Scores:
    # assessments.presenters.results: the stored scores in the reader's language, each
    # number with its explanation (the templates call it `r`).
    result: dict[str, Any]
    strongest: dict[str, Any] | None  # a shift of `result["shifts"]`
    weakest: dict[str, Any] | None


def scores_section(*, snapshot: ScoreSnapshot, fw: Framework, language: str) -> Scores:
    result = presenters.results(fw, snapshot.result, language)
    # The snapshot's flag is the record (results stored before rules 2 got it by migration).
    result["provisional"] = snapshot.provisional
    scored = [s for s in result["shifts"] if s["score"] is not None]
    return Scores(
        result=result,
        strongest=max(scored, key=lambda s: s["score"], default=None),
        weakest=min(scored, key=lambda s: s["score"], default=None),
    )
