from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max

from accounts.models import Industry, Issuer, MarketCapBand
from assessments import selectors, services
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    ScoreComponent,
    ScoreSnapshot,
    StatusChange,
)
from assessments.scoring import score
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
)
from cohorts.models import Cohort
from devdata import market
from reports.benchmarks import peer_benchmarks

pytestmark = pytest.mark.django_db

YEAR = 2026


def generate(framework, *, issuers=30, cohorts=2, seed=5, replace=False):
    return market.market_generate(
        framework=framework,
        issuers=issuers,
        cohorts=cohorts,
        seed=seed,
        last_year=YEAR,
        replace=replace,
    )


def fingerprint():
    """Everything the generator decides, keyed by what stays stable across runs."""
    answers = sorted(
        Answer.objects.filter(assessment__issuer__in=market.generated_issuers()).values_list(
            "assessment__issuer__stock_code",
            "assessment__cohort__year",
            "item__code",
            "level",
            "choice",
            "number",
            "dont_know",
            "confidence",
            "version",
            "updated_at",
        )
    )
    assessments = sorted(
        Assessment.objects.filter(issuer__in=market.generated_issuers()).values_list(
            "issuer__stock_code", "cohort__year", "status", "created_at", "submitted_at"
        )
    )
    snapshots = sorted(
        ScoreSnapshot.objects.filter(issuer__in=market.generated_issuers()).values_list(
            "issuer__stock_code", "assessment__cohort__year", "overall_score", "tier", "is_current"
        )
    )
    issuers = sorted(
        market.generated_issuers().values_list(
            "stock_code", "name_en", "industry", "board", "market_cap_band"
        )
    )
    return issuers, assessments, answers, snapshots


def generated_cohorts_count():
    return market.generated_cohorts().count()


def test_small_market_has_the_promised_rows(framework):
    summary = generate(framework)
    fw = selectors.framework_of(framework)
    n_items = len(list(fw.iter_items()))
    n_parts = len(fw.shifts) + len(fw.dimensions)

    issuers = market.generated_issuers()
    cohorts = Cohort.objects.filter(slug__in=[f"market-{YEAR - 1}", f"market-{YEAR}"])
    assert issuers.count() == 30
    assert sorted(cohorts.values_list("year", "status")) == [(YEAR - 1, "closed"), (YEAR, "open")]
    assert {i.stock_code for i in issuers} == {str(70000 + n) for n in range(30)}
    assessments = Assessment.objects.filter(cohort__in=cohorts)
    assert assessments.count() == 60
    # Every cohort holds every issuer once; every assessment has one answer row per item.
    pairs = set(assessments.values_list("issuer_id", "cohort_id").annotate(n=Count("pk")))
    issuer_ids, cohort_ids = (
        issuers.values_list("pk", flat=True),
        cohorts.values_list("pk", flat=True),
    )
    assert pairs == {(i, c, 1) for i in issuer_ids for c in cohort_ids}
    assert set(assessments.annotate(n=Count("answers")).values_list("n", flat=True)) == {n_items}

    submitted = assessments.exclude(status=AssessmentStatus.DRAFT)
    snapshots = ScoreSnapshot.objects.filter(assessment__in=assessments)
    assert snapshots.count() == submitted.count()
    assert (
        ScoreComponent.objects.filter(snapshot__in=snapshots).count() == n_parts * submitted.count()
    )
    reviewed = submitted.exclude(status=AssessmentStatus.SUBMITTED).count()
    assert StatusChange.objects.filter(assessment__in=assessments).count() == (
        submitted.count() + reviewed
    )
    # The closed year is all submitted; the open year has every stage of the funnel.
    assert not assessments.filter(cohort__year=YEAR - 1, status=AssessmentStatus.DRAFT).exists()
    open_year = Counter(assessments.filter(cohort__year=YEAR).values_list("status", flat=True))
    assert open_year[AssessmentStatus.DRAFT] and open_year[AssessmentStatus.SUBMITTED]
    assert not assessments.filter(status=AssessmentStatus.DRAFT, submitted_at__isnull=False)
    assert not assessments.exclude(status=AssessmentStatus.DRAFT).filter(submitted_at=None)
    # Submissions answered every mandatory item (a value or "don't know").
    assert not Answer.objects.filter(
        assessment__in=submitted, item__mandatory=True, version=0
    ).exists()

    assert summary.rows == {
        "accounts.Issuer": 30,
        "cohorts.Cohort": 2,
        "assessments.Assessment": 60,
        "assessments.Answer": 60 * n_items,
        "assessments.ScoreSnapshot": snapshots.count(),
        "assessments.ScoreComponent": n_parts * snapshots.count(),
        "assessments.StatusChange": submitted.count() + reviewed,
    }


def test_snapshots_are_what_scoring_computes_from_the_stored_answers(framework):
    generate(framework)
    fw = selectors.framework_of(framework)
    snapshots = ScoreSnapshot.objects.filter(issuer__in=market.generated_issuers())
    assert snapshots.count() > 40
    for snapshot in snapshots.prefetch_related("components"):
        rows = Answer.objects.filter(assessment_id=snapshot.assessment_id).select_related("item")
        expected = score(fw, selectors.answer_values(rows))
        values = services.snapshot_values(expected)
        assert snapshot.overall_score == values["overall_score"]
        assert snapshot.maturity_level == values["maturity_level"]
        assert snapshot.tier == values["tier"]
        assert snapshot.completeness == values["completeness"]
        assert snapshot.result == json.loads(json.dumps(values["result"]))
        assert (
            snapshot.shift_scores
            == values["shift_scores"]
            == {
                c.code: None if c.score is None else float(c.score)
                for c in snapshot.components.all()
                if c.kind == "shift"
            }
        )
        assert sorted((c.kind, c.code, c.score) for c in snapshot.components.all()) == sorted(
            services.snapshot_component_values(expected)
        )


def test_snapshots_match_what_snapshot_create_stores(framework):
    generate(framework, issuers=6, cohorts=1)
    generated = ScoreSnapshot.objects.filter(issuer__in=market.generated_issuers())
    for snapshot in generated.select_related("assessment"):
        rows = list(Answer.objects.filter(assessment_id=snapshot.assessment_id))
        fresh = services.snapshot_create(
            assessment=snapshot.assessment, answers=rows, user=None, at=snapshot.created_at
        )
        fresh.refresh_from_db()
        fields = [
            f.attname
            for f in ScoreSnapshot._meta.concrete_fields
            if f.name not in ("id", "is_current")
        ]
        assert {f: getattr(fresh, f) for f in fields} == {f: getattr(snapshot, f) for f in fields}
        assert sorted(fresh.components.values_list("kind", "code", "score")) == sorted(
            snapshot.components.values_list("kind", "code", "score")
        )


def test_only_each_issuers_latest_submission_is_current(framework):
    generate(framework, issuers=40, cohorts=3)
    snapshots = ScoreSnapshot.objects.filter(issuer__in=market.generated_issuers())
    latest = dict(snapshots.values_list("issuer_id").annotate(at=Max("created_at")))
    current = list(snapshots.filter(is_current=True).values_list("issuer_id", "created_at"))
    assert len(current) == len({i for i, _ in current}) == len(latest)
    assert dict(current) == latest
    # Issuers that have not submitted in the open year are current with the year before.
    years = snapshots.filter(is_current=True).values_list("assessment__cohort__year", flat=True)
    assert set(years) == {YEAR - 1, YEAR}


def test_same_seed_same_market_other_seed_another(framework):
    generate(framework, issuers=12, seed=7)
    first = fingerprint()
    generate(framework, issuers=12, seed=7, replace=True)
    assert fingerprint() == first
    generate(framework, issuers=12, seed=8, replace=True)
    other = fingerprint()
    assert other[0] != first[0] and other[2] != first[2]


def test_refuses_a_rerun_and_replace_leaves_other_data_alone(framework):
    real_cohort = CohortFactory(framework=framework, slug="real-2026")
    real_lead = lead(issuer=IssuerFactory(stock_code="90000"))
    services.assessment_create(
        issuer=real_lead.issuer, framework=framework, user=real_lead, cohort=real_cohort
    )
    # A real issuer past the generated range is not "ours" either.
    IssuerFactory(stock_code="79999")
    before = (Issuer.objects.count(), Assessment.objects.count(), Answer.objects.count())
    generate(framework, issuers=10)
    with pytest.raises(market.MarketError, match="--replace"):
        generate(framework, issuers=10)
    summary = generate(framework, issuers=5, replace=True)
    assert summary.replaced["accounts.Issuer"] == 10
    assert market.generated_issuers().count() == 5
    assert Issuer.objects.filter(stock_code__in=["90000", "79999"]).count() == 2
    assert Cohort.objects.filter(slug="real-2026").exists()
    market.market_delete()
    assert (Issuer.objects.count(), Assessment.objects.count(), Answer.objects.count()) == before


def test_refuses_codes_or_slugs_that_belong_to_other_data(framework):
    IssuerFactory(stock_code="70003", name_en="A Real Company Limited")
    with pytest.raises(market.MarketError, match="70003"):
        generate(framework, issuers=10)
    assert not market.generated_issuers().exists() and not Cohort.objects.exists()
    generate(framework, issuers=3)  # 70000–70002 are free
    CohortFactory(framework=framework, slug=f"market-{YEAR - 2}")
    with pytest.raises(market.MarketError, match=f"slug market-{YEAR - 2}"):
        market.market_generate(
            framework=framework, issuers=3, cohorts=3, seed=1, last_year=YEAR, replace=True
        )
    assert market.generated_issuers().count() == 3 and generated_cohorts_count() == 2


def test_replace_refuses_when_someone_uses_a_synthetic_issuer(framework):
    generate(framework, issuers=4)
    lead(issuer=market.generated_issuers().first())
    with pytest.raises(market.MarketError, match="user accounts"):
        generate(framework, issuers=4, replace=True)
    assert market.generated_issuers().count() == 4


@pytest.mark.parametrize(
    ("issuers", "cohorts", "seed", "year", "message"),
    [
        (0, 1, 1, YEAR, "--issuers"),
        (-5, 1, 1, YEAR, "--issuers"),
        (10_001, 1, 1, YEAR, "--issuers"),
        (10, 0, 1, YEAR, "--cohorts"),
        (10, 11, 1, YEAR, "--cohorts"),
        (3, 5, 1, YEAR, "cannot exceed"),
        (10, 2, -1, YEAR, "--seed"),
        (10, 5, 1, 2003, "--year"),
        (10, 1, 1, 2101, "--year"),
    ],
)
def test_command_rejects_bad_arguments(settings, issuers, cohorts, seed, year, message):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=message):
        call_command(
            "generate_market",
            f"--issuers={issuers}",
            f"--cohorts={cohorts}",
            f"--seed={seed}",
            f"--year={year}",
        )
    assert not Issuer.objects.exists()


def test_command_rejects_words_and_needs_debug(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="invalid int"):
        call_command("generate_market", "--issuers", "many")
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("generate_market", "--issuers", "3", "--cohorts", "1")


def test_command_prints_a_summary_and_refuses_a_rerun(settings, framework):
    settings.DEBUG = True
    out = StringIO()
    args = ["--issuers", "8", "--cohorts", "2", "--seed", "3", "--year", str(YEAR)]
    call_command("generate_market", *args, stdout=out)
    text = out.getvalue()
    assert "accounts.Issuer" in text and "assessments.Answer" in text and " s; cohorts:" in text
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_market", *args, stdout=StringIO())
    out = StringIO()
    call_command("generate_market", *args, "--replace", stdout=out)
    assert "Deleted from the earlier run" in out.getvalue()
    assert market.generated_issuers().count() == 8


def test_dashboard_and_peer_benchmarks_work_on_the_market(framework):
    generate(framework, issuers=30, cohorts=2)
    cohort = Cohort.objects.get(slug=f"market-{YEAR}")
    response = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assessments = Assessment.objects.filter(cohort=cohort)
    submitted = assessments.filter(submitted_at__isnull=False).count()
    assert 'data-key="enrolled">30<' in html
    assert f'data-key="submitted">{submitted}<' in html
    snapshot = ScoreSnapshot.objects.filter(is_current=True, assessment__cohort=cohort).first()
    groups = {g.key: g for g in peer_benchmarks(snapshot=snapshot)}
    assert groups["all"].shown and groups["all"].n == market.generated_issuers().count() - 1
    assert groups["all"].overall is not None and groups["all"].overall.median is not None
    current_here = ScoreSnapshot.objects.filter(is_current=True, assessment__cohort=cohort)
    assert groups["cohort"].n == current_here.count() - 1


# --- the distributions (pure, no database) ---------------------------------------------------


def test_maturity_follows_industry_size_and_year(framework):
    fw = selectors.framework_of(framework)
    difficulty = market.item_difficulty(fw=fw, seed=1)
    specs = [market.issuer_spec(seed=1, n=n) for n in range(600)]
    by_industry, by_size = {}, {}
    for spec in specs:
        by_industry.setdefault(spec.industry, []).append(spec.maturity)
        by_size.setdefault(spec.market_cap_band, []).append(spec.maturity)
    mean = statistics.mean
    assert mean(by_industry[Industry.IT]) > mean(by_industry[Industry.PROPERTIES])
    assert mean(by_size[MarketCapBand.L]) > mean(by_size[MarketCapBand.XS])
    assert Counter(s.board for s in specs)["gem"] < 0.2 * len(specs)

    def overall(year_index):
        scores = []
        for spec in specs[:150]:
            rng = random.Random(f"{spec.code}:{year_index}")
            values = market.synthetic_values(
                fw=fw, spec=spec, year_index=year_index, difficulty=difficulty, rng=rng
            )
            scores.append(score(fw, values).overall or 0.0)
        return scores

    first, last = overall(0), overall(4)
    assert statistics.median(last) > statistics.median(first) + 5
    assert statistics.stdev(first) > 8  # issuers differ, not one typical company
    assert max(first) - min(first) > 40


def test_item_types_follow_the_framework(framework):
    fw = selectors.framework_of(framework)
    spec = market.issuer_spec(seed=2, n=0)
    values = market.synthetic_values(
        fw=fw,
        spec=spec,
        year_index=2,
        difficulty=market.item_difficulty(fw=fw, seed=2),
        rng=random.Random(0),
    )
    for item in fw.iter_items():
        value = values.get(item.code)
        if value is None:
            assert not item.mandatory
            continue
        if value.dont_know:
            continue
        if item.kind == "maturity":
            assert value.level in range(1, 6)
        elif item.kind == "choice":
            assert item.option(value.choice) is not None
        else:
            assert isinstance(value.number, Decimal)
            assert item.min_value <= value.number <= item.max_value
