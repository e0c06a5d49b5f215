"""Everything a report shows, assembled from the frozen snapshot, the framework version it
was scored on, the answers, and anonymised peer statistics. Used by the PDF and the HTML
view alike, so both always say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import presenters, selectors
from assessments.models import Assessment, AssessmentStatus, Confidence, ScoreSnapshot

from . import charts
from .benchmarks import PeerGroup, Stat, peer_benchmarks
from .fonts import report_fonts


@dataclass
class GroupView:
    key: str
    name: str
    n: int
    shown: bool
    reason: str
    overall: Stat | None
    shifts: dict[str, Stat]


def group_name(key: str, assessment: Assessment) -> str:
    issuer = assessment.issuer
    if key == "all":
        return _("All issuers")
    if key == "cohort" and assessment.cohort:
        return _("Cohort: %(name)s") % {"name": assessment.cohort.display_name}
    if key == "industry":
        return _("Industry: %(name)s") % {"name": issuer.get_industry_display()}
    if key == "size":
        return _("Market capitalisation: %(name)s") % {"name": issuer.get_market_cap_band_display()}
    return _("Board: %(name)s") % {"name": issuer.get_board_display()}


def previous_snapshot(assessment: Assessment) -> ScoreSnapshot | None:
    """The latest snapshot of the issuer's previous submitted assessment."""
    if assessment.submitted_at is None:
        return None
    return (
        ScoreSnapshot.objects.filter(
            issuer_id=assessment.issuer_id,
            assessment__submitted_at__lt=assessment.submitted_at,
        )
        .exclude(assessment_id=assessment.pk)
        .exclude(assessment__status=AssessmentStatus.DRAFT)
        .order_by("-assessment__submitted_at", "-created_at")
        .first()
    )


def change_summary(*, snapshot: ScoreSnapshot, fw: Any, language: str) -> dict[str, Any] | None:
    """Scores now against the issuer's previous submitted assessment, per shift and dimension."""
    previous = previous_snapshot(snapshot.assessment)
    if previous is None:
        return None
    before, now = previous.result, snapshot.result
    shifts_before = {s["code"]: s["score"] for s in before["shifts"]}
    dims_before = {d["code"]: d["score"] for d in before["dimensions"]}
    shifts_now = {s["code"]: s["score"] for s in now["shifts"]}
    dims_now = {d["code"]: d["score"] for d in now["dimensions"]}
    return {
        "date": previous.created_at,
        "overall_before": before["overall"],
        "overall_delta": _delta(before["overall"], now["overall"]),
        "shifts": [
            {
                "name": shift.name.get(language),
                "before": shifts_before.get(shift.code),
                "now": shifts_now.get(shift.code),
                "delta": _delta(shifts_before.get(shift.code), shifts_now.get(shift.code)),
                "dimensions": [
                    {
                        "name": dim.name.get(language),
                        "before": dims_before.get(dim.code),
                        "now": dims_now.get(dim.code),
                        "delta": _delta(dims_before.get(dim.code), dims_now.get(dim.code)),
                    }
                    for dim in shift.dimensions
                ],
            }
            for shift in fw.shifts
        ],
    }


def _primary(groups: list[PeerGroup]) -> PeerGroup | None:
    shown = {g.key: g for g in groups if g.shown}
    for key in ("cohort", "all", "industry", "size", "board"):
        if key in shown:
            return shown[key]
    return None


def report_context(*, snapshot: ScoreSnapshot, language: str) -> dict[str, Any]:
    """The complete report, in `language`. Two peer queries; no per-item queries."""
    with translation.override(language):
        assessment = snapshot.assessment
        fw = selectors.framework_of(assessment.framework)
        r = presenters.results(fw, snapshot.result, language)
        answers = selectors.answers_of(assessment)
        groups = peer_benchmarks(snapshot=snapshot)
        primary = _primary(groups)
        views = [
            GroupView(
                g.key, group_name(g.key, assessment), g.n, g.shown, g.reason, g.overall, g.shifts
            )
            for g in groups
        ]

        changes = change_summary(snapshot=snapshot, fw=fw, language=language)

        shift_pages = []
        for s in r["shifts"]:
            peer_stat = primary.shifts.get(s["code"]) if primary else None
            dims = s["dimensions"]
            scored = [d for d in dims if d["score"] is not None]
            strengths = sorted((d for d in scored if d["level"] >= 3), key=lambda d: -d["score"])[
                :2
            ]
            weakest = sorted(scored, key=lambda d: d["score"])[:2]
            unknown = [g for g in r["gaps"] if g["shift"] == s["name"]]
            shift_pages.append(
                {
                    **s,
                    "purpose": fw.shift(s["code"]).purpose.get(language),
                    "peer": peer_stat if peer_stat and peer_stat.median is not None else None,
                    "strengths": strengths,
                    "gaps": [d for d in weakest if d not in strengths],
                    "insufficient": [d for d in dims if d["score"] is None],
                    "unknown": unknown,
                }
            )

        priorities = []
        for s, shift in zip(r["shifts"], fw.shifts, strict=True):
            for d in s["dimensions"]:
                if d["score"] is None or d["next_level_at"] is None:
                    continue
                gap = d["next_level_at"] - d["score"]
                priorities.append(
                    {
                        "name": d["name"],
                        "shift": s["name"],
                        "level": d["level"],
                        "level_name": d["level_name"],
                        "target": d["level"] + 1,
                        "target_name": fw.levels[d["level"]].name.get(language),
                        "gap": round(gap, 1),
                        "weight": round(d["weight"] * shift.weight, 2),
                        "priority": round(gap * d["weight"] * shift.weight, 1),
                        "first_step": d["recommendation"],
                    }
                )
        priorities.sort(key=lambda p: (-p["priority"], p["name"]))

        strongest = max(
            (s for s in r["shifts"] if s["score"] is not None),
            key=lambda s: s["score"],
            default=None,
        )
        weakest_shift = min(
            (s for s in r["shifts"] if s["score"] is not None),
            key=lambda s: s["score"],
            default=None,
        )
        confidence_names = dict(Confidence.choices)
        evidence = [
            {
                "shift": shift.name.get(language),
                "items": [
                    {
                        "text": item.text.get(language),
                        "answer": presenters.answer_text(
                            item, a if a and a.is_answered else None, language
                        ),
                        "note": a.note if a else "",
                        "confidence": str(confidence_names.get(a.confidence, "")) if a else "",
                    }
                    for item in shift.items
                    if (a := answers.get(item.code)) is not None and a.note
                ],
            }
            for shift in fw.shifts
        ]
        evidence = [block for block in evidence if block["items"]]
        fonts = report_fonts()
        return {
            "font_css": fonts.css() if fonts else "",
            "language": language,
            "html_lang": "zh-Hant-HK" if language == "zh-hant" else "en",
            "assessment": assessment,
            "issuer": assessment.issuer,
            "issuer_name": assessment.issuer.name_zh
            if language == "zh-hant" and assessment.issuer.name_zh
            else assessment.issuer.name_en,
            "snapshot": snapshot,
            "framework": fw,
            "generated_at": timezone.now(),
            "r": r,
            "groups": views,
            "primary": primary,
            "primary_name": group_name(primary.key, assessment) if primary else "",
            "min_group": max(5, settings.PEER_MIN_GROUP),
            "min_known_percent": round(fw.min_known_share * 100),
            "radar": charts.radar(
                [
                    (
                        s["name"],
                        s["score"],
                        _peer_median(primary, s["code"]),
                    )
                    for s in r["shifts"]
                ],
                label=_("Scores by shift"),
                mine_label=_("Your scores"),
                peer_label=_("Peer median"),
            ),
            "heatmap": charts.heatmap(
                [(c["stage"], c["depth"], c["depth_code"]) for c in r["heatmap"]],
                label=_("AI across the value chain"),
            ),
            "balance_bars": r["balance"],
            "shift_pages": shift_pages,
            "changes": changes,
            "priorities": priorities[:8],
            "strongest": strongest,
            "weakest": weakest_shift,
            "evidence": evidence,
            "levels": [(lv.level, lv.min_score, lv.name.get(language)) for lv in fw.levels],
        }


def _peer_median(group: PeerGroup | None, shift: str) -> float | None:
    stat = group.shifts.get(shift) if group else None
    return stat.median if stat else None


def _delta(before: float | None, now: float | None) -> float | None:
    if before is None or now is None:
        return None
    return round(now - before, 1)
