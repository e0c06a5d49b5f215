# mypy: disable-error-code="arg-type"
"""Frozen copy of scoring.py before scoring rules 2 (rules 1): the reference that rules-1
results must keep equalling (test_scoring_rules.py). Never edit.

Original docstring: deterministic, explainable scoring: a pure function of (framework, answers).

No database, no HTTP, no clock, no randomness. Every number carries the inputs and
weights that produced it and what would lift it to the next level, so a report can
answer "why is my governance 42?".

Rules (all weights and thresholds come from the framework content):
- item score: the item kind's points (kinds.py): maturity level L → (L − 1) × 25;
  choice → the option's score; figures are unscored (they count for completeness
  only). "Don't know" and blank are unknown.
- dimension: weighted mean of its known scored items, provided the known weight reaches
  `min_known_share` of the dimension's scored weight; otherwise not scored.
- shift: weighted mean of its scored dimensions; overall: weighted mean of scored shifts.
- maturity level: the highest level whose `min_score` the score reaches.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any, cast

from assessments import kinds
from assessments.framework import Dimension, Framework, ItemDef


@dataclass(frozen=True)
class AnswerValue:
    level: int | None = None
    choice: str = ""
    number: Decimal | None = None
    dont_know: bool = False

    @property
    def known(self) -> bool:
        return not self.dont_know and (
            self.level is not None or bool(self.choice) or self.number is not None
        )


@dataclass(frozen=True)
class Contribution:
    code: str  # item or dimension or shift code
    score: float | None
    weight: float
    answer: str = ""  # e.g. "3", "pilot", "dont_know", ""


@dataclass(frozen=True)
class Lift:
    item: str
    from_answer: str
    to_answer: str
    gain: float  # points added to the dimension score


@dataclass
class DimensionScore:
    code: str
    shift: str
    score: float | None
    level: int | None
    known_share: float
    contributions: list[Contribution]
    next_level_at: float | None
    lifts: list[Lift] = field(default_factory=list)
    note: str = ""  # "insufficient" when too few answers to score


@dataclass
class ShiftScore:
    code: str
    score: float | None
    level: int | None
    contributions: list[Contribution]
    next_level_at: float | None


@dataclass
class TierReason:
    code: str
    met: bool
    observed: float | None


@dataclass
class StageCell:
    stage: str
    depth: str  # depth code, or "" when unknown
    score: float | None


@dataclass
class Gap:
    item: str
    shift: str
    reason: str  # "unanswered" | "dont_know"
    mandatory: bool


@dataclass
class Completeness:
    answered: int
    total: int
    percent: float
    by_shift: dict[str, tuple[int, int]]
    missing_mandatory: list[str]
    gaps: list[Gap]


@dataclass
class ScoreResult:
    framework_version: str
    overall: float | None
    level: int | None
    overall_contributions: list[Contribution]
    next_level_at: float | None
    shifts: list[ShiftScore]
    dimensions: list[DimensionScore]
    tier: str
    tier_reasons: list[TierReason]
    tier_met: int
    heatmap: list[StageCell]
    balance: dict[str, float | None]
    completeness: Completeness

    def as_dict(self) -> dict[str, Any]:
        """The same dict as dataclasses.asdict, built two to four times faster.

        asdict deep-copies every leaf; a result holds only dataclasses, lists, tuples,
        dicts and immutable scalars, so walking it directly gives an equal, independent
        dict (every snapshot stores one; the market generator makes 13,000 at a time).
        """
        return cast(dict[str, Any], _plain(self))

    def dimension(self, code: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.code == code)

    def shift(self, code: str) -> ShiftScore:
        return next(s for s in self.shifts if s.code == code)


_SCALARS = frozenset({str, int, float, bool, type(None), Decimal})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(obj: Any) -> Any:
    cls: type = obj.__class__
    if cls in _SCALARS:
        return obj
    if cls is list:
        return [_plain(v) for v in obj]
    if cls is dict:
        return {_plain(k): _plain(v) for k, v in obj.items()}
    if cls is tuple:
        return tuple([_plain(v) for v in obj])
    names = _FIELD_NAMES.get(cls)
    if names is None:
        if not is_dataclass(obj):
            return copy.deepcopy(obj)  # anything else, as dataclasses.asdict copies it
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(obj))
    return {name: _plain(getattr(obj, name)) for name in names}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def answer_label(item: ItemDef, value: AnswerValue | None) -> str:
    if value is None:
        return ""
    if value.dont_know:
        return "dont_know"
    return kinds.of(item).answer_code(item, value)


def item_score(item: ItemDef, value: AnswerValue | None) -> float | None:
    """Score 0–100 of one answer, or None when unknown or unscored."""
    if value is None or not value.known or not item.scored:
        return None
    return kinds.of(item).points(item, value)


def _weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    total = sum(w for _s, w in pairs)
    if total <= 0:
        return None
    return sum(s * w for s, w in pairs) / total


def _next_level_at(fw: Framework, score: float | None) -> float | None:
    if score is None:
        return None
    higher = [lv.min_score for lv in fw.levels if lv.min_score > score]
    return min(higher) if higher else None


def _lifts(dim: Dimension, answers: Mapping[str, AnswerValue], known_weight: float) -> list[Lift]:
    """One step up on each known scored item, best gain first: what would lift the score."""
    lifts: list[Lift] = []
    if known_weight <= 0:
        return lifts
    for item in dim.items:
        value = answers.get(item.code)
        current = item_score(item, value)
        if current is None or value is None:
            continue
        step = kinds.of(item).step_up(item, value, current)
        if step is None:
            continue
        better, to = step
        gain = (better - current) * item.weight / known_weight
        lifts.append(Lift(item.code, answer_label(item, value), to, round(gain, 2)))
    lifts.sort(key=lambda lift: (-lift.gain, lift.item))
    return lifts[:3]


def _score_dimension(
    fw: Framework, dim: Dimension, answers: Mapping[str, AnswerValue]
) -> DimensionScore:
    contributions: list[Contribution] = []
    pairs: list[tuple[float, float]] = []
    scored_weight = 0.0
    for item in dim.items:
        if not item.scored:
            continue
        value = answers.get(item.code)
        score = item_score(item, value)
        scored_weight += item.weight
        contributions.append(Contribution(item.code, score, item.weight, answer_label(item, value)))
        if score is not None:
            pairs.append((score, item.weight))
    known_weight = sum(w for _s, w in pairs)
    known_share = known_weight / scored_weight if scored_weight else 0.0
    score = _weighted_mean(pairs) if pairs and known_share >= fw.min_known_share else None
    return DimensionScore(
        code=dim.code,
        shift=dim.shift_code,
        score=_round(score),
        level=None if score is None else fw.level_for(score).level,
        known_share=round(known_share, 4),
        contributions=contributions,
        next_level_at=_next_level_at(fw, score),
        lifts=_lifts(dim, answers, known_weight) if score is not None else [],
        note="" if score is not None else "insufficient",
    )


def score(fw: Framework, answers: Mapping[str, AnswerValue]) -> ScoreResult:
    """Score an assessment. `answers` maps item codes to values; unknown codes are ignored."""
    dimensions: list[DimensionScore] = []
    shifts: list[ShiftScore] = []
    for shift in fw.shifts:
        dim_scores = [_score_dimension(fw, d, answers) for d in shift.dimensions]
        dimensions.extend(dim_scores)
        s = _weighted_mean(
            [
                (ds.score, d.weight)
                for ds, d in zip(dim_scores, shift.dimensions, strict=True)
                if ds.score is not None
            ]
        )
        shifts.append(
            ShiftScore(
                code=shift.code,
                score=_round(s),
                level=None if s is None else fw.level_for(s).level,
                contributions=[
                    Contribution(d.code, ds.score, d.weight)
                    for ds, d in zip(dim_scores, shift.dimensions, strict=True)
                ],
                next_level_at=_next_level_at(fw, s),
            )
        )
    overall = _weighted_mean(
        [
            (ss.score, sh.weight)
            for ss, sh in zip(shifts, fw.shifts, strict=True)
            if ss.score is not None
        ]
    )
    by_dim = {d.code: d for d in dimensions}

    heatmap: list[StageCell] = []
    stage_items = {i.value_chain_stage: i for i in fw.iter_items() if i.value_chain_stage}
    for stage in fw.stages:
        stage_item = stage_items.get(stage.code)
        value = answers.get(stage_item.code) if stage_item else None
        option = stage_item.option(value.choice) if stage_item and value and value.known else None
        heatmap.append(
            StageCell(stage.code, option.code if option else "", option.score if option else None)
        )

    reasons: list[TierReason] = []
    for cond in fw.tier_rule.conditions:
        if cond.kind == "value_chain_stages":
            threshold = next(d.score for d in fw.depths if d.code == cond.depth)
            count = sum(1 for c in heatmap if c.score is not None and c.score >= threshold)
            reasons.append(TierReason(cond.code, count >= cond.min_count, float(count)))
        else:
            observed = (
                by_dim[cond.target].score
                if cond.kind == "dimension_min"
                else next(s.score for s in shifts if s.code == cond.target)
            )
            met = observed is not None and observed >= cond.min_score
            reasons.append(TierReason(cond.code, met, observed))
    met_count = sum(1 for r in reasons if r.met)
    tier = fw.tier_rule.target if met_count >= fw.tier_rule.min_met else fw.tier_rule.otherwise

    balance: dict[str, float | None] = {}
    for role in fw.value_roles:
        role_pairs: list[tuple[float, float]] = []
        for d in fw.dimensions:
            dim_score = by_dim[d.code].score
            if d.value_role == role.code and dim_score is not None:
                role_pairs.append((dim_score, d.weight))
        balance[role.code] = _round(_weighted_mean(role_pairs))

    return ScoreResult(
        framework_version=fw.version,
        overall=_round(overall),
        level=None if overall is None else fw.level_for(overall).level,
        overall_contributions=[
            Contribution(sh.code, ss.score, sh.weight)
            for ss, sh in zip(shifts, fw.shifts, strict=True)
        ],
        next_level_at=_next_level_at(fw, overall),
        shifts=shifts,
        dimensions=dimensions,
        tier=tier,
        tier_reasons=reasons,
        tier_met=met_count,
        heatmap=heatmap,
        balance=balance,
        completeness=completeness(fw, answers),
    )


def completeness(fw: Framework, answers: Mapping[str, AnswerValue]) -> Completeness:
    """Known answers over all items; "don't know" counts as a gap, never as a score."""
    gaps: list[Gap] = []
    missing: list[str] = []
    by_shift: dict[str, tuple[int, int]] = {}
    answered = total = 0
    for shift in fw.shifts:
        s_answered = s_total = 0
        for item in shift.items:
            value = answers.get(item.code)
            s_total += 1
            if value is not None and value.known:
                s_answered += 1
                continue
            reason = "dont_know" if value is not None and value.dont_know else "unanswered"
            gaps.append(Gap(item.code, shift.code, reason, item.mandatory))
            if item.mandatory and reason == "unanswered":
                missing.append(item.code)
        by_shift[shift.code] = (s_answered, s_total)
        answered += s_answered
        total += s_total
    return Completeness(
        answered=answered,
        total=total,
        percent=round(100.0 * answered / total, 2) if total else 0.0,
        by_shift=by_shift,
        missing_mandatory=missing,
        gaps=gaps,
    )
