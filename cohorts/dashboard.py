"""Cohort dashboard data: a fixed number of aggregate queries, whatever the cohort size."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import Board, Industry, MarketCapBand, normalise_stock_code
from accounts.selectors import Contact, InvitationStatus, issuer_contacts
from assessments import kinds
from assessments.models import (
    EDITABLE_STATUSES,
    Answer,
    Assessment,
    AssessmentStatus,
    Item,
    ScoreComponent,
    ScoreSnapshot,
)
from assessments.selectors import answered_q, framework_of
from core.aggregates import PercentileCont

from .models import Cohort

BINS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))
SORTS = {
    "code": "issuer__stock_code",
    "-code": "-issuer__stock_code",
    "score": "latest_score",
    "-score": "-latest_score",
    "activity": "updated_at",
    "-activity": "-updated_at",
    "answered": "answered",
    "-answered": "-answered",
    "deadline": "deadline_on",
    "-deadline": "-deadline_on",
}
PAGE_SIZE = 50
# Follow-up filters, each a yes/no box of the form; they combine (AND).
FLAGS = ("not_started", "not_accepted", "overdue")
SEARCH_MAX = 100
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")


@dataclass(frozen=True)
class DashboardFilters:
    """The dashboard's query parameters, validated: anything unknown falls back to the
    default, so a hand-edited or stale URL shows the page rather than an error."""

    q: str = ""
    status: str = ""
    industry: str = ""
    flags: frozenset[str] = frozenset()
    sort: str = "code"
    page: int = 1
    # Another cohort's slug to compare with (year on year); the view checks it is visible.
    compare: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> DashboardFilters:
        try:
            page = max(1, min(int(params.get("page", "1")), 1_000_000))
        except (TypeError, ValueError):
            page = 1
        status = params.get("status", "")
        industry = params.get("industry", "")
        sort = params.get("sort", "code")
        return cls(
            # Control characters (a NUL, which PostgreSQL refuses in text) are dropped.
            q=" ".join("".join(c for c in str(params.get("q", "")) if c >= " ").split())[
                :SEARCH_MAX
            ],
            status=status if status in AssessmentStatus.values else "",
            industry=industry if industry in Industry.values else "",
            flags=frozenset(f for f in FLAGS if params.get(f) == "1"),
            sort=sort if sort in SORTS else "code",
            page=page,
            compare=compare if _SLUG.fullmatch(compare := str(params.get("compare", ""))) else "",
        )

    def query(self, **changes: Any) -> str:
        """The query string of these filters with `changes` (paging links keep the rest)."""
        f = replace(self, **changes)
        pairs = [("q", f.q), ("status", f.status), ("industry", f.industry)]
        pairs += [(flag, "1") for flag in FLAGS if flag in f.flags]
        pairs += [("sort", "" if f.sort == "code" else f.sort), ("compare", f.compare)]
        pairs += [("page", str(f.page))]
        return urlencode([(k, v) for k, v in pairs if v and not (k == "page" and v == "1")])


@dataclass(frozen=True)
class IssuerRow:
    """One line of the issuer table: the assessment (with its issuer, latest score and
    answered count annotated) and who to follow up with."""

    assessment: Assessment
    lead: Contact | None  # the issuer's lead, else its first contact
    last_login: datetime.datetime | None  # the latest login of any of its contacts
    answered: int
    total: int
    deadline: datetime.date | None
    extended: bool
    overdue: bool
    started: bool


def _latest(cohort: Cohort, prefix: str = "", industry: str = "") -> Q:
    """Snapshots of the cohort's assessments that no later snapshot of the same
    assessment replaces (a resubmission replaces the earlier one).

    Written as NOT EXISTS (a newer one) rather than "pk = newest pk": PostgreSQL runs it
    as one hash anti-join and estimates its size, where the scalar subquery was re-run per
    snapshot and estimated at a handful of rows, which made every join after it a loop.
    """
    newer = ScoreSnapshot.objects.filter(assessment=OuterRef(f"{prefix}assessment")).filter(
        Q(created_at__gt=OuterRef(f"{prefix}created_at"))
        | Q(created_at=OuterRef(f"{prefix}created_at"), pk__gt=OuterRef(f"{prefix}pk"))
    )
    q = Q(~Exists(newer), **{f"{prefix}assessment__cohort": cohort})
    # A withdrawn assessment leaves every figure of its cohort (kept, not counted).
    q &= Q(**{f"{prefix}assessment__withdrawn_at": None})
    if industry:
        q &= Q(**{f"{prefix}issuer__industry": industry})
    return q


T = TypeVar("T")
# Score aggregates only change when a snapshot is added to the cohort; a day bounds what a
# deleted snapshot could leave behind (the marker also counts them).
AGGREGATES_TTL = 60 * 60 * 24


def aggregates_key(cohort: Cohort, industry: str = "") -> str:
    """The cache key of the cohort's score aggregates: it changes with its snapshot set."""
    return _aggregates_key(cohort, industry)


def _aggregates_key(cohort: Cohort, industry: str = "") -> str:
    """Snapshot rows are never edited, so (newest id, count) identifies the set exactly
    (a withdrawal or reinstatement changes the count); each industry filter has its own
    entry."""
    marker = ScoreSnapshot.objects.filter(
        assessment__cohort=cohort, assessment__withdrawn_at=None
    ).aggregate(last=Max("pk"), n=Count("pk"))
    return (
        f"cohort-dashboard:v3:{cohort.pk}:{cohort.framework_id}:{industry}:"
        f"{marker['last']}:{marker['n']}"
    )


def _snapshot_cached(cohort: Cohort, compute: Callable[[], T], industry: str = "") -> T:
    """The snapshot-derived aggregates (histogram, tiers, medians, heatmap), cached per
    cohort until a snapshot is added or removed.

    At market scale they are most of a dashboard request (sorting ~50,000 component scores
    for the medians), yet they change only when someone submits; everything that moves
    with each saved answer (funnel, value-chain adoption, the issuer table) stays live.
    After a submission the worker computes them ahead of the next reader
    (`aggregates_refresh`, through cohorts.tasks).
    """
    key = _aggregates_key(cohort, industry)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, AGGREGATES_TTL)
    return value


def _groups() -> dict[str, tuple[str, Any]]:
    return {
        "size": ("issuer__market_cap_band", MarketCapBand.choices),
        "board": ("issuer__board", Board.choices),
    }


def aggregates_refresh(*, cohort: Cohort) -> bool:
    """Compute and cache the score aggregates now, so no dashboard reader waits for them.

    Idempotent and cheap when repeated: the key names the exact snapshot set, so a batch
    of submissions (seed_demo, a bulk import) computes once and the other refreshes find
    the value already there. Returns whether it computed.
    """
    key = _aggregates_key(cohort)
    if cache.get(key) is not None:
        return False
    fw = framework_of(cohort.framework)
    tier_codes = sorted(t.code for t in fw.tiers)
    kpi_codes = [item.code for item in kinds.kpi_items(fw)]
    cache.set(key, _aggregates(cohort, tier_codes, _groups(), kpi_codes), AGGREGATES_TTL)
    return True


def _counted(cohort: Cohort, prefix: str = "", industry: str = "") -> Q:
    """The latest snapshots that count in score aggregates: a provisional one (too little
    of its weight known) counts in none, and no earlier snapshot stands in for it."""
    return _latest(cohort, prefix, industry) & Q(**{f"{prefix}provisional": False})


def latest_snapshots(cohort: Cohort, industry: str = "") -> QuerySet[ScoreSnapshot]:
    """Each cohort assessment's most recent snapshot, unless it is provisional (of the
    issuers in `industry` when given)."""
    return ScoreSnapshot.objects.filter(_counted(cohort, industry=industry))


@dataclass
class Dashboard:
    funnel: list[tuple[str, int]]
    histogram: list[tuple[str, int]]
    shift_medians: list[tuple[str, float | None, int]]
    # Median per dimension (rows, grouped by shift) × industry present in the cohort (columns).
    heatmap_industries: list[str]
    heatmap_rows: list[tuple[str, str, list[float | None]]]  # shift, dimension, medians
    # Key figures: (median, how many gave it) per figure (rows) × industry present (columns).
    kpi_industries: list[str]
    kpi_rows: list[tuple[str, str, int, list[tuple[float | None, int]]]]  # name, unit, decimals
    tiers: list[tuple[str, int]]
    by_size: list[tuple[str, float | None, int]]
    by_board: list[tuple[str, float | None, int]]
    depths: list[str]
    value_chain: list[tuple[str, list[int]]]
    page: Page  # type: ignore[type-arg]
    rows: list[IssuerRow]  # the page's rows
    total: int  # rows matching the filters, over every page
    filters: DashboardFilters

    @property
    def prev_query(self) -> str:
        return self.filters.query(page=self.page.number - 1)

    @property
    def next_query(self) -> str:
        return self.filters.query(page=self.page.number + 1)


def _kpi_aggregates(kpi_codes: list[str]) -> dict[str, Aggregate]:
    """Each key figure's median and count per industry, from the figures frozen on the
    snapshots (`kpis`), as FILTERed aggregates of the one snapshot aggregate query: one
    snapshot row per assessment, so a filter per industry stays cheap there."""
    if not kpi_codes:
        return {}
    figures = [Cast(KeyTextTransform(code, "kpis"), FloatField()) for code in kpi_codes]
    out: dict[str, Aggregate] = {}
    for i, (value, _label) in enumerate(Industry.choices):
        in_industry = Q(issuer__industry=value)
        out[f"kpi_{i}"] = Count("pk", filter=in_industry)
        for j, figure in enumerate(figures):
            out[f"kpi_{i}_{j}_median"] = PercentileCont(figure, 0.5, filter=in_industry)
            out[f"kpi_{i}_{j}_n"] = Count(figure, filter=in_industry)
    return out


def _kpi_medians(
    stats: dict[str, Any], kpi_codes: list[str]
) -> dict[str, dict[str, tuple[float | None, int]]]:
    """{industry: {figure code: (median, n)}} for the industries with a snapshot."""
    if not kpi_codes:
        return {}
    return {
        value: {
            code: (stats[f"kpi_{i}_{j}_median"], stats[f"kpi_{i}_{j}_n"])
            for j, code in enumerate(kpi_codes)
        }
        for i, (value, _label) in enumerate(Industry.choices)
        if stats[f"kpi_{i}"]
    }


def _aggregates(
    cohort: Cohort,
    tier_codes: list[str],
    groups: dict[str, tuple[str, Any]],
    kpi_codes: list[str],
    industry: str = "",
) -> tuple[dict[str, Any], dict[str, tuple[float | None, int]], dict[str, dict[str, float | None]]]:
    stats = latest_snapshots(cohort, industry).aggregate(
        **{
            f"b{lo}": Count("pk", filter=Q(overall_score__gte=lo, overall_score__lt=hi))
            for lo, hi in BINS
        },
        **{f"tier_{i}": Count("pk", filter=Q(tier=code)) for i, code in enumerate(tier_codes)},
        **{
            f"{key}_{kind}_{i}": agg
            for key, (lookup, choices) in groups.items()
            for i, (value, _label) in enumerate(choices)
            for kind, agg in (
                ("median", PercentileCont("overall_score", 0.5, filter=Q(**{lookup: value}))),
                ("n", Count("pk", filter=Q(**{lookup: value}))),
            )
        },
        **_kpi_aggregates(kpi_codes),
    )

    # Shift medians over the cohort, then dimension medians per industry grouped by
    # (dimension, industry): one percentile per group instead of a FILTER per industry,
    # which evaluated every filter on every one of ~50,000 component rows at market scale.
    latest_components = ScoreComponent.objects.filter(_counted(cohort, "snapshot__", industry))
    medians: dict[str, tuple[float | None, int]] = {
        row["code"]: (row["median"], row["n"])
        for row in latest_components.filter(kind=ScoreComponent.Kind.SHIFT)
        .values("code")
        .order_by("code")
        .annotate(median=PercentileCont("score", 0.5), n=Count("score"))
    }
    by_industry: dict[str, dict[str, float | None]] = {}
    for code, industry_code, median in (
        latest_components.filter(kind=ScoreComponent.Kind.DIMENSION)
        .values_list("code", "snapshot__issuer__industry")
        .order_by()
        .annotate(median=PercentileCont("score", 0.5))
    ):
        by_industry.setdefault(industry_code, {})[code] = median
    return stats, medians, by_industry


def _count(answers: QuerySet[Answer]) -> Subquery:
    return Subquery(
        answers.filter(assessment=OuterRef("pk"))
        .order_by()
        .values("assessment")
        .annotate(n=Count("*"))
        .values("n"),
        output_field=IntegerField(),
    )


def search_stock_code(text: str) -> str | None:
    """The stock code a search means, if it is one: `700`, `0700`, `00700`, `0700.HK`."""
    text = text.strip()
    if text.upper().endswith(".HK"):
        text = text[:-3]
    try:
        return normalise_stock_code(text)
    except ValueError:
        return None


def _issuer_rows(
    assessments: QuerySet[Assessment], filters: DashboardFilters
) -> QuerySet[Assessment]:
    """The issuer table's rows, filtered and sorted, each with its latest score, answered
    count and deadline as columns of the one page query."""
    newest = ScoreSnapshot.objects.filter(assessment=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = assessments.select_related("issuer", "cohort").annotate(
        latest_score=Subquery(newest.values("overall_score")[:1]),
        latest_provisional=Subquery(newest.values("provisional")[:1]),
        answered=Coalesce(_count(Answer.objects.filter(answered_q())), Value(0)),
        items_total=Coalesce(_count(Answer.objects.all()), Value(0)),
        started=Exists(Answer.objects.filter(assessment=OuterRef("pk"), version__gt=0)),
        deadline_on=Coalesce("extended_until", F("cohort__closes_on")),
    )
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q:
        text = Q(issuer__name_en__icontains=filters.q) | Q(issuer__name_zh__icontains=filters.q)
        code = search_stock_code(filters.q)
        rows = rows.filter(text | Q(issuer__stock_code=code) if code else text)
    if "not_started" in filters.flags:
        rows = rows.filter(started=False)
    if "overdue" in filters.flags:
        rows = rows.filter(
            deadline_on__lt=timezone.localdate(),
            status__in=[s.value for s in EDITABLE_STATUSES],
        )
    if "not_accepted" in filters.flags:
        # Contacts are read only through accounts.selectors (one query for the cohort).
        ids = list(assessments.values_list("issuer_id", flat=True))
        accepted = [
            issuer_id
            for issuer_id, contacts in issuer_contacts(issuer_ids=ids).items()
            if any(c.is_lead and c.status == InvitationStatus.ACCEPTED for c in contacts)
        ]
        rows = rows.exclude(issuer_id__in=accepted)
    return rows.order_by(SORTS[filters.sort], "issuer__stock_code", "pk")


def _page_rows(page: Page) -> list[IssuerRow]:  # type: ignore[type-arg]
    """The page's assessments with their contacts, read in one query for the page."""
    assessments: list[Assessment] = list(page.object_list)
    contacts = issuer_contacts(issuer_ids={a.issuer_id for a in assessments})
    today = timezone.localdate()
    out = []
    for a in assessments:
        people = contacts.get(a.issuer_id, [])
        logins = [c.last_login for c in people if c.last_login]
        deadline = a.deadline_on  # type: ignore[attr-defined]
        out.append(
            IssuerRow(
                assessment=a,
                lead=next((c for c in people if c.is_lead), people[0] if people else None),
                last_login=max(logins, default=None),
                answered=a.answered,  # type: ignore[attr-defined]
                total=a.items_total,  # type: ignore[attr-defined]
                deadline=deadline,
                extended=a.extended_until is not None,
                overdue=deadline is not None and deadline < today and a.is_editable,
                started=a.started,  # type: ignore[attr-defined]
            )
        )
    return out


def cohort_dashboard(*, cohort: Cohort, filters: DashboardFilters | None = None) -> Dashboard:
    """Every figure of the dashboard. The industry filter narrows every chart and count as
    well as the table; search, status and the follow-up filters narrow the table."""
    filters = filters or DashboardFilters()
    industry = filters.industry
    lang = get_language()
    fw = framework_of(cohort.framework)
    assessments = Assessment.objects.enrolled().filter(cohort=cohort)
    if industry:
        assessments = assessments.filter(issuer__industry=industry)
    funnel_row = assessments.aggregate(
        enrolled=Count("pk"),
        started=Count(
            "pk", filter=Q(Exists(Answer.objects.filter(assessment=OuterRef("pk"), version__gt=0)))
        ),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        reviewed=Count("pk", filter=Q(status=AssessmentStatus.APPROVED)),
    )
    # Histogram, tiers, the size and board medians and the key figures' medians per
    # industry come from one aggregate, shift and dimension medians from two grouped
    # queries (_aggregates), cached between submissions.
    tier_codes = sorted(t.code for t in fw.tiers)
    groups = _groups()
    kpi_items = kinds.kpi_items(fw)
    kpi_codes = [item.code for item in kpi_items]
    stats, medians, by_industry = _snapshot_cached(
        cohort, lambda: _aggregates(cohort, tier_codes, groups, kpi_codes, industry), industry
    )
    kpi_medians = _kpi_medians(stats, kpi_codes)

    def breakdown(key: str) -> list[tuple[str, float | None, int]]:
        return [
            (str(label), stats[f"{key}_median_{i}"], stats[f"{key}_n_{i}"])
            for i, (_value, label) in enumerate(groups[key][1])
            if stats[f"{key}_n_{i}"]
        ]

    industries = list(Industry.values)

    stage_items = {i.code: i.value_chain_stage for i in fw.iter_items() if i.value_chain_stage}
    # Item ids first (a tiny query), so the planner sees literal ids and walks the
    # cohort's assessments through the answer_choice_given index; joining items by code
    # made it scan every cohort's choice answers. COUNT(*) keeps it index-only.
    item_codes = dict(Item.objects.filter(code__in=stage_items).values_list("pk", "code"))
    adoption: dict[str, dict[str, int]] = {}
    chosen = Answer.objects.filter(
        assessment__cohort=cohort, assessment__withdrawn_at=None, item_id__in=list(item_codes)
    )
    if industry:
        chosen = chosen.filter(assessment__issuer__industry=industry)
    for item_id, choice, n in (
        chosen.exclude(choice="").values_list("item_id", "choice").order_by().annotate(n=Count("*"))
    ):
        counts = adoption.setdefault(stage_items[item_codes[item_id]], {})
        counts[choice] = counts.get(choice, 0) + n

    paginator = Paginator(_issuer_rows(assessments, filters), PAGE_SIZE)
    page = paginator.get_page(filters.page)
    labels = dict(Industry.choices)
    return Dashboard(
        funnel=[
            ("enrolled", funnel_row["enrolled"]),
            ("started", funnel_row["started"]),
            ("submitted", funnel_row["submitted"]),
            ("reviewed", funnel_row["reviewed"]),
        ],
        histogram=[(f"{lo}–{min(hi, 100)}", stats[f"b{lo}"]) for lo, hi in BINS],
        shift_medians=[(s.name.get(lang), *medians.get(s.code, (None, 0))) for s in fw.shifts],
        heatmap_industries=[str(labels[code]) for code in industries if code in by_industry],
        heatmap_rows=[
            (
                shift.name.get(lang),
                dim.name.get(lang),
                [by_industry[code].get(dim.code) for code in industries if code in by_industry],
            )
            for shift in fw.shifts
            for dim in shift.dimensions
        ]
        if by_industry
        else [],
        kpi_industries=[str(labels[code]) for code in industries if code in kpi_medians],
        kpi_rows=[
            (
                item.text.get(lang),
                item.unit.get(lang) if item.unit else "",
                item.decimals,
                [kpi_medians[code][item.code] for code in industries if code in kpi_medians],
            )
            for item in kpi_items
        ]
        if kpi_medians
        else [],
        tiers=[
            (fw.tier(code).name.get(lang), stats[f"tier_{i}"])
            for i, code in enumerate(tier_codes)
            if stats[f"tier_{i}"]
        ],
        by_size=breakdown("size"),
        by_board=breakdown("board"),
        depths=[d.label.get(lang) for d in fw.depths],
        value_chain=[
            (stage.name.get(lang), [adoption.get(stage.code, {}).get(d.code, 0) for d in fw.depths])
            for stage in fw.stages
        ],
        page=page,
        rows=_page_rows(page),
        total=paginator.count,
        filters=filters,
    )
