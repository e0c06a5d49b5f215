"""Market-scale synthetic data: every Hong Kong listed issuer over several programme years.

`market_generate` creates issuers, one cohort per programme year holding every issuer,
their assessments with one answer row per item, and for every submission the frozen
scores exactly as `assessments.services.snapshot_create` would store them (computed by the
pure `assessments.scoring.score` from the very answers written). It exists to measure the
association's pages at the size of the market (about 2,600 issuers).

Why in `devdata`: it is development data (benchmarks), so it lives in the development-only
top layer, which may import every app; no production app imports it.

What makes the data realistic (all deterministic for a given seed):
- each issuer has an underlying maturity, moved by its industry, market-cap band and
  board (GEM companies are smaller), and an archetype (`devdata.demo.ARCHETYPES`)
  that makes it stronger in some shifts than others;
- each programme year the issuer improves a little (its own growth rate), with some
  year-to-year wobble; every item has a market-wide difficulty and per-answer noise
  (`devdata.demo.synthetic_answer`);
- past programme years are closed (submitted or approved); the latest year is open, with
  issuers not started, part-way through, submitted, returned and approved.

Generated rows are recognisable, so a later run can replace them without touching
anything else: issuers use stock codes FIRST_CODE … FIRST_CODE + MAX_ISSUERS - 1 (the demo
uses 90000–92000, test factories 10000 upwards) and, like the cohorts (slugs
`market-<year>`), carry SYNTHETIC_TAG at the end of their English name. Answer history
(`AnswerRevision`) is not generated: like the demo peers, answers are written directly.

On PostgreSQL rows are streamed with COPY (psycopg 3); elsewhere bulk_create is used.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction

from accounts.models import (
    Board,
    EmployeeBand,
    Industry,
    Issuer,
    MarketCapBand,
    RevenueBand,
    User,
)
from assessments import kinds
from assessments.framework import Framework, ItemDef
from assessments.models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    FrameworkVersion,
    Item,
    ScoreComponent,
    ScoreSnapshot,
    StatusChange,
)
from assessments.scoring import AnswerValue, score
from assessments.selectors import framework_of
from assessments.services import (
    snapshot_component_values,
    snapshot_groups_freeze,
    snapshot_values,
)
from cohorts.models import Cohort, CohortStatus
from devdata.demo import ARCHETYPES, PLACES, SUFFIXES, Profile, synthetic_answer
from reports.models import Report

FIRST_CODE = 70000
MAX_ISSUERS = 10_000
MAX_COHORTS = 10
MIN_YEAR, MAX_YEAR = 2000, 2100
SYNTHETIC_TAG = "(synthetic)"
SLUG_PREFIX = "market-"
# Assessments written per batch: bounds memory (one score result is ~16 KB of JSON).
CHUNK = 500

# Approximate HSICS mix of the ~2,600 companies listed in Hong Kong.
INDUSTRY_WEIGHTS: dict[str, float] = {
    Industry.CONSUMER_DISCRETIONARY: 0.20,
    Industry.INDUSTRIALS: 0.15,
    Industry.PROPERTIES: 0.14,
    Industry.FINANCIALS: 0.10,
    Industry.IT: 0.09,
    Industry.HEALTHCARE: 0.07,
    Industry.CONSUMER_STAPLES: 0.07,
    Industry.MATERIALS: 0.06,
    Industry.UTILITIES: 0.03,
    Industry.ENERGY: 0.03,
    Industry.CONGLOMERATES: 0.03,
    Industry.TELECOMMUNICATIONS: 0.03,
}
# Shift of the underlying maturity, in answer levels (1–5).
INDUSTRY_EFFECT: dict[str, float] = {
    Industry.IT: 0.45,
    Industry.FINANCIALS: 0.30,
    Industry.TELECOMMUNICATIONS: 0.30,
    Industry.HEALTHCARE: 0.10,
    Industry.CONGLOMERATES: 0.05,
    Industry.CONSUMER_DISCRETIONARY: 0.0,
    Industry.INDUSTRIALS: 0.0,
    Industry.UTILITIES: -0.05,
    Industry.CONSUMER_STAPLES: -0.10,
    Industry.ENERGY: -0.15,
    Industry.MATERIALS: -0.25,
    Industry.PROPERTIES: -0.30,
}
GEM_SHARE = 0.12
CAP_BANDS = list(MarketCapBand.values)  # smallest first
CAP_WEIGHTS = {Board.MAIN: (0.35, 0.30, 0.22, 0.13), Board.GEM: (0.80, 0.18, 0.02, 0.0)}
SIZE_EFFECT = (-0.25, -0.05, 0.15, 0.35)
BOARD_EFFECT = {Board.MAIN: 0.0, Board.GEM: -0.10}

# Outcome of the latest (open) year; earlier years are all submitted, mostly approved.
OPEN_YEAR_OUTCOMES = (
    ("not_started", 0.06),
    ("started", 0.09),
    (AssessmentStatus.SUBMITTED, 0.55),
    (AssessmentStatus.RETURNED, 0.05),
    (AssessmentStatus.APPROVED, 0.25),
)
CLOSED_YEAR_OUTCOMES = ((AssessmentStatus.SUBMITTED, 0.15), (AssessmentStatus.APPROVED, 0.85))
RETURN_NOTE = "Please add evidence for the governance answers."

INDUSTRY_WORDS: dict[str, list[tuple[str, str]]] = {
    Industry.ENERGY: [("Energy", "能源"), ("Petroleum", "石油")],
    Industry.MATERIALS: [("Materials", "材料"), ("Metals", "金屬"), ("Chemicals", "化工")],
    Industry.INDUSTRIALS: [("Precision", "精密"), ("Logistics", "物流"), ("Engineering", "工程")],
    Industry.CONSUMER_DISCRETIONARY: [("Retail", "零售"), ("Textiles", "紡織"), ("Travel", "旅遊")],
    Industry.CONSUMER_STAPLES: [("Foods", "食品"), ("Beverages", "飲品")],
    Industry.HEALTHCARE: [("Health", "健康"), ("Pharmaceutical", "藥業")],
    Industry.TELECOMMUNICATIONS: [("Telecom", "電訊")],
    Industry.UTILITIES: [("Utilities", "公用"), ("Water", "水務")],
    Industry.FINANCIALS: [("Fintech", "金融科技"), ("Securities", "證券"), ("Finance", "財務")],
    Industry.PROPERTIES: [("Property", "地產"), ("Construction", "建築")],
    Industry.IT: [("Software", "軟件"), ("Digital", "數碼"), ("Technology", "科技")],
    Industry.CONGLOMERATES: [("Diversified", "綜合")],
}


class MarketError(Exception):
    """Arguments or existing data rule out generating; the message says why."""


def market_check_arguments(*, issuers: int, cohorts: int, seed: int, last_year: int) -> None:
    if not 1 <= issuers <= MAX_ISSUERS:
        raise MarketError(f"--issuers must be between 1 and {MAX_ISSUERS:,} (got {issuers}).")
    if not 1 <= cohorts <= MAX_COHORTS:
        raise MarketError(f"--cohorts must be between 1 and {MAX_COHORTS} (got {cohorts}).")
    if cohorts > issuers:
        raise MarketError(f"--cohorts ({cohorts}) cannot exceed --issuers ({issuers}).")
    if not 0 <= seed < 2**32:
        raise MarketError(f"--seed must be between 0 and {2**32 - 1} (got {seed}).")
    if not MIN_YEAR + cohorts - 1 <= last_year <= MAX_YEAR:
        raise MarketError(
            f"--year must be between {MIN_YEAR + cohorts - 1} and {MAX_YEAR} "
            f"for {cohorts} programme year(s) (got {last_year})."
        )


# --- what to generate (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class IssuerSpec:
    code: str
    name_en: str
    name_zh: str
    board: str
    industry: str
    market_cap_band: str
    revenue_band: str
    employee_band: str
    maturity: float  # typical answer level before the programme starts
    growth: float  # levels gained per programme year
    archetype: str
    dont_know_rate: float


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    x = rng.random() * sum(w for _v, w in pairs)
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


def issuer_spec(*, seed: int, n: int) -> IssuerSpec:
    """The n-th synthetic issuer; depends only on (seed, n), so sizes nest."""
    code = str(FIRST_CODE + n).zfill(5)
    rng = random.Random(f"market:{seed}:{code}")
    industry = _weighted(rng, list(INDUSTRY_WEIGHTS.items()))
    board = Board.GEM if rng.random() < GEM_SHARE else Board.MAIN
    cap = _weighted(rng, list(enumerate(CAP_WEIGHTS[board])))

    def near(band: int, values: list[str]) -> str:
        return values[max(0, min(len(values) - 1, band + rng.choice((-1, 0, 0, 1))))]

    place = PLACES[rng.randrange(len(PLACES))]
    word = rng.choice(INDUSTRY_WORDS[industry])
    suffix = rng.choice(SUFFIXES)
    maturity = (
        rng.gauss(2.1, 0.55) + INDUSTRY_EFFECT[industry] + SIZE_EFFECT[cap] + BOARD_EFFECT[board]
    )
    return IssuerSpec(
        code=code,
        name_en=f"{place[0]} {word[0]} {suffix[0]} Limited {SYNTHETIC_TAG}",
        name_zh=f"{place[1]}{word[1]}{suffix[1]}有限公司（模擬）",
        board=board,
        industry=industry,
        market_cap_band=CAP_BANDS[cap],
        revenue_band=near(cap, list(RevenueBand.values)),
        employee_band=near(cap, list(EmployeeBand.values)),
        maturity=min(4.3, max(1.1, maturity)),
        growth=max(0.0, rng.gauss(0.18, 0.10)),
        archetype=rng.choice(list(ARCHETYPES)),
        dont_know_rate=rng.choice((0.0, 0.01, 0.03, 0.06, 0.1)),
    )


def item_difficulty(*, fw: Framework, seed: int) -> dict[str, float]:
    """Market-wide offset per item: some practices are rarer than others everywhere."""
    rng = random.Random(f"market:{seed}:items")
    return {item.code: rng.gauss(0.0, 0.3) for item in fw.iter_items()}


def outcome(*, seed: int, code: str, year: int, is_open: bool) -> str:
    """A status, or "not_started" / "started" for open-year drafts."""
    rng = random.Random(f"market:{seed}:{code}:{year}:status")
    return str(_weighted(rng, OPEN_YEAR_OUTCOMES if is_open else CLOSED_YEAR_OUTCOMES))


def synthetic_values(
    *,
    fw: Framework,
    spec: IssuerSpec,
    year_index: int,
    difficulty: dict[str, float],
    rng: random.Random,
) -> dict[str, AnswerValue]:
    """Answers of a complete submission (optional figures may stay blank)."""
    base = spec.maturity + spec.growth * year_index + rng.gauss(0.0, 0.15)
    profile = Profile(
        base=min(4.8, max(1.0, base)),
        bias=ARCHETYPES[spec.archetype],
        dont_know_rate=spec.dont_know_rate,
        item_bias=difficulty,
    )
    values: dict[str, AnswerValue] = {}
    for item in fw.iter_items():
        value = synthetic_answer(item, profile, rng)
        if value is not None:
            values[item.code] = value
    return values


def cohort_years(*, cohorts: int, last_year: int) -> list[int]:
    return list(range(last_year - cohorts + 1, last_year + 1))


def _at(day: date, rng: random.Random, spread_days: float) -> datetime:
    start = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
    return start + timedelta(seconds=int(rng.random() * spread_days * 86400))


# --- writing ------------------------------------------------------------------------------


class _Writer:
    """Insert rows given as tuples of attribute values; COPY on PostgreSQL.

    Fields a row leaves out get the model field's default, so a column added later with a
    default does not break the generator.
    """

    def __init__(self) -> None:
        self.copy = connection.vendor == "postgresql"
        self.counts: Counter[str] = Counter()

    def insert(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        *,
        returning: bool = False,
    ) -> list[int]:
        if not rows:
            return []
        self.counts[model._meta.label] += len(rows)
        pk = model._meta.pk
        assert pk is not None
        # Columns left out take their Python default here; a database default (db_default)
        # is left to the database, which COPY cannot be handed as a value.
        extra = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in fields and not f.primary_key and not f.has_db_default()
        ]
        names = [*fields, *(f.attname for f in extra)]
        defaults = tuple(f.get_default() for f in extra)
        if not self.copy:
            objs = [model(**dict(zip(names, row + defaults, strict=True))) for row in rows]
            model._default_manager.bulk_create(objs, batch_size=CHUNK)
            return [int(o.pk) for o in objs] if returning else []
        return self._copy(model, names, [row + defaults for row in rows], returning)

    def _copy(
        self,
        model: type[models.Model],
        names: list[str],
        rows: list[tuple[Any, ...]],
        returning: bool,
    ) -> list[int]:
        from psycopg import sql
        from psycopg.types.json import Jsonb

        table = model._meta.db_table
        by_name = {f.attname: f for f in model._meta.concrete_fields}
        columns = [by_name[n].column for n in names]
        json_at = [i for i, n in enumerate(names) if isinstance(by_name[n], models.JSONField)]
        ids: list[int] = []
        with connection.cursor() as cursor:
            if returning:
                # Reserve the ids from the table's own sequence, so the rows that point at
                # these can be written in the same pass and later inserts never collide.
                pk = model._meta.pk
                assert pk is not None
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk.column, len(rows)],
                )
                ids = [r[0] for r in cursor.fetchall()]
                columns.insert(0, pk.column)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(str(c)) for c in columns)
            )
            with cursor.cursor.copy(statement) as copy:
                for n, row in enumerate(rows):
                    if json_at:
                        row = tuple(Jsonb(v) if i in json_at else v for i, v in enumerate(row))
                    copy.write_row((ids[n], *row) if returning else row)
        return ids


@dataclass
class MarketSummary:
    rows: dict[str, int]
    seconds: float  # generating and committing, without deleting an earlier run
    replaced: dict[str, int] = field(default_factory=dict)
    delete_seconds: float = 0.0
    cohort_slugs: list[str] = field(default_factory=list)


ANSWER_FIELDS = (
    "assessment_id",
    "item_id",
    "level",
    "choice",
    "number",
    "dont_know",
    "note",
    "confidence",
    "version",
    "updated_by_id",
    "updated_at",
)
ASSESSMENT_FIELDS = (
    "issuer_id",
    "cohort_id",
    "framework_id",
    "status",
    "created_by_id",
    "created_at",
    "updated_at",
    "submitted_at",
    "submitted_by_id",
)
SNAPSHOT_FIELDS = (
    "assessment_id",
    "issuer_id",
    "is_current",
    "framework_id",
    "overall_score",
    "maturity_level",
    "tier",
    "completeness",
    "result",
    "shift_scores",
    "kpis",
    "provisional",
    "created_at",
    "created_by_id",
)
COMPONENT_FIELDS = ("snapshot_id", "kind", "code", "score")
STATUS_FIELDS = ("assessment_id", "from_status", "to_status", "user_id", "note", "created_at")
CONFIDENCE = (("self", 0.55), ("documented", 0.30), ("verified", 0.05), ("", 0.10))


@dataclass
class _Planned:
    """One assessment to write: its rows, before ids are known."""

    issuer_id: int
    status: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    answers: list[tuple[Any, ...]]  # ANSWER_FIELDS without assessment_id
    snapshot: dict[str, Any] | None
    components: list[tuple[str, str, Any]]
    changes: list[tuple[str, str, str, datetime]]


def _plan(
    *,
    fw: Framework,
    items: list[tuple[ItemDef, int]],
    spec: IssuerSpec,
    issuer_id: int,
    year: int,
    year_index: int,
    is_open: bool,
    seed: int,
    difficulty: dict[str, float],
) -> _Planned:
    opens = date(year, 3, 1)
    result = outcome(seed=seed, code=spec.code, year=year, is_open=is_open)
    rng = random.Random(f"market:{seed}:{spec.code}:{year}")
    created = _at(opens, rng, 30)
    values = synthetic_values(
        fw=fw, spec=spec, year_index=year_index, difficulty=difficulty, rng=rng
    )
    if result == "not_started":
        values = {}
    elif result == "started":
        # Part-way through: the first questions of the wizard are answered.
        answered = {i.code for i, _ in items[: round(len(items) * (0.1 + 0.8 * rng.random()))]}
        values = {code: v for code, v in values.items() if code in answered}
    submitted = reviewed = None
    if result not in ("not_started", "started"):
        submitted = created + timedelta(days=14 + 120 * rng.random(), hours=rng.random() * 8)
        if result != AssessmentStatus.SUBMITTED:
            reviewed = submitted + timedelta(days=1 + 29 * rng.random())
    last_answer = submitted or created + timedelta(days=1 + 40 * rng.random())
    span = (last_answer - created).total_seconds()
    answers: list[tuple[Any, ...]] = []
    scored: dict[str, AnswerValue] = {}
    for item, item_id in items:
        value = values.get(item.code)
        if value is None:
            answers.append((item_id, None, "", None, False, "", "", 0, None, None))
            scored[item.code] = AnswerValue()
            continue
        confidence = "" if value.dont_know else _weighted(rng, CONFIDENCE)
        at = created + timedelta(seconds=int(span * rng.random()))
        row = (item_id, value.level, value.choice, value.number, value.dont_know, "")
        answers.append((*row, confidence, 1, None, at))
        scored[item.code] = value
    changes: list[tuple[str, str, str, datetime]] = []
    snapshot = None
    components: list[tuple[str, str, Any]] = []
    status = AssessmentStatus.DRAFT if submitted is None else result
    if submitted is not None:
        # The same computation as services.snapshot_create, on the values of the rows above.
        scores = score(fw, scored)
        snapshot = {
            **snapshot_values(scores),
            "kpis": kinds.kpi_values(fw, scored),
            "created_at": submitted,
        }
        components = snapshot_component_values(scores)
        changes.append((AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED, "", submitted))
        if reviewed is not None:
            note = RETURN_NOTE if status == AssessmentStatus.RETURNED else ""
            changes.append((AssessmentStatus.SUBMITTED, status, note, reviewed))
    updated = reviewed or submitted or (last_answer if values else created)
    return _Planned(
        issuer_id=issuer_id,
        status=status,
        created_at=created,
        updated_at=updated,
        submitted_at=submitted,
        answers=answers,
        snapshot=snapshot,
        components=components,
        changes=changes,
    )


def _write(
    writer: _Writer,
    planned: list[_Planned],
    *,
    cohort: Cohort,
    framework_id: int,
    current: set[tuple[int, int]],
) -> None:
    """Write one batch of planned assessments and everything that hangs off them."""
    ids = writer.insert(
        Assessment,
        ASSESSMENT_FIELDS,
        [
            (
                p.issuer_id,
                cohort.pk,
                framework_id,
                p.status,
                None,
                p.created_at,
                p.updated_at,
                p.submitted_at,
                None,
            )
            for p in planned
        ],
        returning=True,
    )
    writer.insert(
        Answer,
        ANSWER_FIELDS,
        [(aid, *row) for aid, p in zip(ids, planned, strict=True) for row in p.answers],
    )
    writer.insert(
        StatusChange,
        STATUS_FIELDS,
        [
            (aid, old, new, None, note, at)
            for aid, p in zip(ids, planned, strict=True)
            for old, new, note, at in p.changes
        ],
    )
    with_snapshot = [(aid, p) for aid, p in zip(ids, planned, strict=True) if p.snapshot]
    snapshot_ids = writer.insert(
        ScoreSnapshot,
        SNAPSHOT_FIELDS,
        [
            (
                aid,
                p.issuer_id,
                (p.issuer_id, cohort.year) in current,
                framework_id,
                s["overall_score"],
                s["maturity_level"],
                s["tier"],
                s["completeness"],
                s["result"],
                s["shift_scores"],
                s["kpis"],
                s["provisional"],
                s["created_at"],
                None,
            )
            for aid, p in with_snapshot
            if (s := p.snapshot) is not None
        ],
        returning=True,
    )
    snapshot_groups_freeze(snapshot_ids=snapshot_ids)
    writer.insert(
        ScoreComponent,
        COMPONENT_FIELDS,
        [
            (sid, kind, code, value)
            for sid, (_aid, p) in zip(snapshot_ids, with_snapshot, strict=True)
            for kind, code, value in p.components
        ],
    )


# --- existing generated data ---------------------------------------------------------------


def generated_issuers() -> models.QuerySet[Issuer]:
    return Issuer.objects.filter(
        stock_code__gte=str(FIRST_CODE),
        stock_code__lte=str(FIRST_CODE + MAX_ISSUERS - 1),
        name_en__endswith=SYNTHETIC_TAG,
    )


def generated_cohorts() -> models.QuerySet[Cohort]:
    return Cohort.objects.filter(slug__startswith=SLUG_PREFIX, name_en__endswith=SYNTHETIC_TAG)


def market_delete() -> dict[str, int]:
    """Delete everything an earlier run generated, after checking that nothing else
    depends on it (a login for a synthetic issuer, a real issuer in a synthetic cohort…).
    Returns rows deleted per table."""
    issuers, cohorts = generated_issuers(), generated_cohorts()
    if User.objects.filter(issuer__in=issuers).exists():
        raise MarketError(
            "Some synthetic issuers have user accounts; they were not generated by this "
            "command, so nothing was deleted. Remove those accounts first."
        )
    stray = Assessment.objects.filter(issuer__in=issuers).exclude(cohort__in=cohorts)
    stray |= Assessment.objects.filter(cohort__in=cohorts).exclude(issuer__in=issuers)
    if stray.exists():
        raise MarketError(
            "Synthetic issuers and cohorts are mixed with other assessments (an issuer "
            "enrolled elsewhere, or a real issuer in a synthetic cohort); nothing was deleted."
        )
    assessments = Assessment.objects.filter(cohort__in=cohorts)
    # Someone may have rendered reports of synthetic issuers: their files go too, once
    # the deletion is committed.
    report_file = Report._meta.get_field("file")
    files = list(
        Report.objects.filter(assessment__in=assessments)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    storage = report_file.storage  # type: ignore[attr-defined]

    def remove_files() -> None:
        for name in files:
            storage.delete(name)

    if files:
        transaction.on_commit(remove_files)
    counts: Counter[str] = Counter()
    # The two big tables go first in bulk; the ORM collector would load every answer row.
    counts[AnswerRevision._meta.label] = AnswerRevision.objects.filter(
        answer__assessment__in=assessments
    ).delete()[0]
    counts[Answer._meta.label] = Answer.objects.filter(assessment__in=assessments)._raw_delete(
        connection.alias
    )
    counts[ScoreComponent._meta.label] = ScoreComponent.objects.filter(
        snapshot__assessment__in=assessments
    )._raw_delete(connection.alias)
    for qs in (assessments, cohorts, issuers):
        counts.update(qs.delete()[1])
    return {label: n for label, n in counts.items() if n}


# --- entry point ----------------------------------------------------------------------------


def market_generate(
    *,
    framework: FrameworkVersion,
    issuers: int,
    cohorts: int,
    seed: int,
    last_year: int,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> MarketSummary:
    """Generate the synthetic market in one transaction. Raises MarketError, having
    changed nothing, when the arguments are out of range, when earlier generated data
    exists and `replace` is false, or when the stock codes or cohort slugs it needs are
    taken by data it did not generate."""
    market_check_arguments(issuers=issuers, cohorts=cohorts, seed=seed, last_year=last_year)
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    years = cohort_years(cohorts=cohorts, last_year=last_year)
    specs = [issuer_spec(seed=seed, n=n) for n in range(issuers)]
    slugs = [f"{SLUG_PREFIX}{year}" for year in years]
    with transaction.atomic():
        taken = Issuer.objects.filter(stock_code__in=[s.code for s in specs]).exclude(
            name_en__endswith=SYNTHETIC_TAG
        )
        if taken.exists():
            raise MarketError(
                f"Stock codes {specs[0].code}–{specs[-1].code} are reserved for synthetic "
                f"issuers, but {taken.count()} of them belong to other issuers (e.g. "
                f"{taken.order_by('stock_code').first()}); nothing was changed."
            )
        clash = Cohort.objects.filter(slug__in=slugs).exclude(name_en__endswith=SYNTHETIC_TAG)
        if clash.exists():
            raise MarketError(
                f"Cohort slug {clash.order_by('slug').first()} is taken by a cohort this "
                "command did not generate; choose another --year. Nothing was changed."
            )
        replaced: dict[str, int] = {}
        if generated_issuers().exists() or generated_cohorts().exists():
            if not replace:
                raise MarketError(
                    f"Synthetic market data from an earlier run exists "
                    f"({generated_issuers().count()} issuers, {generated_cohorts().count()} "
                    "cohorts). Run again with --replace to delete it and generate afresh; "
                    "nothing was changed."
                )
            say("Deleting the previously generated market…")
            replaced = market_delete()
            if connection.vendor == "postgresql":
                # Run the deletion's deferred foreign-key checks now rather than at commit,
                # so they count as deleting, not as generating.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        deleted = time.perf_counter()
        summary = _generate(framework, specs, years, seed, say)
        summary.replaced = replaced
        summary.cohort_slugs = slugs
        if connection.vendor == "postgresql":
            # Fresh planner statistics: the first dashboards after a bulk load would
            # otherwise be planned as if the tables were still empty.
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE "
                    + ", ".join(
                        m._meta.db_table
                        for m in (Issuer, Assessment, Answer, ScoreSnapshot, ScoreComponent)
                    )
                )
    summary.delete_seconds = deleted - started
    summary.seconds = time.perf_counter() - deleted
    return summary


def _generate(
    version: FrameworkVersion,
    specs: list[IssuerSpec],
    years: list[int],
    seed: int,
    say: Callable[[str], None],
) -> MarketSummary:
    fw = framework_of(version)
    item_ids = dict(Item.objects.filter(framework=version).values_list("code", "pk"))
    items = [(item, item_ids[item.code]) for item in fw.iter_items()]
    difficulty = item_difficulty(fw=fw, seed=seed)
    writer = _Writer()

    created = datetime(years[0] - 1, 12, 1, tzinfo=UTC)
    issuer_objs = Issuer.objects.bulk_create(
        [
            Issuer(
                stock_code=s.code,
                name_en=s.name_en,
                name_zh=s.name_zh,
                board=s.board,
                industry=s.industry,
                market_cap_band=s.market_cap_band,
                revenue_band=s.revenue_band,
                employee_band=s.employee_band,
                profile_confirmed_at=created,
                created_at=created,
            )
            for s in specs
        ],
        batch_size=CHUNK,
    )
    writer.counts[Issuer._meta.label] += len(issuer_objs)
    issuer_ids = {i.stock_code: i.pk for i in issuer_objs}
    cohort_objs = Cohort.objects.bulk_create(
        Cohort(
            name_en=f"Market programme {year} {SYNTHETIC_TAG}",
            name_zh=f"{year}年度市場計劃（模擬）",
            slug=f"{SLUG_PREFIX}{year}",
            year=year,
            framework=version,
            opens_on=date(year, 3, 1),
            closes_on=date(year, 10, 31),
            status=CohortStatus.OPEN if year == years[-1] else CohortStatus.CLOSED,
        )
        for year in years
    )
    writer.counts[Cohort._meta.label] += len(cohort_objs)

    # Each issuer's current snapshot is its latest submission: the last year in which
    # it submitted (the open year only when it got that far).
    current: set[tuple[int, int]] = set()
    for spec in specs:
        for year in reversed(years):
            state = outcome(seed=seed, code=spec.code, year=year, is_open=year == years[-1])
            if state not in ("not_started", "started"):
                current.add((issuer_ids[spec.code], year))
                break

    for index, cohort in enumerate(cohort_objs):
        planning = writing = 0.0
        for batch in _chunks(specs, CHUNK):
            started = time.perf_counter()
            planned = [
                _plan(
                    fw=fw,
                    items=items,
                    spec=spec,
                    issuer_id=issuer_ids[spec.code],
                    year=cohort.year,
                    year_index=index,
                    is_open=cohort.year == years[-1],
                    seed=seed,
                    difficulty=difficulty,
                )
                for spec in batch
            ]
            planned_at = time.perf_counter()
            _write(writer, planned, cohort=cohort, framework_id=version.pk, current=current)
            planning += planned_at - started
            writing += time.perf_counter() - planned_at
        say(
            f"  {cohort.slug}: {len(specs)} assessments "
            f"(answers and scores {planning:.1f} s, writing {writing:.1f} s)"
        )
    return MarketSummary(rows=dict(writer.counts), seconds=0.0)


def _chunks(seq: list[IssuerSpec], size: int) -> Iterator[list[IssuerSpec]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]
