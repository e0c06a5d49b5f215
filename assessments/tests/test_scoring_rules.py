"""Scoring rules 2 (frameworks/v2.yaml) and the promise that rules 1 never change.

Pure: no database, no HTTP (the peer-statistics property lives in
reports/tests/test_provisional.py, through the database).
"""

from __future__ import annotations

import copy
import importlib
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import kinds
from assessments.framework import Framework, FrameworkError, ItemDef, parse_framework
from assessments.scoring import (
    AnswerValue,
    effective_shares,
    provisional_from_result,
    score,
)
from devdata.demo import random_profile, synthetic_answers

from . import legacy_scoring_v1 as legacy
from .test_scoring import _answer_strategy

pytestmark = pytest.mark.filterwarnings("ignore")

HYP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fw1(v1_content) -> Framework:
    return parse_framework(v1_content)


@pytest.fixture(scope="module")
def fw2(v2_content) -> Framework:
    return parse_framework(v2_content)


def _level_of(item: ItemDef, value: AnswerValue) -> int:
    points = kinds.of(item).points(item, value)
    assert points is not None
    return int(points // 25) + 1


def _at_level(item: ItemDef, level: int) -> AnswerValue | None:
    """A known answer of the item at `level`, or None when its scale has none."""
    if item.kind == "maturity":
        return AnswerValue(level=level)
    for option in item.options:
        if option.score == (level - 1) * 25:
            return AnswerValue(choice=option.code)
    return None


def _unknown(item: ItemDef, rng: random.Random) -> AnswerValue | None:
    pick = rng.choice(["blank", "dk", "na"] if item.not_applicable else ["blank", "dk"])
    if pick == "blank":
        return None
    return AnswerValue(dont_know=True) if pick == "dk" else AnswerValue(not_applicable=True)


def _answers2(fw: Framework):
    """Any mix of blank, don't know, not applicable (where offered) and valid answers."""

    def for_item(item: ItemDef):
        options = [st.none(), st.just(AnswerValue(dont_know=True))]
        if item.not_applicable:
            options.append(st.just(AnswerValue(not_applicable=True)))
        if item.kind == "maturity":
            value = st.integers(1, 5).map(lambda n: AnswerValue(level=n))
        elif item.kind == "choice":
            value = st.sampled_from([o.code for o in item.options]).map(
                lambda c: AnswerValue(choice=c)
            )
        else:
            return st.one_of(*options)
        return st.one_of(*options, value, value, value)

    items = list(fw.iter_items())
    return st.tuples(*[for_item(i) for i in items]).map(
        lambda values: {i.code: v for i, v in zip(items, values, strict=True) if v is not None}
    )


def _legacy_values(answers: dict[str, AnswerValue]) -> dict[str, Any]:
    return {
        code: legacy.AnswerValue(
            level=v.level, choice=v.choice, number=v.number, dont_know=v.dont_know
        )
        for code, v in answers.items()
    }


def _only_keys_of(reference: Any, value: Any) -> Any:
    """`value` cut down to the keys `reference` has, all the way down."""
    if isinstance(reference, dict):
        return {k: _only_keys_of(reference[k], value[k]) for k in reference}
    if isinstance(reference, list | tuple):
        assert len(reference) == len(value)
        return type(reference)(_only_keys_of(r, v) for r, v in zip(reference, value, strict=True))
    return value


class TestRulesOneNeverChange:
    @HYP
    @given(data=st.data())
    def test_rules_one_results_equal_the_function_before_rules_two(self, fw1, data):
        answers = data.draw(_answer_strategy(fw1))
        before = legacy.score(fw1, _legacy_values(answers)).as_dict()
        after = score(fw1, answers).as_dict()
        assert _only_keys_of(before, after) == before

    @pytest.mark.parametrize("seed", range(25))
    def test_demo_answers_score_as_before(self, fw1, seed):
        rng = random.Random(seed)
        answers = synthetic_answers(fw1, random_profile(rng), rng)
        before = legacy.score(fw1, _legacy_values(answers)).as_dict()
        after = score(fw1, answers)
        assert _only_keys_of(before, after.as_dict()) == before
        assert after.scoring_rules == 1

    def test_v1_is_rules_one_and_refuses_rules_two_keys(self, v1_content):
        assert parse_framework(v1_content).scoring_rules == 1
        content = copy.deepcopy(v1_content)
        content["shifts"][0]["dimensions"][4]["items"][0]["not_applicable"] = True
        with pytest.raises(FrameworkError, match="not_applicable needs scoring_rules 2"):
            parse_framework(content)

    @HYP
    @given(data=st.data())
    def test_provisional_of_a_stored_result_is_the_one_scoring_gives(self, fw1, fw2, data):
        for fw, strategy in ((fw1, _answer_strategy(fw1)), (fw2, _answers2(fw2))):
            result = score(fw, data.draw(strategy))
            assert provisional_from_result(fw, result.as_dict()) == result.provisional

    @HYP
    @given(data=st.data())
    def test_the_migration_labels_stored_results_as_scoring_does(self, fw1, fw2, data):
        migration = importlib.import_module(
            "assessments.migrations.0009_answer_not_applicable_snapshot_provisional"
        )
        for fw, strategy in ((fw1, _answer_strategy(fw1)), (fw2, _answers2(fw2))):
            result = score(fw, data.draw(strategy))
            stored = result.as_dict()
            assert round(migration.known_share(stored), 4) == result.known_share
            assert (round(migration.known_share(stored), 4) < 0.75) == result.provisional


class TestCompletenessGates:
    @HYP
    @given(data=st.data())
    def test_all_but_one_shift_unknown_never_has_an_overall_score(self, fw2, data):
        answers = data.draw(_answers2(fw2))
        keep = data.draw(st.sampled_from([s.code for s in fw2.shifts]))
        rng = random.Random(data.draw(st.integers()))
        for item in fw2.iter_items():
            if item.shift_code != keep:
                value = _unknown(item, rng)
                answers.pop(item.code, None)
                if value is not None:
                    answers[item.code] = value
        result = score(fw2, answers)
        assert result.overall is None and result.level is None
        assert result.note == "shifts_unscored"
        assert result.provisional  # one shift is at most a quarter of the weight

    @HYP
    @given(data=st.data())
    def test_each_level_is_scored_only_through_its_gate(self, fw2, data):
        result = score(fw2, data.draw(_answers2(fw2)))
        dims = {d.code: d for d in result.dimensions}
        for ss, shift in zip(result.shifts, fw2.shifts, strict=True):
            total = sum(d.weight for d in shift.dimensions)
            scored = sum(d.weight for d in shift.dimensions if dims[d.code].score is not None)
            assert (ss.score is not None) == (scored > 0 and scored / total >= 0.5), ss.code
            assert ss.scored_share == pytest.approx(scored / total, abs=1e-4)
        for d in result.dimensions:
            if d.score is not None:
                assert d.known_share >= 0.5 and d.na_share <= 0.5 and d.note == ""
            else:
                assert d.note in {"insufficient", "not_applicable"}
        assert (result.overall is not None) == all(s.score is not None for s in result.shifts)

    @HYP
    @given(data=st.data())
    def test_provisional_exactly_when_less_than_three_quarters_is_known(self, fw2, data):
        result = score(fw2, data.draw(_answers2(fw2)))
        assert result.provisional == (result.known_share < 0.75)
        assert 0 <= result.known_share <= 1

    def test_dont_know_everywhere_but_governance_at_five_scores_no_overall(self, fw2):
        answers = {
            i.code: AnswerValue(level=5)
            if i.shift_code == "governance" and i.kind == "maturity"
            else AnswerValue(dont_know=True)
            for i in fw2.iter_items()
        }
        result = score(fw2, answers)
        assert result.overall is None and result.provisional
        assert result.shift("governance").score == 100
        assert result.shift("profit").score is None
        assert result.shift("profit").note == "insufficient"
        assert result.known_share == pytest.approx(0.25, abs=1e-4)

    def test_a_dont_know_no_longer_lifts_a_two_item_dimension(self, fw2):
        dim = fw2.dimension("governance.data_protection")
        a, b = dim.items
        high = score(fw2, {a.code: AnswerValue(level=5), b.code: AnswerValue(level=1)})
        assert high.dimension(dim.code).score == 50
        partly = score(fw2, {a.code: AnswerValue(level=5), b.code: AnswerValue(dont_know=True)})
        # Still scored (half its weight is known) but the result says it is provisional.
        assert partly.dimension(dim.code).score == 100
        assert partly.provisional and partly.overall is None


class TestNotApplicable:
    def test_not_applicable_removes_the_items_weight(self, fw2):
        dim = fw2.dimension("profit.value_chain")
        answers = {i.code: AnswerValue(choice="production") for i in dim.items}
        answers[dim.items[0].code] = AnswerValue(not_applicable=True)
        answers[dim.items[1].code] = AnswerValue(choice="redesigned")
        d = score(fw2, answers).dimension(dim.code)
        assert d.score == pytest.approx((100 + 6 * 50) / 7, abs=0.01)
        assert d.known_share == 1 and d.na_share == pytest.approx(1 / 8, abs=1e-4)
        assert next(c for c in d.contributions if c.code == dim.items[0].code).answer == "na"

    @pytest.mark.parametrize(("na", "scored"), [(4, True), (5, False), (8, False)])
    def test_a_dimension_can_not_be_mostly_not_applicable(self, fw2, na, scored):
        dim = fw2.dimension("profit.value_chain")
        answers = {
            i.code: AnswerValue(not_applicable=True) if n < na else AnswerValue(choice="pilot")
            for n, i in enumerate(dim.items)
        }
        d = score(fw2, answers).dimension(dim.code)
        assert (d.score is not None) is scored
        if not scored:
            assert d.note == "not_applicable"

    def test_not_applicable_counts_as_answered_not_as_a_gap(self, fw2):
        item = fw2.items["profit.value_chain.rnd"]
        result = score(fw2, {item.code: AnswerValue(not_applicable=True)})
        assert item.code not in {g.item for g in result.completeness.gaps}
        assert item.code not in result.completeness.missing_mandatory

    def test_only_marked_items_of_a_scored_radio_kind_can_be(self, v2_content):
        content = copy.deepcopy(v2_content)
        figure = next(
            i for i in content["shifts"][0]["dimensions"][2]["items"] if i["kind"] == "figure"
        )
        figure["not_applicable"] = True
        with pytest.raises(FrameworkError, match="can be not applicable"):
            parse_framework(content)

    def test_not_applicable_on_an_unmarked_item_is_as_good_as_unanswered(self, fw2):
        item = fw2.items["governance.oversight.board"]
        assert not item.not_applicable
        result = score(fw2, {item.code: AnswerValue(not_applicable=True)})
        assert next(g for g in result.completeness.gaps if g.item == item.code)


class TestLevels:
    @HYP
    @given(data=st.data())
    def test_answers_all_at_level_l_give_level_l_everywhere(self, fw2, data):
        level = data.draw(st.integers(1, 5))
        rng = random.Random(data.draw(st.integers()))
        answers: dict[str, AnswerValue] = {}
        for item in fw2.iter_items():
            value = _at_level(item, level) if item.scored else None
            if value is None or rng.random() < data.draw(st.sampled_from([0.0, 0.2, 0.5])):
                value = _unknown(item, rng)
            if value is not None:
                answers[item.code] = value
        result = score(fw2, answers)
        for part in [*result.dimensions, *result.shifts]:
            if part.score is not None:
                assert (part.level, part.score) == (level, (level - 1) * 25), part.code
        if result.overall is not None:
            assert (result.level, result.overall) == (level, (level - 1) * 25)

    @HYP
    @given(data=st.data())
    def test_mixed_answers_never_round_up(self, fw2, data):
        result = score(fw2, data.draw(_answers2(fw2)))
        for d in result.dimensions:
            if d.score is None:
                continue
            item_levels = [
                (_level_of(fw2.items[c.code], _as_value(fw2.items[c.code], c.answer)), c.weight)
                for c in d.contributions
                if c.score is not None
            ]
            mean = sum(lv * w for lv, w in item_levels) / sum(w for _lv, w in item_levels)
            assert d.level == math.floor(mean + 1e-9), d.code
            assert min(lv for lv, _w in item_levels) <= d.level <= max(lv for lv, _ in item_levels)
        for part in [*result.shifts]:
            if part.score is not None:
                assert part.level == math.floor(part.score / 25 + 1e-9) + 1

    def test_examples_from_the_issue(self, fw2):
        dim = fw2.dimension("governance.data_protection")
        a, b = dim.items
        four_five = score(fw2, {a.code: AnswerValue(level=4), b.code: AnswerValue(level=5)})
        assert four_five.dimension(dim.code).level == 4
        three_four = score(fw2, {a.code: AnswerValue(level=3), b.code: AnswerValue(level=4)})
        assert three_four.dimension(dim.code).level == 3  # mean 3.5
        chain = fw2.dimension("profit.value_chain")
        in_production = score(fw2, {i.code: AnswerValue(choice="production") for i in chain.items})
        assert in_production.dimension(chain.code).score == 50
        assert in_production.dimension(chain.code).level == 3


def _as_value(item: ItemDef, code: str) -> AnswerValue:
    return AnswerValue(level=int(code)) if item.kind == "maturity" else AnswerValue(choice=code)


class TestEffectiveWeights:
    @HYP
    @given(
        shift_weights=st.lists(st.floats(0.01, 10), min_size=4, max_size=4),
        dim_weights=st.lists(st.floats(0.01, 10), min_size=30, max_size=30),
    )
    def test_effective_shares_sum_to_one(self, v2_content, shift_weights, dim_weights):
        content = copy.deepcopy(v2_content)
        weights = iter(dim_weights)
        for shift, weight in zip(content["shifts"], shift_weights, strict=True):
            shift["weight"] = weight
            for dim in shift["dimensions"]:
                dim["weight"] = next(weights)
        fw = parse_framework(content)
        shares = effective_shares(fw)
        assert set(shares) == {d.code for d in fw.dimensions}
        assert sum(shares.values()) == pytest.approx(1, abs=1e-9)
        assert all(s > 0 for s in shares.values())

    def test_dimension_weights_are_normalised_within_their_shift(self, fw2):
        shares = effective_shares(fw2)
        for shift in fw2.shifts:
            assert sum(shares[d.code] for d in shift.dimensions) == pytest.approx(0.25)
        # A weight-1 dimension counts as much as its shift's total weight lets it.
        assert shares["growth.product_evolution"] == pytest.approx(0.25 * 1 / 4.0)
        assert shares["profit.learning_loops"] == pytest.approx(0.25 * 1 / 5.0)

    def test_rules_two_needs_explicit_shift_weights(self, v2_content):
        content = copy.deepcopy(v2_content)
        del content["shifts"][1]["weight"]
        with pytest.raises(FrameworkError, match="states its weight"):
            parse_framework(content)


class TestTier:
    def test_no_ai_at_all_is_on_neither_path_yet(self, fw2):
        answers = {i.code: v for i in fw2.iter_items() if (v := _at_level(i, 1)) is not None}
        result = score(fw2, answers)
        assert result.level == 1 and result.tier == "not_started"
        assert fw2.tier("not_started").description

    @HYP
    @given(data=st.data())
    def test_the_tier_follows_the_rule(self, fw2, data):
        result = score(fw2, data.draw(_answers2(fw2)))
        rule = fw2.tier_rule
        if result.tier_met >= rule.min_met:
            assert result.tier == rule.target
        elif result.tier_met == 0 and (result.level is None or result.level < 2):
            assert result.tier == "not_started"
        else:
            assert result.tier == rule.otherwise

    def test_all_level_three_is_on_the_tier_four_path_at_least(self, fw2):
        answers = {i.code: v for i in fw2.iter_items() if (v := _at_level(i, 3)) is not None}
        result = score(fw2, answers)
        assert result.overall == 50
        assert result.tier in {"tier3", "tier4"}
