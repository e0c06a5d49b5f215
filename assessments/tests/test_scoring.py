"""Scoring is pure: these tests use no database and no HTTP."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.framework import Framework, parse_framework
from assessments.scoring import AnswerValue, item_score, score

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def fw(v1_content) -> Framework:
    return parse_framework(v1_content)


def _answer_strategy(fw: Framework):
    """Any mix of blank, don't-know and valid answers for every item."""

    def for_item(item):
        blank = st.none()
        dk = st.just(AnswerValue(dont_know=True))
        if item.kind == "maturity":
            value = st.integers(1, 5).map(lambda n: AnswerValue(level=n))
        elif item.kind == "choice":
            value = st.sampled_from([o.code for o in item.options]).map(
                lambda c: AnswerValue(choice=c)
            )
        else:
            value = st.decimals(
                min_value=item.min_value,
                max_value=item.max_value,
                places=item.decimals,
                allow_nan=False,
                allow_infinity=False,
            ).map(lambda d: AnswerValue(number=d))
        return st.one_of(blank, dk, value, value, value)

    items = list(fw.iter_items())
    return st.tuples(*[for_item(i) for i in items]).map(
        lambda values: {i.code: v for i, v in zip(items, values, strict=True) if v is not None}
    )


def _all_numbers(result) -> list[float]:
    numbers = (
        [result.overall] + [s.score for s in result.shifts] + [d.score for d in result.dimensions]
    )
    numbers += list(result.balance.values()) + [c.score for c in result.heatmap]
    return [n for n in numbers if n is not None]


def full_answers(fw: Framework, level: int) -> dict[str, AnswerValue]:
    answers: dict[str, AnswerValue] = {}
    for item in fw.iter_items():
        if item.kind == "maturity":
            answers[item.code] = AnswerValue(level=level)
        elif item.kind == "choice":
            options = sorted(item.options, key=lambda o: o.score)
            answers[item.code] = AnswerValue(
                choice=options[round((level - 1) / 4 * (len(options) - 1))].code
            )
    return answers


HYP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class TestProperties:
    @HYP
    @given(data=st.data())
    def test_scores_stay_within_bounds(self, fw, data):
        result = score(fw, data.draw(_answer_strategy(fw)))
        for n in _all_numbers(result):
            assert 0 <= n <= 100
        assert result.level is None or 1 <= result.level <= 5
        assert 0 <= result.completeness.percent <= 100
        assert result.tier in {"tier3", "tier4"}

    @HYP
    @given(data=st.data())
    def test_raising_a_maturity_answer_never_lowers_any_score(self, fw, data):
        answers = data.draw(_answer_strategy(fw))
        raisable = [c for c, v in answers.items() if v.level is not None and v.level < 5]
        if not raisable:
            return
        code = data.draw(st.sampled_from(sorted(raisable)))
        step = data.draw(st.integers(1, 5 - answers[code].level))
        higher = dict(answers)
        higher[code] = AnswerValue(level=answers[code].level + step)
        before, after = score(fw, answers), score(fw, higher)
        assert (after.overall or 0) >= (before.overall or 0)
        for b, a in zip(
            before.shifts + before.dimensions, after.shifts + after.dimensions, strict=True
        ):
            assert (a.score is None) == (b.score is None)
            if b.score is not None:
                assert a.score >= b.score, a.code
        for role, value in before.balance.items():
            if value is not None:
                assert after.balance[role] >= value
        assert after.tier_met >= before.tier_met

    @HYP
    @given(data=st.data())
    def test_order_of_answers_does_not_matter(self, fw, data):
        answers = data.draw(_answer_strategy(fw))
        items = list(answers.items())
        random.Random(data.draw(st.integers())).shuffle(items)
        assert score(fw, dict(items)).as_dict() == score(fw, answers).as_dict()

    @HYP
    @given(data=st.data())
    def test_as_dict_is_what_dataclasses_asdict_gives(self, fw, data):
        result = score(fw, data.draw(_answer_strategy(fw)))
        plain = result.as_dict()
        assert plain == dataclasses.asdict(result)
        assert repr(plain) == repr(dataclasses.asdict(result))  # same types, tuples stay tuples
        plain["dimensions"][0]["contributions"].clear()
        assert result.dimensions[0].contributions  # a copy, not a view

    @HYP
    @given(data=st.data())
    def test_same_input_same_output(self, fw, data):
        answers = data.draw(_answer_strategy(fw))
        assert score(fw, answers).as_dict() == score(fw, dict(answers)).as_dict()


class TestRules:
    def test_all_level_one_is_zero_and_all_level_five_is_hundred(self, fw):
        low, high = score(fw, full_answers(fw, 1)), score(fw, full_answers(fw, 5))
        assert low.overall == 0 and low.level == 1
        assert high.overall == 100 and high.level == 5
        assert high.tier == "tier3" and low.tier == "tier4"

    def test_all_level_three_is_fifty_and_level_three(self, fw):
        result = score(fw, full_answers(fw, 3))
        assert all(d.score == 50 for d in result.dimensions if d.code != "profit.value_chain")
        assert result.level == 3
        assert fw.levels[result.level - 1].name.en == "Embedded in processes"

    def test_dont_know_is_a_gap_and_never_a_score(self, fw):
        answers = full_answers(fw, 4)
        item = next(i for i in fw.iter_items() if i.kind == "maturity")
        answers[item.code] = AnswerValue(dont_know=True)
        result = score(fw, answers)
        dim = result.dimension(item.dimension_code)
        assert dim.score == 75  # the other items, unchanged by the "don't know"
        gap = next(g for g in result.completeness.gaps if g.item == item.code)
        assert gap.reason == "dont_know"
        assert item.code not in result.completeness.missing_mandatory
        contribution = next(c for c in dim.contributions if c.code == item.code)
        assert contribution.score is None and contribution.answer == "dont_know"

    def test_dimension_with_too_few_known_answers_is_not_scored(self, fw):
        dim = fw.dimension("governance.oversight")
        answers = {dim.items[0].code: AnswerValue(level=5)}  # 1 of 3 known < 50 %
        result = score(fw, answers)
        assert result.dimension(dim.code).score is None
        assert result.dimension(dim.code).note == "insufficient"
        assert result.overall is None
        assert (
            len(result.completeness.missing_mandatory)
            == sum(1 for i in fw.iter_items() if i.mandatory) - 1
        )

    def test_weights_come_from_content_and_explain_the_number(self, fw):
        shift = fw.shift("governance")
        answers = full_answers(fw, 1)
        first_dim = shift.dimensions[0]
        for item in first_dim.items:
            answers[item.code] = AnswerValue(level=5)
        result = score(fw, answers)
        total = sum(d.weight for d in shift.dimensions)
        expected = 100 * first_dim.weight / total
        assert result.shift("governance").score == pytest.approx(expected, abs=0.01)
        contributions = result.shift("governance").contributions
        assert [c.code for c in contributions] == [d.code for d in shift.dimensions]
        assert [c.weight for c in contributions] == [d.weight for d in shift.dimensions]
        dim_expl = result.dimension(first_dim.code)
        assert {c.code: c.answer for c in dim_expl.contributions} == {
            i.code: "5" for i in first_dim.items if i.scored
        }

    def test_lifts_name_the_next_level_and_its_gain(self, fw):
        answers = full_answers(fw, 2)
        result = score(fw, answers)
        dim = result.dimension("governance.model_risk")
        assert dim.lifts, "a dimension below 100 always has something to lift it"
        lift = dim.lifts[0]
        assert lift.from_answer == "2" and lift.to_answer == "3"
        n = sum(1 for i in fw.dimension("governance.model_risk").items if i.scored)
        assert lift.gain == pytest.approx(25 / n, abs=0.01)
        assert dim.next_level_at == 40  # level 2 (score 25) → level 3 starts at 40

    def test_value_chain_heatmap_and_tier_reasons(self, fw):
        answers = full_answers(fw, 3)
        stages = [i for i in fw.iter_items() if i.value_chain_stage]
        for item in stages:
            answers[item.code] = AnswerValue(choice="pilot")
        for item in stages[:3]:
            answers[item.code] = AnswerValue(choice="production")
        answers[stages[3].code] = AnswerValue(choice="redesigned")
        result = score(fw, answers)
        cells = {c.stage: c for c in result.heatmap}
        assert cells[stages[3].value_chain_stage].depth == "redesigned"
        assert cells[stages[3].value_chain_stage].score == 100
        reasons = {r.code: r for r in result.tier_reasons}
        assert reasons["chain_in_production"].met and reasons["chain_in_production"].observed == 4
        assert reasons["chain_redesigned"].met
        # core processes, scalable model, data assets all at 50: exactly the threshold
        assert result.tier_met == 5 and result.tier == "tier3"

    def test_figures_count_for_completeness_but_not_score(self, fw):
        answers = full_answers(fw, 3)
        without = score(fw, answers)
        figures = [i for i in fw.iter_items() if i.kind == "figure"]
        for item in figures:
            answers[item.code] = AnswerValue(number=Decimal(item.max_value))
        with_figures = score(fw, answers)
        assert with_figures.overall == without.overall
        assert with_figures.completeness.answered == without.completeness.answered + len(figures)
        assert item_score(figures[0], answers[figures[0].code]) is None

    def test_balance_groups_dimensions_by_value_role(self, fw):
        answers = full_answers(fw, 1)
        for dim in fw.dimensions:
            if dim.value_role == "maintenance":
                for item in dim.items:
                    answers[item.code] = AnswerValue(level=5)
        result = score(fw, answers)
        assert result.balance["maintenance"] == 100
        assert result.balance["creation"] == 0
