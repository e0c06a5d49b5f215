"""Peer-group releases: peer statistics move in steps, never with a single submission.

A group's statistics (reports.benchmarks) are computed from its latest `PeerRelease`, a
copy of its members' scores. `peer_releases_publish` (Celery beat, PEER_RELEASE_SECONDS)
writes a new release only for a group in which more than PEER_RELEASE_STEP issuers have
joined, left or resubmitted since its last release; a group seen for the first time gets
its first release at once. A submission itself never changes a release, so what anyone
sees just before and just after it is the same, and each change that does become visible
mixes at least PEER_RELEASE_STEP issuers' changes besides the viewer's own.

Groups come from what each snapshot froze at submission (industry, size band, board) and
its assessment's cohort, so a profile edited later moves nothing already submitted.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import ScoreSnapshot

from .models import PeerGroupKind, PeerRelease

OVERALL = ""  # the measure key of the overall score; shift codes are never empty
KPI = "kpi:"  # a key figure's measure key is KPI + its item code (assessments.kinds `kpi`)


def kpi_measure(code: str) -> str:
    return f"{KPI}{code}"


GroupKey = tuple[int, str, str]  # (framework id, kind, value)


def release_step() -> int:
    return max(5, settings.PEER_RELEASE_STEP)


def group_keys(
    *, framework_id: int, cohort_id: int | None, industry: str, size: str, board: str
) -> dict[str, GroupKey]:
    """A snapshot's peer groups, by kind; a blank attribute puts it in no such group."""
    keys = {PeerGroupKind.ALL.value: (framework_id, PeerGroupKind.ALL.value, "")}
    for kind, value in (
        (PeerGroupKind.COHORT, "" if cohort_id is None else str(cohort_id)),
        (PeerGroupKind.INDUSTRY, industry),
        (PeerGroupKind.SIZE, size),
        (PeerGroupKind.BOARD, board),
    ):
        if value:
            keys[kind.value] = (framework_id, kind.value, value)
    return keys


def _current_groups(framework_ids: Iterable[int] | None) -> dict[GroupKey, list[tuple[Any, ...]]]:
    """Every current snapshot that is not provisional, filed under each group it belongs to.

    A provisional result (too little of its weight known, scoring.py) never counts in a
    peer statistic: its issuer leaves every group until a complete enough submission.
    Nor does the snapshot of an assessment withdrawn from its cohort (until reinstated)."""
    rows = ScoreSnapshot.objects.filter(
        is_current=True, provisional=False, assessment__withdrawn_at=None
    )
    if framework_ids is not None:
        rows = rows.filter(framework_id__in=list(framework_ids))
    groups: dict[GroupKey, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.values_list(
        "pk",
        "issuer_id",
        "framework_id",
        "assessment__cohort_id",
        "industry",
        "market_cap_band",
        "board",
        "overall_score",
        "shift_scores",
        "kpis",
    ).iterator(chunk_size=2000):
        pk, issuer_id, framework_id, cohort_id, industry, size, board, overall, shifts, kpis = row
        # Key figures are published with the scores, so they move in the same steps.
        measures = {**(shifts or {}), **{kpi_measure(c): v for c, v in (kpis or {}).items()}}
        member = (pk, issuer_id, overall, measures)
        keys = group_keys(
            framework_id=framework_id,
            cohort_id=cohort_id,
            industry=industry,
            size=size,
            board=board,
        )
        for key in keys.values():
            groups[key].append(member)
    return groups


def _release_fields(members: list[tuple[Any, ...]]) -> dict[str, Any]:
    scores: dict[str, list[list[float | int]]] = defaultdict(list)
    for _pk, issuer_id, overall, measures in members:
        if overall is not None:
            scores[OVERALL].append([float(overall), issuer_id])
        for code, value in measures.items():
            if value is not None:
                scores[code].append([float(value), issuer_id])
    return {
        "members": {str(issuer_id): pk for pk, issuer_id, _o, _s in members},
        "scores": {code: sorted(values) for code, values in scores.items()},
    }


def changed_issuers(before: dict[str, int], after: dict[str, int]) -> int:
    """Issuers that joined, left or resubmitted between two memberships."""
    return sum(
        1 for issuer in before.keys() | after.keys() if before.get(issuer) != after.get(issuer)
    )


def peer_releases_publish(
    *, framework_ids: Iterable[int] | None = None, only_new: Iterable[GroupKey] | None = None
) -> int:
    """Publish the groups that moved by more than PEER_RELEASE_STEP issuers (and groups never
    published). With `only_new`, publish just those groups, and only if they have no release
    yet (a viewer's first look at a group). Returns how many releases were written."""
    wanted = None if only_new is None else set(only_new)
    if wanted is not None and framework_ids is None:
        framework_ids = {key[0] for key in wanted}
    current = _current_groups(framework_ids)
    step = release_step()
    written = 0
    with transaction.atomic():
        latest_rows = PeerRelease.objects.select_for_update().filter(is_latest=True)
        if framework_ids is not None:
            latest_rows = latest_rows.filter(framework_id__in=list(framework_ids))
        if wanted is not None:
            latest_rows = latest_rows.filter(
                kind__in={key[1] for key in wanted}, value__in={key[2] for key in wanted}
            )
        latest = {
            (r.framework_id, r.kind, r.value): r
            for r in latest_rows.only("pk", "framework", "kind", "value", "members")
        }
        now = timezone.now()
        for key in sorted(current.keys() | latest.keys()):
            if wanted is not None and (key not in wanted or key in latest):
                continue
            fields = _release_fields(current.get(key, []))
            previous = latest.get(key)
            if previous is not None:
                # One more than the step: a member sees its group without itself, so even
                # if its own resubmission is among the changes, the figures it sees move
                # only when at least `step` *other* issuers have changed.
                if changed_issuers(previous.members, fields["members"]) < step + 1:
                    continue
                PeerRelease.objects.filter(pk=previous.pk).update(is_latest=False)
            try:
                with transaction.atomic():
                    PeerRelease.objects.create(
                        framework_id=key[0], kind=key[1], value=key[2], published_at=now, **fields
                    )
            except IntegrityError:
                # Someone published this group's first release a moment ago: theirs stands.
                continue
            written += 1
    return written


@dataclass(frozen=True)
class Measure:
    """One measure of one release, decoded once: its values ascending, who contributed, and
    each contributor's value (to leave the viewer's own out)."""

    values: tuple[float, ...]
    ids: frozenset[int]
    value_of: dict[int, float]


ReleaseMeasures = dict[str, Measure]

# Decoded releases, per process, by (primary key, published at). A release row is never
# changed once published (a new release is a new row), so an entry cannot go stale; the
# timestamp guards against a key reused after a deletion (SQLite reuses the highest rowid).
# Decoding a group's JSON (up to ~1 MB at market scale) was most of a results page's peer
# cost (docs/PERFORMANCE.md, "Peer benchmarks at market scale").
_DECODED: OrderedDict[tuple[int, Any], ReleaseMeasures] = OrderedDict()
_DECODED_LOCK = threading.Lock()


def _decode(scores: dict[str, list[list[float | int]]]) -> ReleaseMeasures:
    decoded = {}
    for measure, pairs in scores.items():
        value_of = {int(i): float(v) for v, i in pairs}
        decoded[measure] = Measure(
            values=tuple(float(v) for v, _i in pairs),
            ids=frozenset(value_of),
            value_of=value_of,
        )
    return decoded


def release_measures(releases: Iterable[PeerRelease]) -> dict[int, ReleaseMeasures]:
    """The decoded measures of each release, from the process cache or in one query."""
    wanted = {r.pk: (r.pk, r.published_at) for r in releases}
    found: dict[int, ReleaseMeasures] = {}
    with _DECODED_LOCK:
        for pk, key in wanted.items():
            if key in _DECODED:
                _DECODED.move_to_end(key)
                found[pk] = _DECODED[key]
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        rows = PeerRelease.objects.filter(pk__in=missing).values_list("pk", "scores")
        fresh = {pk: _decode(scores or {}) for pk, scores in rows}
        found.update(fresh)
        with _DECODED_LOCK:
            _DECODED.update({wanted[pk]: measures for pk, measures in fresh.items()})
            while len(_DECODED) > settings.PEER_RELEASE_CACHE:
                _DECODED.popitem(last=False)
    return found


def release_cache_clear() -> None:
    """Forget every decoded release (tests, where rolled-back rows' keys come back)."""
    with _DECODED_LOCK:
        _DECODED.clear()


def latest_releases(keys: dict[str, GroupKey]) -> dict[str, PeerRelease]:
    """The latest release of each group, publishing a first one for any group never seen.
    Its scores are not loaded: read them decoded through `release_measures`."""
    releases = _load(keys)
    missing = [key for kind, key in keys.items() if kind not in releases]
    if missing:
        peer_releases_publish(only_new=missing)
        releases = _load(keys)
    return releases


def _load(keys: dict[str, GroupKey]) -> dict[str, PeerRelease]:
    if not keys:
        return {}
    by_key = {key: kind for kind, key in keys.items()}
    framework_ids = {key[0] for key in keys.values()}
    rows = PeerRelease.objects.filter(
        is_latest=True,
        framework_id__in=framework_ids,
        kind__in={key[1] for key in keys.values()},
        value__in={key[2] for key in keys.values()},
    ).only("pk", "framework", "kind", "value", "published_at")
    return {by_key[k]: r for r in rows if (k := (r.framework_id, r.kind, r.value)) in by_key}
