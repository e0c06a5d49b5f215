from __future__ import annotations

import random

import pytest

from accounts.models import Board, Industry, MarketCapBand
from assessments import selectors, services
from assessments.models import Answer
from assessments.tests.factories import IssuerFactory, lead
from devdata.demo import random_profile, synthetic_answers


@pytest.fixture(autouse=True)
def _media(media):
    """Every report test writes its files to a temporary MEDIA_ROOT."""
    return media


def submit_synthetic(issuer, framework, seed: int, note: str = "", cohort=None):
    """A submitted assessment with realistic answers, through the real services."""
    user = lead(issuer=issuer)
    assessment = services.assessment_create(
        issuer=issuer, framework=framework, user=user, cohort=cohort
    )
    fw = selectors.framework_of(framework)
    rng = random.Random(seed)
    answers = synthetic_answers(fw, random_profile(rng), rng)
    proposals = {}
    for item in fw.iter_items():
        value = answers.get(item.code)
        if item.mandatory and value is None:
            value = synthetic_answers(fw, random_profile(rng), rng).get(item.code)
        if value is None:
            continue
        proposals[item.code] = services.Proposed(
            level=value.level,
            choice=value.choice,
            number=value.number,
            dont_know=value.dont_know,
            note=note if item.kind == "maturity" and note else "",
        )
    services.answers_save(assessment=assessment, proposals=proposals, user=user)
    missing = Answer.objects.filter(
        assessment=assessment, item__mandatory=True, level__isnull=True, choice="", dont_know=False
    )
    for answer in missing:
        services.answers_save(
            assessment=assessment,
            proposals={answer.item.code: services.Proposed(dont_know=True)},
            user=user,
        )
    return services.assessment_submit(assessment=assessment, user=user)


@pytest.fixture
def market(framework):
    """Twelve submitted issuers: 7 industrials (6 Main Board), 5 financials."""
    snapshots = []
    for n in range(12):
        issuer = IssuerFactory(
            industry=Industry.INDUSTRIALS if n < 7 else Industry.FINANCIALS,
            board=Board.GEM if n == 6 else Board.MAIN,
            market_cap_band=MarketCapBand.S if n % 2 else MarketCapBand.M,
        )
        snapshots.append(submit_synthetic(issuer, framework, seed=n))
    return snapshots
