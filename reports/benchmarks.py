"""Anonymised peer statistics, computed in the database.

Peers are the other issuers' *current* snapshots (their latest submission) on the same
framework version. For each peer group (cohort, industry, size band, board, all issuers)
we compute, in one query whatever the market size, the count, quartiles and the
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
from typing import Any

from django.conf import settings
from django.db import connection

from accounts.models import Issuer
from assessments.models import Assessment, ScoreSnapshot

GROUP_KEYS = ("all", "cohort", "industry", "size", "board")
OVERALL = ""  # the measure key of the overall score; shift codes are never empty


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


def _group_conditions(snapshot: ScoreSnapshot) -> dict[str, tuple[str, Any] | None]:
    """The viewer's peer groups as (column, value); "all" has no condition."""
    issuer = snapshot.issuer
    cohort_id = snapshot.assessment.cohort_id
    groups: dict[str, tuple[str, Any] | None] = {
        "all": None,
        "cohort": ("a.cohort_id", cohort_id),
        "industry": ("i.industry", issuer.industry),
        "size": ("i.market_cap_band", issuer.market_cap_band),
        "board": ("i.board", issuer.board),
    }
    if cohort_id is None:
        del groups["cohort"]
    return groups


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


def _rows(
    snapshot: ScoreSnapshot, groups: dict[str, tuple[str, Any] | None], measures: list[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Counts per membership mask and quartiles per group, in one statement.

    Each peer row gets a bit mask of the viewer's groups it belongs to. Counts (contributors,
    below and equal to the viewer's score) are grouped by that mask: at most 2^4 rows, which
    add up to every group's size and every pair's overlap. That replaces one FILTER per
    group pair per measure, which PostgreSQL evaluated on every row (about 150 aggregates
    over every peer). Quartiles need each group's values, so they stay one ordered
    aggregate per group and measure. A measure is the overall score or one shift's score;
    shift scores come from the snapshot's own `shift_scores`, so no component rows are
    joined (the join scanned every shift component ever stored).
    """
    vendor = connection.vendor
    real = "double precision" if vendor == "postgresql" else "REAL"
    snap, assessment, issuer = (
        ScoreSnapshot._meta.db_table,
        Assessment._meta.db_table,
        Issuer._meta.db_table,
    )
    params: list[Any] = []
    columns = [f"CAST(s.overall_score AS {real}) AS m0"]
    for i, code in enumerate(measures[1:], start=1):
        if vendor == "postgresql":
            columns.append(f"CAST(s.shift_scores ->> %s AS {real}) AS m{i}")
            params.append(code)
        else:
            columns.append(f"CAST(json_extract(s.shift_scores, %s) AS {real}) AS m{i}")
            params.append(f'$."{code}"')
    bits = []
    for bit, condition in enumerate(groups.values()):
        if condition is None:
            bits.append(str(1 << bit))
        else:
            bits.append(f"(CASE WHEN {condition[0]} = %s THEN {1 << bit} ELSE 0 END)")
            params.append(condition[1])
    columns.append(f"{' + '.join(bits) or '0'} AS mask")
    # Only model table names and this module's fixed column names are interpolated; every
    # value (shift codes, group values, ids, the viewer's scores) is a bound parameter.
    peers = (
        f"SELECT {', '.join(columns)} FROM {snap} s "  # noqa: S608
        f"JOIN {assessment} a ON a.id = s.assessment_id "
        f"JOIN {issuer} i ON i.id = s.issuer_id "
        "WHERE s.is_current AND s.framework_id = %s AND s.issuer_id <> %s"
    )
    params += [snapshot.framework_id, snapshot.issuer_id]

    mine = _mine(snapshot, measures)
    counts, count_params = [], []
    for i, measure in enumerate(measures):
        counts += [f"COUNT(m{i})", f"COUNT(m{i}) FILTER (WHERE m{i} < %s)"]
        counts.append(f"COUNT(m{i}) FILTER (WHERE m{i} = %s)")
        count_params += [mine[measure], mine[measure]]
    quartiles = []
    for i in range(len(measures)):
        for bit, condition in enumerate(groups.values()):
            where = "" if condition is None else f" FILTER (WHERE (mask & {1 << bit}) <> 0)"
            if vendor == "postgresql":
                quartiles.append(
                    f"percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY m{i}){where}"
                )
            else:
                quartiles += [f"percentile_cont_py(m{i}, {f}){where}" for f in (0.25, 0.5, 0.75)]
    nulls = ", ".join(["NULL"] * len(quartiles))
    count_nulls = ", ".join(["NULL"] * len(counts))
    sql = (
        f"WITH peers AS MATERIALIZED ({peers}) "  # noqa: S608
        f"SELECT mask, {', '.join(counts)}, {nulls} FROM peers GROUP BY mask "
        f"UNION ALL SELECT -1, {count_nulls}, {', '.join(quartiles)} FROM peers"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *count_params])
        fetched = cursor.fetchall()
    by_mask: list[dict[str, Any]] = []
    spread: dict[str, Any] = {}
    for row in fetched:
        values = iter(row[1:])
        counted = [next(values) for _ in counts]
        quartile_values = list(values)
        if row[0] != -1:
            by_mask.append(
                {
                    "mask": row[0],
                    **{
                        f"{measure}__{what}": counted[3 * i + j]
                        for i, measure in enumerate(measures)
                        for j, what in enumerate(("n", "below", "equal"))
                    },
                }
            )
            continue
        it = iter(quartile_values)
        for measure in measures:
            for key in groups:
                trio = next(it) if vendor == "postgresql" else [next(it), next(it), next(it)]
                spread[f"{measure}__{key}"] = trio
    return by_mask, spread


def _mine(snapshot: ScoreSnapshot, measures: list[str]) -> dict[str, float | None]:
    shifts = snapshot.shift_scores or {}
    values = {OVERALL: snapshot.overall_score, **{m: shifts.get(m) for m in measures[1:]}}
    return {k: None if v is None else float(v) for k, v in values.items()}


def _totals(
    by_mask: list[dict[str, Any]], keys: list[str], measure: str
) -> tuple[dict[str, int], dict[frozenset[str], int], dict[str, tuple[int, int]]]:
    """Group sizes, pairwise overlaps and (below, equal) counts from the per-mask counts."""
    bit = {key: 1 << i for i, key in enumerate(keys)}
    sizes = dict.fromkeys(keys, 0)
    overlap = {frozenset(pair): 0 for pair in itertools.combinations(keys, 2)}
    ranks = dict.fromkeys(keys, (0, 0))
    for row in by_mask:
        inside = [k for k in keys if row["mask"] & bit[k]]
        n = row[f"{measure}__n"]
        for k in inside:
            sizes[k] += n
            below, equal = ranks[k]
            ranks[k] = (below + row[f"{measure}__below"], equal + row[f"{measure}__equal"])
        for a, b in itertools.combinations(inside, 2):
            overlap[frozenset((a, b))] += n
    return sizes, overlap, ranks


def _stat(
    n: int, spread: list[float | None] | None, rank: tuple[int, int], mine: float | None
) -> Stat:
    q1, median, q3 = spread or (None, None, None)
    return Stat(
        n=n,
        q1=_r(q1),
        median=_r(median),
        q3=_r(q3),
        percentile=None if mine is None else _rank(rank[0], rank[1], n),
        mine=_r(mine),
    )


def min_group_size(min_group: int | None = None) -> int:
    """Other issuers a group needs to be shown: PEER_MIN_GROUP, never below 5."""
    return max(5, min_group or settings.PEER_MIN_GROUP)


def peer_benchmarks(*, snapshot: ScoreSnapshot, min_group: int | None = None) -> list[PeerGroup]:
    """Peer groups for one snapshot, in display order, with withheld groups marked.

    One query (plus the viewer's issuer and assessment when not already loaded).
    """
    min_group = min_group_size(min_group)
    groups = _group_conditions(snapshot)
    keys = list(groups)
    measures = [OVERALL, *sorted(snapshot.shift_scores or {})]
    by_mask, spread = _rows(snapshot, groups, measures)
    mine = _mine(snapshot, measures)

    sizes, overlap, ranks = _totals(by_mask, keys, OVERALL)
    order = sorted(keys, key=lambda k: (-sizes[k], GROUP_KEYS.index(k)))
    verdict = disclosure(order, sizes, overlap, min_group)
    result = {
        key: PeerGroup(key=key, n=sizes[key], shown=not verdict[key], reason=verdict[key])
        for key in keys
    }
    for key in keys:
        if result[key].shown:
            result[key].overall = _stat(
                sizes[key], spread[f"{OVERALL}__{key}"], ranks[key], mine[OVERALL]
            )
    for code in measures[1:]:
        s_sizes, s_overlap, s_ranks = _totals(by_mask, keys, code)
        # The same measure on two different sets is what differencing exploits, so each
        # shift is checked on its own contributor sets (issuers with a score for it).
        s_verdict = disclosure([k for k in order if result[k].shown], s_sizes, s_overlap, min_group)
        for key, reason in s_verdict.items():
            if reason:
                result[key].shifts[code] = Stat(n=s_sizes[key], mine=_r(mine[code]))
            else:
                result[key].shifts[code] = _stat(
                    s_sizes[key], spread[f"{code}__{key}"], s_ranks[key], mine[code]
                )
    return [result[k] for k in GROUP_KEYS if k in result]
