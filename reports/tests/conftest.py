from __future__ import annotations

import random

import pytest

from accounts.models import Board, Industry, MarketCapBand
from assessments import selectors, services
from assessments.demo import random_profile, synthetic_answers
from assessments.models import Answer
from assessments.tests.factories import IssuerFactory, lead
from config.celery import app as celery_app


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager():
    """Run tasks inline (the quick-start mode) even when CI points Celery at Redis."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def submit_synthetic(issuer, framework, seed: int, note: str = ""):
    """A submitted assessment with realistic answers, through the real services."""
    user = lead(issuer=issuer)
    assessment = services.assessment_create(issuer=issuer, framework=framework, user=user)
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


@pytest.fixture
def oncommit(django_capture_on_commit_callbacks):
    """Run transaction.on_commit callbacks (tests run inside a never-committed transaction)."""
    return django_capture_on_commit_callbacks
