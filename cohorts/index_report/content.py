"""The sections of the cohort index report: one keyword-only builder each, returning a
dataclass of anonymised figures (`stats.Figure`, never a company's name or own score).

Builders take the cohort's data (`data.cohort_data`) and the framework and read nothing
else; names come out in the language active when they run (`IndexContent` runs them under
the report's language). `IndexContent` builds each section on first use, for the report
and for the dashboard's "compare with".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Board, Industry, MarketCapBand
from assessments import kinds
from assessments.framework import Dimension, Framework
from assessments.selectors import framework_of
from reports.benchmarks import KPI_ROUNDING, detail_min, min_group_size

from ..dashboard import aggregates_key
from ..models import Cohort
from .data import CohortData, Member, cohort_data
from .stats import Figure, disclosed, enough, figures, share, size_order

# Score bands of the overall distribution (the dashboard's histogram bins).
BANDS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))
# A stage's companies "use AI" there when the depth is one of these (value-chain adoption).
ADOPTED = ("production", "redesigned")
STRONGEST_SHOWN = 3


def _lang() -> str:
    return get_language() or "en"


# --- cover and executive summary -------------------------------------------------------


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    percent: float | None


@dataclass(frozen=True)
class Summary:
    enrolled: int
    submitted: int
    approved: int
    counted: int
    provisional: int
    enough: bool
    overall: Figure
    level_median: str  # the level name of the median overall score ("" when withheld)
    levels: list[Share]
    tiers: list[Share]
    bands: list[Share]


def summary(*, data: CohortData, fw: Framework) -> Summary:
    """Participation, the overall distribution, the share at each level and on each path.
    Shares are of all counted companies, shown only when there are at least 5."""
    members = data.members
    ok = enough(data.n)
    overall = figures({"all": members}, lambda m: m.overall)["all"]
    lang = _lang()
    total = sum(1 for m in members if m.overall is not None)
    levels = [
        Share(
            f"{level.level} · {level.name.get(lang)}",
            c := sum(1 for m in members if m.level == level.level),
            share(c, total),
        )
        for level in fw.levels
    ]
    tiers = [
        Share(t.name.get(lang), c := sum(1 for m in members if m.tier == t.code), share(c, data.n))
        for t in fw.tiers
    ]
    bands = [
        Share(
            f"{lo}–{min(hi, 100)}",
            c := sum(1 for m in members if m.overall is not None and lo <= m.overall < hi),
            share(c, total),
        )
        for lo, hi in BANDS
    ]
    median_level = (
        fw.level_for(overall.median).name.get(lang)
        if overall.shown and overall.median is not None
        else ""
    )
    return Summary(
        enrolled=data.enrolled,
        submitted=data.submitted,
        approved=data.approved,
        counted=data.n,
        provisional=data.provisional,
        enough=ok and total >= min_group_size(),
        overall=overall,
        level_median=median_level,
        levels=levels if ok else [],
        tiers=tiers if ok else [],
        bands=bands if ok else [],
    )


# --- the four shifts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    code: str
    name: str
    figure: Figure
    shift: str = ""


@dataclass(frozen=True)
class ShiftSection:
    code: str
    name: str
    purpose: str
    figure: Figure
    dimensions: list[Distribution]


@dataclass(frozen=True)
class Shifts:
    enough: bool
    shifts: list[ShiftSection]
    strongest: list[Distribution]
    weakest: list[Distribution]


def _shift_measure(code: str) -> Callable[[Member], float | None]:
    return lambda m: m.shifts.get(code)


def _dimension_measure(code: str) -> Callable[[Member], float | None]:
    return lambda m: m.dimensions.get(code)


def shifts(*, data: CohortData, fw: Framework) -> Shifts:
    """Distribution (median, middle half) per shift and per dimension over the membership,
    and the strongest and weakest dimensions by median."""
    lang = _lang()
    sections = []
    dims: list[Distribution] = []
    for shift in fw.shifts:
        fig = figures({"all": data.members}, _shift_measure(shift.code))["all"]
        rows = [
            Distribution(
                d.code,
                d.name.get(lang),
                figures({"all": data.members}, _dimension_measure(d.code))["all"],
                shift.name.get(lang),
            )
            for d in shift.dimensions
        ]
        dims += rows
        sections.append(
            ShiftSection(shift.code, shift.name.get(lang), shift.purpose.get(lang), fig, rows)
        )
    ranked = sorted(
        (d for d in dims if d.figure.shown and d.figure.median is not None),
        key=lambda d: (-(d.figure.median or 0), d.code),
    )
    k = min(STRONGEST_SHOWN, len(ranked) // 2)
    return Shifts(
        enough=enough(data.n),
        shifts=sections,
        strongest=ranked[:k],
        weakest=list(reversed(ranked[-k:])) if k else [],
    )


# --- by industry, market-cap band and board ------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    n: int
    overall: Figure
    shifts: list[Figure]


@dataclass(frozen=True)
class Breakdown:
    title: str
    rows: list[GroupRow]


@dataclass(frozen=True)
class Groups:
    shift_names: list[str]
    breakdowns: list[Breakdown]
    withheld: int  # groups with companies whose figures are not shown


PARTITIONS: tuple[tuple[str, str, list[str]], ...] = (
    ("industry", "industry", list(Industry.values)),
    ("size", "size", list(MarketCapBand.values)),
    ("board", "board", list(Board.values)),
)


def partition_groups(members: list[Member]) -> dict[str, list[Member]]:
    """{"all": everyone, "industry:<code>": …, "size:<band>": …, "board:<b>": …}: every
    group with at least one company, in a fixed order."""
    groups: dict[str, list[Member]] = {"all": list(members)}
    for prefix, attr, choices in PARTITIONS:
        for value in choices:
            found = [m for m in members if getattr(m, attr) == value]
            if found:
                groups[f"{prefix}:{value}"] = found
    return groups


def _partition_titles() -> dict[str, str]:
    return {
        "industry": _("By industry"),
        "size": _("By market capitalisation"),
        "board": _("By board"),
    }


def _labels() -> dict[str, str]:
    return {
        **{f"industry:{v}": str(label) for v, label in Industry.choices},
        **{f"size:{v}": str(label) for v, label in MarketCapBand.choices},
        **{f"board:{v}": str(label) for v, label in Board.choices},
    }


def groups(*, data: CohortData, fw: Framework) -> Groups:
    """Median and middle half, overall and per shift, of each industry, size band and
    board, each figure disclosed under the rules (`stats.figures`) across all groups."""
    found = partition_groups(data.members)
    overall = figures(found, lambda m: m.overall)
    per_shift = [figures(found, _shift_measure(s.code)) for s in fw.shifts]
    labels, titles = _labels(), _partition_titles()
    out = []
    for prefix, _attr, _choices in PARTITIONS:
        rows = [
            GroupRow(
                key,
                labels[key],
                len(found[key]),
                overall[key],
                [f[key] for f in per_shift],
            )
            for key in found
            if key.startswith(prefix + ":")
        ]
        out.append(Breakdown(titles[prefix], rows))
    return Groups(
        shift_names=[s.name.get(_lang()) for s in fw.shifts],
        breakdowns=out,
        withheld=sum(1 for b in out for r in b.rows if not r.overall.shown),
    )


# --- value chain ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    code: str
    name: str
    n: int  # companies whose depth at this stage is known
    shares: list[float | None]  # per depth, in per cent (None: too few to show)
    adopted: float | None  # in production or redesigned, per cent


@dataclass(frozen=True)
class ValueChain:
    depths: list[str]
    stages: list[StageRow]
    enough: bool


def value_chain(*, data: CohortData, fw: Framework) -> ValueChain:
    """Adoption by value-chain stage: the share of companies at each depth (none / pilot
    / in production / redesigned), of those who answered for the stage (at least 5)."""
    lang = _lang()
    depth_codes = [d.code for d in fw.depths]
    rows = []
    for stage in fw.stages:
        known = [m.stages.get(stage.code, "") for m in data.members]
        known = [d for d in known if d in depth_codes]
        n = len(known)
        ok = enough(n)
        rows.append(
            StageRow(
                stage.code,
                stage.name.get(lang),
                n,
                [share(known.count(d), n) if ok else None for d in depth_codes],
                share(sum(1 for d in known if d in ADOPTED), n) if ok else None,
            )
        )
    return ValueChain(
        depths=[d.label.get(lang) for d in fw.depths],
        stages=rows,
        enough=any(r.adopted is not None for r in rows),
    )


# --- key figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiDef:
    code: str
    name: str
    unit: str
    decimals: int


@dataclass(frozen=True)
class KpiRow:
    label: str
    cells: list[Figure]


@dataclass(frozen=True)
class KpiBreakdown:
    title: str
    rows: list[KpiRow]


@dataclass(frozen=True)
class Kpis:
    figures: list[KpiDef]
    breakdowns: list[KpiBreakdown]  # the first is "All companies"


def kpis(*, data: CohortData, fw: Framework) -> Kpis:
    """The key figures' medians per group where disclosable (each figure on its own
    contributor set, those who gave it), rounded like peer key figures."""
    lang = _lang()
    items = kinds.kpi_items(fw)
    found = partition_groups(data.members)
    per_item = [
        figures(found, (lambda code: lambda m: m.kpis.get(code))(i.code), KPI_ROUNDING)
        for i in items
    ]
    labels, titles = _labels(), _partition_titles()
    out = [
        KpiBreakdown(_("All companies"), [KpiRow(_("All companies"), [f["all"] for f in per_item])])
    ]
    for prefix, _attr, _choices in PARTITIONS:
        rows = [
            KpiRow(labels[key], [f[key] for f in per_item])
            for key in found
            if key.startswith(prefix + ":")
        ]
        out.append(KpiBreakdown(titles[prefix], rows))
    return Kpis(
        figures=[
            KpiDef(i.code, i.text.get(lang), i.unit.get(lang) if i.unit else "", i.decimals)
            for i in items
        ],
        breakdowns=out,
    )


# --- year on year --------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One measure in both years: the figure now, then, and the change of the shown
    medians (None when either is withheld)."""

    name: str
    now: Figure
    before: Figure
    matched_now: Figure
    matched_before: Figure
    matched_change: Figure  # median of each matched company's own change

    @property
    def delta(self) -> float | None:
        if (
            self.now.shown
            and self.before.shown
            and None not in (self.now.median, self.before.median)
        ):
            return (self.now.median or 0) - (self.before.median or 0)
        return None

    @property
    def matched_delta(self) -> float | None:
        a, b = self.matched_now, self.matched_before
        if a.shown and b.shown and a.median is not None and b.median is not None:
            return a.median - b.median
        return None


@dataclass(frozen=True)
class AdoptionMove:
    name: str
    now: float | None
    before: float | None

    @property
    def delta(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True)
class YearOnYear:
    previous: Cohort | None
    previous_name: str
    n_now: int
    n_before: int
    n_matched: int
    matched_shown: bool
    moves: list[Move]  # overall first, then each shift
    adoption: list[AdoptionMove]
    level3_now: float | None
    level3_before: float | None

    @property
    def level3_delta(self) -> float | None:
        if self.level3_now is None or self.level3_before is None:
            return None
        return self.level3_now - self.level3_before

    @property
    def available(self) -> bool:
        if self.previous is None or not self.moves:
            return False
        return self.moves[0].now.shown and self.moves[0].before.shown


def previous_cohort(cohort: Cohort) -> Cohort | None:
    """The previous programme year's cohort: the latest of an earlier year."""
    return (
        Cohort.objects.filter(year__lt=cohort.year)
        .exclude(pk=cohort.pk)
        .order_by("-year", "-opens_on", "-pk")
        .first()
    )


def _matched_change(
    now: CohortData, before: CohortData, measure: Callable[[Member], float | None]
) -> dict[int, float]:
    then = {m.issuer_id: measure(m) for m in before.members}
    out = {}
    for m in now.members:
        a, b = measure(m), then.get(m.issuer_id)
        if a is not None and b is not None:
            out[m.issuer_id] = a - b
    return out


def _move(
    name: str,
    now: CohortData,
    before: CohortData,
    measure: Callable[[Member], float | None],
    found: dict[str, list[Member]],
) -> Move:
    """One measure in both years under one disclosure decision.

    This year's groups of the report (all companies, each industry, size band and board)
    come first, in the order `groups` decides them, so they are shown exactly as there;
    then last year's companies and the companies counted in both years, each withheld if
    it is too small or differs from one already shown by 1-4 companies. A company is its
    issuer in both years, so "this year" and "last year" differ by the companies that
    joined or left, and the matched sets of the two years are the same set.
    """
    change = _matched_change(now, before, measure)
    ids = set(change)
    cur = {m.issuer_id: v for m in now.members if (v := measure(m)) is not None}
    old = {m.issuer_id: v for m in before.members if (v := measure(m)) is not None}
    values: dict[str, list[float]] = {}
    who: dict[str, set[int]] = {}
    for key, members in found.items():
        pairs = {m.issuer_id: cur[m.issuer_id] for m in members if m.issuer_id in cur}
        values[key], who[key] = list(pairs.values()), set(pairs)
    current = size_order(list(values), {k: len(v) for k, v in who.items()})
    values |= {
        "before": list(old.values()),
        "matched_now": [cur[i] for i in ids],
        "matched_before": [old[i] for i in ids],
    }
    who |= {"before": set(old), "matched_now": set(ids), "matched_before": set(ids)}
    shown = disclosed(values, who, order=[*current, "before", "matched_now", "matched_before"])
    matched_ok = shown["matched_now"].shown and shown["matched_before"].shown
    in_both = [m for m in now.members if m.issuer_id in ids]
    return Move(
        name=name,
        now=shown["all"],
        before=shown["before"],
        matched_now=shown["matched_now"],
        matched_before=shown["matched_before"],
        matched_change=figures({"c": in_both}, lambda m: change.get(m.issuer_id))["c"]
        if matched_ok
        else Figure(n=len(ids), shown=False, reason=shown["matched_now"].reason or "too_few"),
    )


def _adopted(data: CohortData, stage: str) -> float | None:
    known = [m.stages.get(stage, "") for m in data.members]
    known = [d for d in known if d]
    return share(sum(1 for d in known if d in ADOPTED), len(known)) if enough(len(known)) else None


def _level3(data: CohortData) -> float | None:
    scored = [m for m in data.members if m.level is not None]
    if not enough(len(scored)):
        return None
    return share(sum(1 for m in scored if (m.level or 0) >= 3), len(scored))


def year_on_year(*, data: CohortData, previous: CohortData | None, fw: Framework) -> YearOnYear:
    """The same measures against another programme year's cohort: all companies of each
    year, and the companies counted in both years (matched), each under the rules."""
    lang = _lang()
    if previous is None:
        return YearOnYear(None, "", data.n, 0, 0, False, [], [], None, None)
    matched = {m.issuer_id for m in data.members} & {m.issuer_id for m in previous.members}
    found = partition_groups(data.members)
    moves = [_move(_("Overall score"), data, previous, lambda m: m.overall, found)]
    moves += [
        _move(s.name.get(lang), data, previous, _shift_measure(s.code), found) for s in fw.shifts
    ]
    return YearOnYear(
        previous=previous.cohort,
        previous_name=previous.cohort.display_name,
        n_now=data.n,
        n_before=previous.n,
        n_matched=len(matched),
        matched_shown=moves[0].matched_now.shown,
        moves=moves,
        adoption=[
            AdoptionMove(
                stage.name.get(lang), _adopted(data, stage.code), _adopted(previous, stage.code)
            )
            for stage in fw.stages
        ],
        level3_now=_level3(data),
        level3_before=_level3(previous),
    )


# --- what it means -------------------------------------------------------------------------


def _points(x: float) -> str:
    return f"{abs(x):.0f}"


def _change_sentence(name: str, delta: float) -> str:
    if delta > 0:
        return _("%(name)s: the median rose by %(d)s points.") % {"name": name, "d": _points(delta)}
    if delta < 0:
        return _("%(name)s: the median fell by %(d)s points.") % {"name": name, "d": _points(delta)}
    return _("%(name)s: the median did not change.") % {"name": name}


def narrative(
    *, summary: Summary, shifts: Shifts, value_chain: ValueChain, yoy: YearOnYear
) -> list[str]:
    """Sentences built from the numbers by fixed rules (no free text generation); each
    uses only figures the report shows."""
    out = [
        _(
            "%(submitted)d of the %(enrolled)d enrolled companies submitted their assessment; "
            "%(counted)d results count in this report."
        )
        % {"submitted": summary.submitted, "enrolled": summary.enrolled, "counted": summary.counted}
    ]
    if not summary.enough or not summary.overall.shown:
        out.append(_("Not enough companies have results yet for any figure to be shown."))
        return out
    out.append(
        _("The median company scores %(m)s out of 100, which is the level “%(level)s”.")
        % {"m": f"{summary.overall.median:.0f}", "level": summary.level_median}
    )
    at3 = sum(s.count for s in summary.levels[2:])
    if summary.levels:
        pct = share(at3, sum(s.count for s in summary.levels)) or 0
        out.append(
            _(
                "%(p)s%% of companies have reached level 3 or above, where AI is written into "
                "how the company runs."
            )
            % {"p": f"{pct:.0f}"}
        )
    if shifts.strongest and shifts.weakest:
        s, w = shifts.strongest[0], shifts.weakest[0]
        out.append(
            _(
                "Across the membership the strongest dimension is “%(s)s” (median %(sm)s) "
                "and the weakest is “%(w)s” (median %(wm)s)."
            )
            % {
                "s": s.name,
                "sm": f"{s.figure.median:.0f}",
                "w": w.name,
                "wm": f"{w.figure.median:.0f}",
            }
        )
    shown = [s for s in shifts.shifts if s.figure.shown and s.figure.median is not None]
    if len(shown) >= 2:
        hi = max(shown, key=lambda s: s.figure.median or 0)
        lo = min(shown, key=lambda s: s.figure.median or 0)
        if hi is not lo:
            out.append(
                _(
                    "Among the four shifts, “%(hi)s” leads (median %(a)s) and “%(lo)s” trails "
                    "(median %(b)s)."
                )
                % {
                    "hi": hi.name,
                    "a": f"{hi.figure.median:.0f}",
                    "lo": lo.name,
                    "b": f"{lo.figure.median:.0f}",
                }
            )
    stages = [r for r in value_chain.stages if r.adopted is not None]
    if len(stages) >= 2:
        top = max(stages, key=lambda r: r.adopted or 0)
        low = min(stages, key=lambda r: r.adopted or 0)
        out.append(
            _(
                "AI is most often in production or redesigned in %(top)s (%(a)s%% of companies) "
                "and least often in %(low)s (%(b)s%%)."
            )
            % {
                "top": top.name,
                "a": f"{top.adopted:.0f}",
                "low": low.name,
                "b": f"{low.adopted:.0f}",
            }
        )
    if summary.tiers:
        best = max(summary.tiers, key=lambda t: t.count)
        out.append(
            _("The most common path is “%(tier)s” (%(p)s%% of companies).")
            % {"tier": best.label, "p": f"{best.percent or 0:.0f}"}
        )
    if yoy.available:
        overall = yoy.moves[0]
        if overall.delta is not None:
            if overall.delta > 0:
                text = _("Compared with %(prev)s, the median overall score rose by %(d)s points.")
            elif overall.delta < 0:
                text = _("Compared with %(prev)s, the median overall score fell by %(d)s points.")
            else:
                text = _("Compared with %(prev)s, the median overall score did not change.")
            out.append(text % {"prev": yoy.previous_name, "d": _points(overall.delta)})
        change = overall.matched_change
        if change.shown and change.median is not None:
            if change.median > 0:
                text = _(
                    "Among the %(n)d companies counted in both years, the median company "
                    "gained %(d)s points."
                )
            elif change.median < 0:
                text = _(
                    "Among the %(n)d companies counted in both years, the median company "
                    "lost %(d)s points."
                )
            else:
                text = _(
                    "Among the %(n)d companies counted in both years, the median company "
                    "held its score."
                )
            out.append(text % {"n": change.n, "d": _points(change.median)})
        moved = [m for m in yoy.moves[1:] if m.delta is not None]
        if moved:
            biggest = max(moved, key=lambda m: abs(m.delta or 0))
            if biggest.delta:
                out.append(_change_sentence(biggest.name, biggest.delta))
    return out


@dataclass(frozen=True)
class Recommendation:
    title: str
    text: str


def recommendations(
    *, fw: Framework, shifts: Shifts, value_chain: ValueChain
) -> list[Recommendation]:
    """For the membership: the framework's own recommendation for each weakest dimension
    at the level of its median, then one for the value-chain stage that trails."""
    lang = _lang()
    out = []
    for d in shifts.weakest:
        dim: Dimension = fw.dimension(d.code)
        level = fw.level_for(d.figure.median or 0).level
        text = dim.recommendations.get(level) or next(
            (dim.recommendations[k] for k in sorted(dim.recommendations) if k >= level), None
        )
        if text is not None:
            out.append(Recommendation(d.name, text.get(lang)))
    stages = [r for r in value_chain.stages if r.adopted is not None]
    if stages:
        low = min(stages, key=lambda r: r.adopted or 0)
        out.append(
            Recommendation(
                low.name,
                _(
                    "Few members use AI in production here. The association could gather "
                    "members who already run it in %(stage)s to share what worked, and help "
                    "others move a pilot into daily operation."
                )
                % {"stage": low.name},
            )
        )
    return out


# --- method appendix -----------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    framework: str
    min_group: int
    detail_min: int
    rounding: int
    counted: int
    provisional: int
    previous_name: str
    generated_on: datetime.date


def method(*, data: CohortData, fw: Framework, previous: CohortData | None) -> Method:
    return Method(
        framework=fw.version,
        min_group=min_group_size(),
        detail_min=detail_min(),
        rounding=settings.PEER_COARSE_ROUNDING,
        counted=data.n,
        provisional=data.provisional,
        previous_name=previous.cohort.display_name if previous else "",
        generated_on=timezone.localdate(),
    )


# --- everything ----------------------------------------------------------------------------


class IndexContent:
    """Every section of one cohort's index report, built on first use; compared with
    `previous` (None: no earlier programme year)."""

    def __init__(self, *, data: CohortData, previous: CohortData | None) -> None:
        self.data = data
        self.previous = previous
        self.cohort = data.cohort
        self.fw = framework_of(data.cohort.framework)

    @classmethod
    def load(cls, *, cohort: Cohort, compare_with: Cohort | bool | None = True) -> IndexContent:
        """`compare_with`: a cohort, None for no comparison, True for the previous year."""
        other = previous_cohort(cohort) if compare_with is True else compare_with
        return cls(
            data=cohort_data(cohort=cohort),
            previous=cohort_data(cohort=other) if isinstance(other, Cohort) else None,
        )

    @cached_property
    def summary(self) -> Summary:
        return summary(data=self.data, fw=self.fw)

    @cached_property
    def shifts(self) -> Shifts:
        return shifts(data=self.data, fw=self.fw)

    @cached_property
    def groups(self) -> Groups:
        return groups(data=self.data, fw=self.fw)

    @cached_property
    def value_chain(self) -> ValueChain:
        return value_chain(data=self.data, fw=self.fw)

    @cached_property
    def kpis(self) -> Kpis:
        return kpis(data=self.data, fw=self.fw)

    @cached_property
    def yoy(self) -> YearOnYear:
        return year_on_year(data=self.data, previous=self.previous, fw=self.fw)

    @cached_property
    def narrative(self) -> list[str]:
        return narrative(
            summary=self.summary, shifts=self.shifts, value_chain=self.value_chain, yoy=self.yoy
        )

    @cached_property
    def recommendations(self) -> list[Recommendation]:
        return recommendations(fw=self.fw, shifts=self.shifts, value_chain=self.value_chain)

    @cached_property
    def method(self) -> Method:
        return method(data=self.data, fw=self.fw, previous=self.previous)

    def all_figures(self) -> list[Figure]:
        """Every figure of the report, shown or withheld (tests check their n)."""
        out = [self.summary.overall]
        for s in self.shifts.shifts:
            out += [s.figure, *(d.figure for d in s.dimensions)]
        for b in self.groups.breakdowns:
            for r in b.rows:
                out += [r.overall, *r.shifts]
        for kb in self.kpis.breakdowns:
            for kr in kb.rows:
                out += kr.cells
        for m in self.yoy.moves:
            out += [m.now, m.before, m.matched_now, m.matched_before, m.matched_change]
        return out


# --- the dashboard's "compare with" --------------------------------------------------------

# Like the dashboard's score aggregates: the comparison changes only with either cohort's
# snapshot set, which the dashboard's cache key names exactly.
COMPARISON_TTL = 60 * 60 * 24


def comparison(*, cohort: Cohort, other: Cohort) -> YearOnYear:
    """The report's year-on-year section for `cohort` against any `other` cohort (the
    caller checks the reader may see both), cached per snapshot sets and language."""
    key = f"cohort-compare:v1:{_lang()}:{aggregates_key(cohort)}:{aggregates_key(other)}"
    found = cache.get(key)
    if found is None:
        found = year_on_year(
            data=cohort_data(cohort=cohort),
            previous=cohort_data(cohort=other),
            fw=framework_of(cohort.framework),
        )
        cache.set(key, found, COMPARISON_TTL)
    return found
