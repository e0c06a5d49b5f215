"""Deterministic, explainable scoring: a pure function of (framework, answers).

No database, no HTTP, no clock, no randomness. Every number carries the inputs and
weights that produced it and what would lift it to the next level, so a report can
answer "why is my governance 42?".

The rules are versioned with the framework (`scoring_rules:` in its file, absent → 1),
so a framework's results never change: re-scoring rules-1 answers gives exactly what it
always gave (a frozen copy in tests/legacy_scoring_v1.py keeps it so).

Both rules (all weights and thresholds come from the framework content):
- item score: the item kind's points (kinds.py): maturity level L → (L − 1) × 25;
  choice → the option's score; figures are unscored (they count for completeness
  only). "Don't know" and blank are unknown.
- effective share of a dimension in the overall score: its shift's weight over all shift
  weights × its weight over its shift's dimension weights (`effective_shares`; they sum
  to 1). The priorities and the "share of overall" figure use it.
- known share of the result: the effective weight of known answers over the effective
  weight of every scored item that is not "not applicable"; below `provisional_below`
  (rules 1: 0.75) the result is *provisional*: shown so, and left out of peer statistics.

Rules 1:
- dimension: weighted mean of its known scored items, provided the known weight reaches
  `min_known_share` of the dimension's scored weight; otherwise not scored.
- shift: weighted mean of its scored dimensions; overall: weighted mean of scored shifts.
- maturity level: the highest level whose `min_score` the score reaches.

Rules 2 (gates at every level, levels on the answers' own scale):
- "not applicable" (only on items marked `not_applicable`) takes the item's weight out
  of its dimension; a dimension whose not-applicable weight exceeds
  `max_not_applicable_share` of its scored weight is not scored ("mostly not applicable").
- dimension: weighted mean of known items when the known weight reaches
  `min_known_share` of the applicable weight; otherwise not scored.
- shift: weighted mean of its scored dimensions, only when they hold at least
  `min_scored_share` of the shift's dimension weight; otherwise not scored.
- overall: weighted mean of the shifts (explicit weights), only when every shift is scored.
- maturity level: level L from (L − 1) × 25 points, the points of a level-L answer, so a
  dimension, shift or overall whose answers are all level L is level L, and mixed answers
  never round up (4 and 5 → 87.5, level 4).
- tier: `tier_rule.not_yet` when no condition is met and the overall level is below
  `not_yet_below_level` (or unscored): a company on neither path yet.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from decimal import Decimal
from typing import Any, cast

from . import kinds
from .framework import Dimension, Framework, ItemDef


@dataclass(frozen=True)
class AnswerValue:
    level: int | None = None
    choice: str = ""
    number: Decimal | None = None
    dont_know: bool = False
    not_applicable: bool = False

    @property
    def known(self) -> bool:
        return not (self.dont_know or self.not_applicable) and (
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
    # "" when scored; "insufficient" when too few answers to score; rules 2:
    # "not_applicable" when more than the allowed share is "not applicable"
    note: str = ""
    na_share: float = 0.0  # share of its scored weight answered "not applicable"


@dataclass
class ShiftScore:
    code: str
    score: float | None
    level: int | None
    contributions: list[Contribution]
    next_level_at: float | None
    known_share: float = 0.0  # of its applicable scored weight, as for the whole result
    scored_share: float = 0.0  # of its dimension weight in scored dimensions
    note: str = ""  # rules 2: "insufficient" when too little of its weight is scored


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
    scoring_rules: int = 1
    known_share: float = 0.0  # effective weight of known answers over applicable weight
    provisional: bool = False  # known_share below the framework's `provisional_below`
    note: str = ""  # rules 2: "shifts_unscored" when the overall waits for a shift

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
    if _is_na(item, value):
        return kinds.NOT_APPLICABLE
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


def _is_na(item: ItemDef, value: AnswerValue | None) -> bool:
    # Only where the framework allows it; anywhere else it is as good as unanswered.
    return value is not None and value.not_applicable and item.not_applicable


def _level(fw: Framework, score: float | None) -> int | None:
    if score is None:
        return None
    if fw.scoring_rules < 2:
        return fw.level_for(score).level
    # Rounded first so that a mean of equal answers, off by a float's last bit, keeps
    # their level; a real mix of answers is never within 1e-6 of a level's start.
    return fw.level_for(round(score, 6)).level


def _score_dimension(
    fw: Framework, dim: Dimension, answers: Mapping[str, AnswerValue]
) -> DimensionScore:
    """Both rules: the weighted mean of the known scored items, when enough is known.

    Rules 2 also takes "not applicable" weight out of the dimension (and refuses one that is
    mostly not applicable) and reads levels on the answers' own scale (`_level`)."""
    rules2 = fw.scoring_rules >= 2
    contributions: list[Contribution] = []
    pairs: list[tuple[float, float]] = []
    scored_weight = na_weight = 0.0
    for item in dim.items:
        if not item.scored:
            continue
        value = answers.get(item.code)
        score = item_score(item, value)
        scored_weight += item.weight
        if rules2 and _is_na(item, value):
            na_weight += item.weight
        contributions.append(Contribution(item.code, score, item.weight, answer_label(item, value)))
        if score is not None:
            pairs.append((score, item.weight))
    known_weight = sum(w for _s, w in pairs)
    applicable = scored_weight - na_weight
    known_share = known_weight / applicable if applicable > 0 else 0.0
    na_share = na_weight / scored_weight if scored_weight else 0.0
    note = ""
    if na_share > fw.max_not_applicable_share:
        note = "not_applicable"
    elif not pairs or known_share < fw.min_known_share:
        note = "insufficient"
    score = _weighted_mean(pairs) if not note else None
    return DimensionScore(
        code=dim.code,
        shift=dim.shift_code,
        score=_round(score),
        level=_level(fw, score),
        known_share=round(known_share, 4),
        contributions=contributions,
        next_level_at=_next_level_at(fw, score),
        lifts=_lifts(dim, answers, known_weight) if score is not None else [],
        note=note,
        na_share=round(na_share, 4),
    )


def effective_shares(fw: Framework) -> dict[str, float]:
    """Each dimension's share of the overall score: its shift's share of all shift weight
    × its share of its shift's dimension weight. They sum to 1."""
    total = sum(s.weight for s in fw.shifts)
    shares: dict[str, float] = {}
    for shift in fw.shifts:
        dims = sum(d.weight for d in shift.dimensions)
        for d in shift.dimensions:
            shares[d.code] = shift.weight / total * d.weight / dims
    return shares


def _known_weights(
    fw: Framework, dimensions: list[DimensionScore]
) -> dict[str, tuple[float, float]]:
    """(known, applicable) effective weight per dimension, from its contributions."""
    shares = effective_shares(fw)
    out: dict[str, tuple[float, float]] = {}
    for ds in dimensions:
        scored = sum(c.weight for c in ds.contributions)
        if scored <= 0:
            out[ds.code] = (0.0, 0.0)
            continue
        known = sum(c.weight for c in ds.contributions if c.score is not None)
        na = sum(c.weight for c in ds.contributions if c.answer == kinds.NOT_APPLICABLE)
        share = shares[ds.code]
        out[ds.code] = (share * known / scored, share * (scored - na) / scored)
    return out


def known_share(weights: Mapping[str, tuple[float, float]], codes: list[str]) -> float:
    known = sum(weights[c][0] for c in codes)
    applicable = sum(weights[c][1] for c in codes)
    return round(known / applicable, 4) if applicable > 0 else 0.0


def provisional_from_result(fw: Framework, result: Mapping[str, Any]) -> bool:
    """Whether a stored result (ScoreResult.as_dict) is provisional, recomputed from its
    dimensions' contributions: for results stored before the flag existed."""
    return known_share_of_result(fw, result) < fw.provisional_below


def known_share_of_result(fw: Framework, result: Mapping[str, Any]) -> float:
    """A stored result's known share, also for results stored before it was."""
    dims = [
        DimensionScore(
            code=d["code"],
            shift=d["shift"],
            score=d["score"],
            level=d["level"],
            known_share=d["known_share"],
            contributions=[Contribution(**c) for c in d["contributions"]],
            next_level_at=d["next_level_at"],
        )
        for d in result["dimensions"]
    ]
    return known_share(_known_weights(fw, dims), [d.code for d in dims])


def _stage_heatmap(fw: Framework, answers: Mapping[str, AnswerValue]) -> list[StageCell]:
    heatmap: list[StageCell] = []
    stage_items = {i.value_chain_stage: i for i in fw.iter_items() if i.value_chain_stage}
    for stage in fw.stages:
        stage_item = stage_items.get(stage.code)
        value = answers.get(stage_item.code) if stage_item else None
        option = stage_item.option(value.choice) if stage_item and value and value.known else None
        depth = option.code if option else ""
        if stage_item and _is_na(stage_item, value):
            depth = kinds.NOT_APPLICABLE
        heatmap.append(StageCell(stage.code, depth, option.score if option else None))
    return heatmap


def _tier_reasons(
    fw: Framework,
    heatmap: list[StageCell],
    by_dim: Mapping[str, DimensionScore],
    shifts: list[ShiftScore],
) -> list[TierReason]:
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
    return reasons


def _balance(fw: Framework, by_dim: Mapping[str, DimensionScore]) -> dict[str, float | None]:
    balance: dict[str, float | None] = {}
    for role in fw.value_roles:
        role_pairs: list[tuple[float, float]] = []
        for d in fw.dimensions:
            dim_score = by_dim[d.code].score
            if d.value_role == role.code and dim_score is not None:
                role_pairs.append((dim_score, d.weight))
        balance[role.code] = _round(_weighted_mean(role_pairs))
    return balance


def score(fw: Framework, answers: Mapping[str, AnswerValue]) -> ScoreResult:
    """Score an assessment. `answers` maps item codes to values; unknown codes are ignored."""
    if fw.scoring_rules >= 2:
        return _score2(fw, answers)
    return _score1(fw, answers)


def _score1(fw: Framework, answers: Mapping[str, AnswerValue]) -> ScoreResult:
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
                level=_level(fw, s),
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
    level = _level(fw, overall)

    def tier_of(met_count: int) -> str:
        return fw.tier_rule.target if met_count >= fw.tier_rule.min_met else fw.tier_rule.otherwise

    return _result(fw, answers, overall, level, shifts, dimensions, tier_of, note="")


def _shares_fill(
    fw: Framework, shifts: list[ShiftScore], weights: Mapping[str, tuple[float, float]]
) -> None:
    """Each shift's known share and scored share of its dimension weight (both rules)."""
    for ss, shift in zip(shifts, fw.shifts, strict=True):
        codes = [d.code for d in shift.dimensions]
        ss.known_share = known_share(weights, codes)
        total = sum(d.weight for d in shift.dimensions)
        scored = sum(c.weight for c in ss.contributions if c.score is not None)
        ss.scored_share = round(scored / total, 4) if total else 0.0


def _score2(fw: Framework, answers: Mapping[str, AnswerValue]) -> ScoreResult:
    dimensions: list[DimensionScore] = []
    shifts: list[ShiftScore] = []
    for shift in fw.shifts:
        dim_scores = [_score_dimension(fw, d, answers) for d in shift.dimensions]
        dimensions.extend(dim_scores)
        pairs = [
            (ds.score, d.weight)
            for ds, d in zip(dim_scores, shift.dimensions, strict=True)
            if ds.score is not None
        ]
        total = sum(d.weight for d in shift.dimensions)
        scored_share = sum(w for _s, w in pairs) / total if total else 0.0
        enough = bool(pairs) and scored_share >= fw.min_scored_share
        s = _weighted_mean(pairs) if enough else None
        shifts.append(
            ShiftScore(
                code=shift.code,
                score=_round(s),
                level=_level(fw, s),
                contributions=[
                    Contribution(d.code, ds.score, d.weight)
                    for ds, d in zip(dim_scores, shift.dimensions, strict=True)
                ],
                next_level_at=_next_level_at(fw, s),
                note="" if enough else "insufficient",
            )
        )
    every_shift = all(ss.score is not None for ss in shifts)
    overall = (
        _weighted_mean(
            [(ss.score, sh.weight) for ss, sh in zip(shifts, fw.shifts, strict=True)]  # type: ignore[misc]
        )
        if every_shift
        else None
    )
    level = _level(fw, overall)
    rule = fw.tier_rule

    def tier_of(met_count: int) -> str:
        if met_count >= rule.min_met:
            return rule.target
        if rule.not_yet and met_count == 0 and (level is None or level < rule.not_yet_below_level):
            return rule.not_yet
        return rule.otherwise

    note = "" if every_shift else "shifts_unscored"
    return _result(fw, answers, overall, level, shifts, dimensions, tier_of, note=note)


def _result(
    fw: Framework,
    answers: Mapping[str, AnswerValue],
    overall: float | None,
    level: int | None,
    shifts: list[ShiftScore],
    dimensions: list[DimensionScore],
    tier_of: Callable[[int], str],
    *,
    note: str,
) -> ScoreResult:
    """What both rule sets report once shifts and the overall score are known; only the
    level and the tier rule (`tier_of`, from the number of tier conditions met) differ."""
    by_dim = {d.code: d for d in dimensions}
    heatmap = _stage_heatmap(fw, answers)
    reasons = _tier_reasons(fw, heatmap, by_dim, shifts)
    met_count = sum(1 for r in reasons if r.met)
    weights = _known_weights(fw, dimensions)
    _shares_fill(fw, shifts, weights)
    share = known_share(weights, list(by_dim))
    return ScoreResult(
        framework_version=fw.version,
        overall=_round(overall),
        level=level,
        overall_contributions=[
            Contribution(sh.code, ss.score, sh.weight)
            for ss, sh in zip(shifts, fw.shifts, strict=True)
        ],
        next_level_at=_next_level_at(fw, overall),
        shifts=shifts,
        dimensions=dimensions,
        tier=tier_of(met_count),
        tier_reasons=reasons,
        tier_met=met_count,
        heatmap=heatmap,
        balance=_balance(fw, by_dim),
        completeness=completeness(fw, answers),
        scoring_rules=fw.scoring_rules,
        known_share=share,
        provisional=share < fw.provisional_below,
        note=note,
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
            # "Not applicable" is an answer (rules 2 only; never a gap), not a known value.
            if value is not None and (value.known or _is_na(item, value)):
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
