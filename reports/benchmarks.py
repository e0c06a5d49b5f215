"""Anonymised peer statistics, computed in the database.

Peers are the other issuers' *current* snapshots (their latest submission) on the same
framework version. For each peer group (cohort, industry, size band, board, all issuers)
we compute, in two queries whatever the market size, the count, quartiles and the
issuer's percentile rank, overall and per shift.

Statistical disclosure control:
- a group is shown only when at least PEER_MIN_GROUP (never below 5) *other* issuers
  contribute;
- a group is withheld when its contributor set differs from a group already shown by
  fewer than PEER_MIN_GROUP issuers (otherwise comparing the two would single out the
  few issuers that are in one and not the other). Groups are considered largest first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db.models import Aggregate, Case, Count, FloatField, IntegerField, Q, When

from assessments.models import ScoreComponent, ScoreSnapshot

GROUP_KEYS = ("all", "cohort", "industry", "size", "board")


class PercentileCont(Aggregate):
    """SQL percentile_cont (PostgreSQL); on SQLite a Python aggregate registered in db.py."""

    function = "percentile_cont"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within 0..1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        clone = self.copy()
        clone.template = "percentile_cont_py(%(expressions)s, %(fraction)s)"
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)


@dataclass
class Stat:
    n: int
    q1: float | None = None
    median: float | None = None
    q3: float | None = None
    percentile: float | None = None  # the issuer's rank among the group, 0–100
    mine: float | None = None


@dataclass
class PeerGroup:
    key: str
    n: int
    shown: bool
    reason: str = ""  # "too_few" | "overlap" when withheld
    overall: Stat | None = None
    shifts: dict[str, Stat] = field(default_factory=dict)


def _group_filters(snapshot: ScoreSnapshot, prefix: str = "") -> dict[str, Q]:
    issuer = snapshot.issuer
    filters = {
        "all": Q(),
        "cohort": Q(**{f"{prefix}assessment__cohort_id": snapshot.assessment.cohort_id})
        if snapshot.assessment.cohort_id
        else None,
        "industry": Q(**{f"{prefix}issuer__industry": issuer.industry}),
        "size": Q(**{f"{prefix}issuer__market_cap_band": issuer.market_cap_band}),
        "board": Q(**{f"{prefix}issuer__board": issuer.board}),
    }
    return {k: v for k, v in filters.items() if v is not None}


def _rank(below: int, equal: int, n: int) -> float | None:
    return round(100.0 * (below + 0.5 * equal) / n, 1) if n else None


def _r(x: float | Decimal | None) -> float | None:
    return None if x is None else round(float(x), 2)


def disclosure(
    order: list[str], sizes: dict[str, int], overlap: dict[frozenset[str], int], min_group: int
) -> dict[str, str]:
    """Which groups may be shown: "" for shown, else the reason it is withheld.

    `overlap[{a, b}]` is the number of contributors the two groups share. Groups are taken
    in `order` (largest first); a group is withheld when it has fewer than `min_group`
    contributors, or when its contributor set differs from an already shown group's by
    1 to min_group - 1 issuers.
    """
    verdict: dict[str, str] = {}
    shown: list[str] = []
    for key in order:
        n = sizes[key]
        if n < min_group:
            verdict[key] = "too_few"
            continue
        if any(
            0 < n + sizes[other] - 2 * overlap[frozenset((key, other))] < min_group
            for other in shown
        ):
            verdict[key] = "overlap"
            continue
        verdict[key] = ""
        shown.append(key)
    return verdict


def _aggregates(groups: dict[str, Q], column: str, mine: Any, cases: Any = None) -> dict[str, Any]:
    """n, quartiles, rank counts per group and shared counts per pair of groups."""
    counted = "pk" if column == "overall_score" else column
    aggs: dict[str, Any] = {}
    for key, q in groups.items():
        aggs[f"{key}__n"] = Count(counted, filter=q)
        aggs[f"{key}__q1"] = PercentileCont(column, 0.25, filter=q)
        aggs[f"{key}__median"] = PercentileCont(column, 0.5, filter=q)
        aggs[f"{key}__q3"] = PercentileCont(column, 0.75, filter=q)
        if cases is not None:
            below, equal = cases
            aggs[f"{key}__below"] = Count(Case(*below, output_field=IntegerField()), filter=q)
            aggs[f"{key}__equal"] = Count(Case(*equal, output_field=IntegerField()), filter=q)
        elif mine is not None:
            aggs[f"{key}__below"] = Count(counted, filter=q & Q(**{f"{column}__lt": mine}))
            aggs[f"{key}__equal"] = Count(counted, filter=q & Q(**{column: mine}))
    for (a, qa), (b, qb) in itertools.combinations(groups.items(), 2):
        aggs[f"{a}__x__{b}"] = Count(counted, filter=qa & qb)
    return aggs


def _stats(
    row: dict[str, Any], keys: list[str], mine: Any
) -> tuple[dict[str, int], dict[frozenset[str], int]]:
    sizes = {k: row[f"{k}__n"] for k in keys}
    overlap = {frozenset((a, b)): row[f"{a}__x__{b}"] for a, b in itertools.combinations(keys, 2)}
    return sizes, overlap


def _stat(row: dict[str, Any], key: str, mine: Any) -> Stat:
    n = row[f"{key}__n"]
    return Stat(
        n=n,
        q1=_r(row[f"{key}__q1"]),
        median=_r(row[f"{key}__median"]),
        q3=_r(row[f"{key}__q3"]),
        percentile=None if mine is None else _rank(row[f"{key}__below"], row[f"{key}__equal"], n),
        mine=_r(mine),
    )


def peer_benchmarks(*, snapshot: ScoreSnapshot, min_group: int | None = None) -> list[PeerGroup]:
    """Peer groups for one snapshot, in display order, with withheld groups marked.

    Two queries: overall scores over snapshots, shift scores over score components.
    """
    min_group = max(5, min_group or settings.PEER_MIN_GROUP)
    groups = _group_filters(snapshot)
    keys = list(groups)
    mine_overall = snapshot.overall_score

    row = (
        ScoreSnapshot.objects.filter(is_current=True, framework_id=snapshot.framework_id)
        .exclude(issuer_id=snapshot.issuer_id)
        .aggregate(**_aggregates(groups, "overall_score", mine_overall))
    )
    sizes, overlap = _stats(row, keys, mine_overall)
    order = sorted(keys, key=lambda k: (-sizes[k], GROUP_KEYS.index(k)))
    verdict = disclosure(order, sizes, overlap, min_group)

    mine_shifts = dict(
        ScoreComponent.objects.filter(
            snapshot=snapshot, kind=ScoreComponent.Kind.SHIFT
        ).values_list("code", "score")
    )
    known = {code: score for code, score in mine_shifts.items() if score is not None}
    cases = (
        [When(code=code, score__lt=score, then=1) for code, score in known.items()]
        or [When(pk=None, then=1)],
        [When(code=code, score=score, then=1) for code, score in known.items()]
        or [When(pk=None, then=1)],
    )
    shift_rows = (
        ScoreComponent.objects.filter(
            kind=ScoreComponent.Kind.SHIFT,
            snapshot__is_current=True,
            snapshot__framework_id=snapshot.framework_id,
        )
        .exclude(snapshot__issuer_id=snapshot.issuer_id)
        .values("code")
        .order_by("code")
        .annotate(**_aggregates(_group_filters(snapshot, "snapshot__"), "score", None, cases))
    )

    result = {
        key: PeerGroup(key=key, n=sizes[key], shown=not verdict[key], reason=verdict[key])
        for key in keys
    }
    for key in keys:
        if result[key].shown:
            result[key].overall = _stat(row, key, mine_overall)
    for raw_row in shift_rows:
        srow = cast(dict[str, Any], raw_row)
        code = srow["code"]
        s_sizes, s_overlap = _stats(srow, keys, None)
        # The same measure on two different sets is what differencing exploits, so each
        # shift is checked on its own contributor sets (issuers with a score for it).
        s_verdict = disclosure([k for k in order if result[k].shown], s_sizes, s_overlap, min_group)
        for key, reason in s_verdict.items():
            mine = mine_shifts.get(code)
            if reason:
                result[key].shifts[code] = Stat(n=s_sizes[key], mine=_r(mine))
            else:
                stat = _stat(srow, key, mine)
                if mine is None:
                    stat.percentile = None
                result[key].shifts[code] = stat
    return [result[k] for k in GROUP_KEYS if k in result]
