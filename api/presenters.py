"""Domain objects as the API's JSON: names in the reader's language (Accept-Language),
field names in English. Results go through `reports.content`, so the API says exactly
what the results page says, peer statistics under the same disclosure rules."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from rest_framework.request import Request

from accounts.models import User
from assessments.models import Answer, Assessment, ScoreSnapshot
from assessments.selectors import answered_q
from reports import selectors as report_selectors
from reports.benchmarks import Stat
from reports.content import GroupView, ResultContent
from reports.models import ReportStatus


def number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


ROW_FIELDS = (
    "status",
    "created_at",
    "updated_at",
    "submitted_at",
    "extended_until",
    "withdrawn_at",
    "issuer__stock_code",
    "issuer__name_en",
    "issuer__name_zh",
    "issuer__industry",
    "issuer__board",
)


def page_annotated(rows: list[Any], *, progress: bool = False) -> list[Assessment]:
    """The page's assessments (given as instances or ids) with their latest snapshot's
    headline figures (`latest`, a dict or None), their deadline and, with `progress`,
    answered / total items (as the review page counts them) and whether anybody saved an
    answer: three queries for the whole page, in the page's order.

    The page itself is read without any of this: with per-row subqueries PostgreSQL
    computes every row that OFFSET skips (page 26 of a 2,600-issuer cohort ran each
    subquery 2,600 times, ~0.8 s), and eight subqueries per row for one snapshot's
    columns cost more than reading those snapshots by primary key once."""
    ids = [a if isinstance(a, int) else a.pk for a in rows]
    newest = ScoreSnapshot.objects.filter(assessment=OuterRef("pk")).order_by("-created_at", "-pk")
    # Only what a row shows: a model instance per related row and every date column
    # decoded cost most of the page's Python time.
    found = (
        Assessment.objects.filter(pk__in=ids)
        .select_related("issuer")
        .only(*ROW_FIELDS)
        .annotate(
            latest_id=Subquery(newest.values("pk")[:1]),
            deadline_on=Coalesce("extended_until", F("cohort__closes_on")),
            cohort_slug=F("cohort__slug"),
            framework_version=F("framework__version"),
        )
    )
    by_id = {a.pk: a for a in found}
    latest_ids = [a.latest_id for a in by_id.values() if a.latest_id]  # type: ignore[attr-defined]
    snapshots = {
        s["pk"]: s
        for s in ScoreSnapshot.objects.filter(pk__in=latest_ids).values(
            "pk",
            "overall_score",
            "maturity_level",
            "tier",
            "completeness",
            "provisional",
            "shift_scores",
            "created_at",
        )
    }
    counts: dict[int, Any] = {}
    if progress:
        counts = {
            row["assessment_id"]: row
            for row in Answer.objects.filter(assessment_id__in=ids)
            .values("assessment_id")
            .order_by()
            .annotate(
                total=Count("pk"),
                answered=Count("pk", filter=answered_q()),
                saved=Count("pk", filter=Q(version__gt=0)),
            )
        }
    for a in by_id.values():
        a.latest = snapshots.get(a.latest_id)  # type: ignore[attr-defined]
        c = counts.get(a.pk, {})
        a.answered, a.items_total = c.get("answered", 0), c.get("total", 0)  # type: ignore[attr-defined]
        a.started = bool(c.get("saved"))  # type: ignore[attr-defined]
    return [by_id[pk] for pk in ids if pk in by_id]


def latest_json(a: Assessment) -> dict[str, Any] | None:
    s = getattr(a, "latest", None)
    if s is None:
        return None
    return {
        "overall": number(s["overall_score"]),
        "level": s["maturity_level"],
        "tier": s["tier"] or None,
        "completeness": number(s["completeness"]),
        "provisional": bool(s["provisional"]),
        "shifts": s["shift_scores"] or {},
        "submitted_at": s["created_at"],
    }


def issuer_json(a: Assessment) -> dict[str, Any]:
    i = a.issuer
    return {
        "id": i.pk,
        "stock_code": i.stock_code,
        "name_en": i.name_en,
        "name_zh": i.name_zh,
        "industry": i.industry,
        "board": i.board,
    }


def assessment_json(a: Assessment, request: Request) -> dict[str, Any]:
    return {
        "id": a.pk,
        "issuer": issuer_json(a),
        "cohort": a.cohort_slug,  # type: ignore[attr-defined]
        "framework_version": a.framework_version,  # type: ignore[attr-defined]
        "status": a.status,
        "status_label": a.get_status_display(),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "submitted_at": a.submitted_at,
        "deadline": a.deadline_on,  # type: ignore[attr-defined]
        "withdrawn": a.withdrawn_at is not None,
        "latest_scores": latest_json(a),
        "url": request.build_absolute_uri(reverse("api:assessment", args=[a.pk])),
    }


# --- one result, through reports.content -----------------------------------------------


def _dimension(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": d["code"],
        "name": d["name"],
        "weight": d["weight"],
        "share_percent": d["share"],
        "score": d["score"],
        "level": d["level"],
        "level_name": d["level_name"],
        "next_level_at": d["next_level_at"],
        "recommendation": d["recommendation"],
    }


def scores_json(content: ResultContent) -> dict[str, Any]:
    """The summary of the results page: overall, shifts, dimensions, tier, completeness."""
    r = content.scores.result
    strongest, weakest = content.scores.strongest, content.scores.weakest
    return {
        "snapshot_id": content.snapshot.pk,
        "submitted_at": content.snapshot.created_at,
        "framework_version": content.framework.version,
        "scoring_rules": r["scoring_rules"],
        "provisional": r["provisional"],
        "known_percent": r["known_percent"],
        "completeness": r["completeness"],
        "overall": r["overall"],
        "level": r["level"],
        "level_name": r["level_name"],
        "next_level_at": r["next_level_at"],
        "tier": content.snapshot.tier or None,
        "tier_name": r["tier_name"],
        "strongest_shift": strongest["code"] if strongest else None,
        "weakest_shift": weakest["code"] if weakest else None,
        "shifts": [
            {
                "code": s["code"],
                "name": s["name"],
                "weight": s["weight"],
                "share_percent": s["share"],
                "score": s["score"],
                "level": s["level"],
                "level_name": s["level_name"],
                "next_level_at": s["next_level_at"],
                "dimensions": [_dimension(d) for d in s["dimensions"]],
            }
            for s in r["shifts"]
        ],
    }


def _stat(stat: Stat | None) -> dict[str, Any] | None:
    if stat is None:
        return None
    return asdict(stat) | {"position_label": stat.position_label}


def _group(g: GroupView) -> dict[str, Any]:
    out: dict[str, Any] = {"key": g.key, "name": g.name, "n": g.n, "shown": g.shown}
    if not g.shown:
        # Withheld: why, and nothing else (no statistic of a withheld group leaves).
        return out | {"reason": g.reason}
    return out | {
        "overall": _stat(g.overall),
        "shifts": {code: _stat(s) for code, s in g.shifts.items()},
        "key_figures": {code: _stat(s) for code, s in g.kpis.items()},
    }


def peers_json(content: ResultContent) -> dict[str, Any]:
    """The peer groups exactly as the results page shows them (reports.content.peers over
    reports.benchmarks: published releases, minimum group sizes, differencing, rounding)."""
    peers = content.peers
    return {
        "snapshot_id": content.snapshot.pk,
        "primary": peers.primary.key if peers.primary else None,
        "groups": [_group(g) for g in peers.groups],
    }


def reports_json(a: Assessment, *, user: User, request: Request) -> list[dict[str, Any]]:
    """Each language's PDF report of the latest submission: status and the API's download
    link (the same access check as the site's download)."""
    rows = []
    for language, report in report_selectors.reports_for_latest(a, user=user).items():
        ready = report is not None and report.status == ReportStatus.READY
        rows.append(
            {
                "language": language,
                "status": report.status if report else "none",
                "status_label": str(report.status_label) if report else None,
                "finished_at": report.finished_at if report else None,
                "download_url": request.build_absolute_uri(
                    reverse("api:report_download", args=[a.pk, language])
                )
                if ready
                else None,
            }
        )
    return rows
