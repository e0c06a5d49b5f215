"""Synthetic but realistic answers, for demo data and market-scale benchmarks.

Each synthetic company gets a base maturity and a per-shift bias drawn from a handful of
archetypes (strong in governance but weak in growth, and so on), so peer statistics have
real spread. Deterministic for a given random generator.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from assessments import kinds
from assessments.framework import Framework, ItemDef
from assessments.scoring import AnswerValue

ARCHETYPES: dict[str, dict[str, float]] = {
    "governance_first": {"profit": -0.4, "growth": -0.8, "intangibles": 0.0, "governance": 1.0},
    "growth_story": {"profit": 0.3, "growth": 1.0, "intangibles": 0.4, "governance": -0.9},
    "efficiency_user": {"profit": 0.9, "growth": -0.5, "intangibles": -0.3, "governance": 0.0},
    "data_builder": {"profit": 0.0, "growth": 0.5, "intangibles": 1.0, "governance": 0.2},
    "balanced": {"profit": 0.0, "growth": 0.0, "intangibles": 0.0, "governance": 0.0},
    "laggard": {"profit": -0.6, "growth": -0.6, "intangibles": -0.6, "governance": -0.3},
}


@dataclass(frozen=True)
class Profile:
    base: float  # 1.0 – 5.0, typical maturity
    bias: dict[str, float]
    dont_know_rate: float
    # Per item code: some practices are harder than others across the whole market.
    item_bias: Mapping[str, float] = field(default_factory=dict)


def random_profile(rng: random.Random) -> Profile:
    archetype = rng.choice(list(ARCHETYPES))
    return Profile(
        base=min(4.6, max(1.2, rng.gauss(2.6, 0.75))),
        bias=ARCHETYPES[archetype],
        dont_know_rate=rng.choice([0.0, 0.02, 0.05, 0.1]),
    )


def synthetic_answer(item: ItemDef, profile: Profile, rng: random.Random) -> AnswerValue | None:
    """One answer; None means left blank (only for optional items)."""
    if rng.random() < profile.dont_know_rate:
        return AnswerValue(dont_know=True)
    centre = profile.base + profile.bias.get(item.shift_code, 0.0)
    centre += profile.item_bias.get(item.code, 0.0)
    stored = kinds.of(item).synthetic(item, centre=centre, rng=rng)
    return None if stored is None else AnswerValue(**stored)


def synthetic_answers(
    fw: Framework, profile: Profile, rng: random.Random
) -> dict[str, AnswerValue]:
    answers: dict[str, AnswerValue] = {}
    for item in fw.iter_items():
        value = synthetic_answer(item, profile, rng)
        if value is not None:
            answers[item.code] = value
    return answers


# Words for synthetic issuer names (seed_demo's peers, generate_market), English and Chinese.
PLACES = [
    ("Harbour", "港灣"),
    ("Pearl", "明珠"),
    ("Jade", "翡翠"),
    ("Kowloon", "九龍"),
    ("Victoria", "維港"),
    ("Lantau", "大嶼"),
    ("Peak", "山頂"),
    ("Dragon Gate", "龍門"),
    ("Bauhinia", "紫荊"),
    ("Tsing Yi", "青衣"),
    ("Sai Kung", "西貢"),
    ("Lion Rock", "獅子山"),
    ("Tai Po", "大埔"),
    ("Sha Tin", "沙田"),
    ("Stanley", "赤柱"),
    ("Golden", "金"),
    ("Orient", "東方"),
    ("Silver Mine", "銀礦"),
]
SUFFIXES = [("Holdings", "控股"), ("Group", "集團"), ("International", "國際")]
