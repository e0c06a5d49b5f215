"""Turn framework content + answers / stored score snapshots into display values.

Scores are stored language-neutral (codes and numbers); the words are added here, in
the reader's language, so the same snapshot reads correctly in English and Chinese.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import access, kinds, reading_time, selectors
from .framework import Dimension, Framework, ItemDef, Named
from .kinds import answer_code_text
from .models import (
    Answer,
    AnswerRevision,
    Assessment,
    Confidence,
    ReviewComment,
    ScoreSnapshot,
)
from .scoring import effective_shares, known_share_of_result, score
from .selectors import ChangesSinceReturn, answer_values


def answer_text(item: ItemDef, answer: Any, lang: str | None) -> str:
    """Human text of an answer (Answer, AnswerRevision or scoring.AnswerValue)."""
    if answer is None:
        return _("Not answered")
    if answer.dont_know:
        return _("Don't know")
    if getattr(answer, "not_applicable", False):
        return _("Not applicable")
    text = kinds.of(item).answer_text(item, answer, lang)
    return _("Not answered") if text is None else text


def _scale(dim: Dimension, lang: str | None) -> str:
    """How the dimension's answers become points, one sentence per distinct scale."""
    texts: list[str] = []
    for item in dim.items:
        text = kinds.of(item).scale_text(item, lang) if item.scored else None
        if text and text not in texts:
            texts.append(text)
    return " ".join(texts)


def _describe(named: Named, lang: str | None) -> str:
    return named.description.get(lang) if named.description else ""


@dataclass
class ReviewItem:
    item: ItemDef
    text: str
    answer: str
    note: str
    confidence: str
    by: str
    at: Any
    missing: bool
    dont_know: bool


@dataclass
class ReviewDimension:
    name: str
    items: list[ReviewItem]


@dataclass
class ReviewShift:
    code: str
    name: str
    dimensions: list[ReviewDimension]
    missing: list[ReviewItem] = field(default_factory=list)
    gaps: list[ReviewItem] = field(default_factory=list)


def review(fw: Framework, answers: Mapping[str, Answer], lang: str | None) -> dict[str, Any]:
    confidence_names = dict(Confidence.choices)
    shifts: list[ReviewShift] = []
    for shift in fw.shifts:
        rs = ReviewShift(shift.code, shift.name.get(lang), [])
        for dim in shift.dimensions:
            rows: list[ReviewItem] = []
            for item in dim.items:
                a = answers.get(item.code)
                row = ReviewItem(
                    item=item,
                    text=item.text.get(lang),
                    answer=answer_text(item, a if a and a.is_answered else None, lang),
                    note=a.note if a else "",
                    confidence=str(confidence_names.get(a.confidence, "")) if a else "",
                    by=a.updated_by.display_name if a and a.updated_by else "",
                    at=a.updated_at if a else None,
                    missing=item.mandatory and not (a and a.is_answered),
                    dont_know=bool(a and a.dont_know),
                )
                rows.append(row)
                if row.missing:
                    rs.missing.append(row)
                elif not (a and (a.is_known or a.not_applicable)):
                    rs.gaps.append(row)
            rs.dimensions.append(ReviewDimension(dim.name.get(lang), rows))
        shifts.append(rs)
    missing = [m for s in shifts for m in s.missing]
    # What the result would be if submitted now: the lead is warned before a provisional
    # submission (and may still make it).
    preview = score(fw, answer_values(answers.values()))
    return {
        "shifts": shifts,
        "missing_count": len(missing),
        "gap_count": sum(len(s.gaps) for s in shifts),
        "provisional": preview.provisional,
        "known_percent": round(100 * preview.known_share),
        "provisional_below_percent": round(100 * fw.provisional_below),
        "overall_unscored": preview.overall is None,
    }


def results(fw: Framework, result: Mapping[str, Any], lang: str | None) -> dict[str, Any]:
    """Everything the results page shows, each number with the inputs behind it."""

    def level_name(level: int | None) -> str:
        return fw.levels[level - 1].name.get(lang) if level else _("Not scored")

    dims = {d["code"]: d for d in result["dimensions"]}
    shares = effective_shares(fw)
    shift_total = sum(s.weight for s in fw.shifts)
    shifts = []
    for s_raw, shift in zip(result["shifts"], fw.shifts, strict=True):
        dimensions = []
        for dim in shift.dimensions:
            d = dims[dim.code]
            contributions = []
            # The answers that would score an unscored dimension: its scored questions
            # without a known answer ("not applicable" ones are settled).
            to_score = []
            for c in d["contributions"]:
                item = fw.items[c["code"]]
                contributions.append(
                    {
                        "text": item.text.get(lang),
                        "answer": answer_code_text(item, c["answer"], lang),
                        "score": c["score"],
                        "weight": c["weight"],
                    }
                )
                if (
                    d["score"] is None
                    and c["score"] is None
                    and c["answer"] != kinds.NOT_APPLICABLE
                ):
                    to_score.append(contributions[-1])
            lifts = []
            for lift in d["lifts"]:
                item = fw.items[lift["item"]]
                lifts.append(
                    {
                        "text": item.text.get(lang),
                        "from": answer_code_text(item, lift["from_answer"], lang),
                        "to": kinds.of(item).lift_text(item, lift["to_answer"], lang),
                        "gain": lift["gain"],
                    }
                )
            dimensions.append(
                {
                    "code": dim.code,
                    "name": dim.name.get(lang),
                    "role": fw.role(dim.value_role).name.get(lang),
                    "weight": dim.weight,
                    "score": d["score"],
                    "level": d["level"],
                    "level_name": level_name(d["level"]),
                    "next_level_at": d["next_level_at"],
                    "contributions": contributions,
                    "lifts": lifts,
                    "recommendation": dim.recommendations[d["level"]].get(lang)
                    if d["level"]
                    else "",
                    "insufficient": d["score"] is None,
                    "mostly_not_applicable": d["note"] == "not_applicable",
                    "to_score": to_score,
                    "share": round(100 * shares[dim.code], 1),
                    "scale": _scale(dim, lang),
                    "na_possible": any(i.not_applicable for i in dim.items),
                }
            )
        shifts.append(
            {
                "code": shift.code,
                "name": shift.name.get(lang),
                "weight": shift.weight,
                "share": round(100 * shift.weight / shift_total, 1),
                "unscored_dimensions": [d for d in dimensions if d["score"] is None]
                if s_raw["score"] is None
                else [],
                "score": s_raw["score"],
                "level": s_raw["level"],
                "level_name": level_name(s_raw["level"]),
                "next_level_at": s_raw["next_level_at"],
                "dimensions": dimensions,
            }
        )
    conditions = {c.code: c for c in fw.tier_rule.conditions}
    tier = fw.tier(result["tier"])
    completeness = result["completeness"]
    known = result.get("known_share")
    if known is None:  # stored before results kept it
        known = known_share_of_result(fw, result)
    return {
        "scoring_rules": result.get("scoring_rules", 1),
        "provisional": bool(result.get("provisional")),
        "known_percent": round(100 * known),
        "provisional_below_percent": round(100 * fw.provisional_below),
        "unscored_shifts": [s for s in shifts if s["score"] is None]
        if result["overall"] is None
        else [],
        "overall": result["overall"],
        "level": result["level"],
        "level_name": level_name(result["level"]),
        "level_description": fw.levels[result["level"] - 1].description.get(lang)
        if result["level"]
        else "",
        "next_level_at": result["next_level_at"],
        "shifts": shifts,
        "tier_name": tier.name.get(lang),
        "tier_description": _describe(tier, lang),
        "tier_met": result["tier_met"],
        "tier_min_met": fw.tier_rule.min_met,
        "tier_reasons": [
            {
                "text": conditions[r["code"]].text.get(lang),
                "met": r["met"],
                "observed": r["observed"],
            }
            for r in result["tier_reasons"]
        ],
        "heatmap": [
            {
                "stage": fw.stage(cell["stage"]).name.get(lang),
                "depth": next(
                    (d.label.get(lang) for d in fw.depths if d.code == cell["depth"]),
                    _("Not applicable")
                    if cell["depth"] == kinds.NOT_APPLICABLE
                    else _("Not answered"),
                ),
                "depth_code": cell["depth"] or "unknown",
                "score": cell["score"],
            }
            for cell in result["heatmap"]
        ],
        "balance": [
            {"name": role.name.get(lang), "score": value, "description": _describe(role, lang)}
            for code, value in result["balance"].items()
            if (role := fw.role(code))
        ],
        "completeness": completeness,
        "gaps": [
            {
                "text": fw.items[g["item"]].text.get(lang),
                "shift": fw.shift(g["shift"]).name.get(lang),
                "reason": _("Don't know") if g["reason"] == "dont_know" else _("Not answered"),
            }
            for g in completeness["gaps"]
        ],
    }


# --- wizard navigation ---------------------------------------------------------------------


@dataclass
class StepLink:
    key: str
    title: str
    url: str
    answered: int
    total: int
    current: bool

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


@dataclass
class WizardNav:
    """The wizard's steps (profile, one per shift, review) with progress, and where the
    current one leads."""

    steps: list[StepLink]
    index: int

    @property
    def prev(self) -> StepLink | None:
        return self.steps[self.index - 1] if self.index > 0 else None

    @property
    def next(self) -> StepLink | None:
        return self.steps[self.index + 1] if self.index + 1 < len(self.steps) else None

    def after_save(self, go: str) -> str:
        """Where a saved step goes: the button pressed ("next" / "prev"), else stays."""
        target = {"next": self.next, "prev": self.prev}.get(go)
        return (target or self.steps[self.index]).url


def wizard_nav(
    assessment: Assessment,
    fw: Framework,
    answers: Mapping[str, Answer],
    *,
    current: str,
    language: str,
) -> WizardNav:
    steps = [
        StepLink(
            "profile",
            _("Company profile"),
            reverse("assessments:profile", args=[assessment.pk]),
            1 if assessment.issuer.profile_confirmed_at else 0,
            1,
            current == "profile",
        )
    ]
    for shift in fw.shifts:
        # Answered as the review page counts it (Answer.is_answered): "don't know" and "not
        # applicable" are answers; only known answers score, which the review page says.
        answered = sum(1 for i in shift.items if (a := answers.get(i.code)) and a.is_answered)
        steps.append(
            StepLink(
                shift.code,
                shift.name.get(language),
                reverse("assessments:step", args=[assessment.pk, shift.code]),
                answered,
                len(shift.items),
                current == shift.code,
            )
        )
    steps.append(
        StepLink(
            "review",
            _("Review and submit"),
            reverse("assessments:review", args=[assessment.pk]),
            0,
            0,
            current == "review",
        )
    )
    return WizardNav(steps, [s.key for s in steps].index(current))


def _question(fw: Framework, code: str, lang: str | None) -> tuple[str, str]:
    """(question text, shift name) of an item in the reader's language, never its code."""
    item = fw.items.get(code)
    if item is None:  # not in this version (cannot happen for its own answers)
        return _("A question of another framework version"), ""
    return item.text.get(lang), fw.shift(item.shift_code).name.get(lang)


@dataclass(frozen=True)
class CommentView:
    author: str
    created_at: datetime.datetime
    text: str
    question: str  # the question it cites, in the reader's language; "" for the whole
    shift: str


def comments(fw: Framework, rows: Iterable[ReviewComment], lang: str | None) -> list[CommentView]:
    """Reviewer comments as the reviewer and the company read them."""
    out = []
    for c in rows:
        question, shift = _question(fw, c.item.code, lang) if c.item else ("", "")
        author = c.author.display_name if c.author else ""
        out.append(CommentView(author, c.created_at, c.text, question, shift))
    return out


def trail(fw: Framework, raw: dict[str, list[Any]], lang: str | None) -> dict[str, Any]:
    """`selectors.review_trail` with its comments citing question texts (_trail.html)."""
    return {**raw, "comments": comments(fw, raw["comments"], lang)}


@dataclass(frozen=True)
class ChangeView:
    question: str
    shift: str
    before: str
    after: str
    evidence_changed: bool  # the note or confidence changed (the answer may not have)
    by: str
    at: datetime.datetime


def changes_since_return(
    fw: Framework, found: ChangesSinceReturn | None, lang: str | None
) -> dict[str, Any] | None:
    """What the company changed after the reviewer returned it, old → new in words."""
    if found is None:
        return None
    rows = []
    for change in found.changes:
        item = fw.items.get(change.item_code)
        if item is None:
            continue
        old, new = change.before, change.after
        question, shift = _question(fw, change.item_code, lang)
        rows.append(
            ChangeView(
                question=question,
                shift=shift,
                before=answer_text(item, old if old and old.is_answered else None, lang),
                after=answer_text(item, new if new.is_answered else None, lang),
                evidence_changed=(old.note, old.confidence) != (new.note, new.confidence)
                if old
                else bool(new.note or new.confidence),
                by=change.by.display_name if change.by else "",
                at=new.created_at,
            )
        )
    return {"returned": found.returned, "changes": rows}


def review_scores(
    fw: Framework, snapshot: ScoreSnapshot | None, lang: str | None
) -> dict[str, Any] | None:
    """The scores of the latest submission for the reviewer: overall, level, tier and each
    shift, with the snapshot's provisional flag (the record, as on the results page)."""
    if snapshot is None:
        return None
    result = results(fw, snapshot.result, lang)
    result["provisional"] = snapshot.provisional
    result["submitted_at"] = snapshot.created_at
    return result


def reviewer_page(assessment: Assessment, fw: Framework, lang: str | None) -> dict[str, Any]:
    """What the association's review page shows besides its form: the answers, the scores
    of the latest submission, what changed since the last return, and the trail."""
    answers = selectors.answers_of(assessment)
    return {
        "assessment": assessment,
        "review": review(fw, answers, lang),
        "scores": review_scores(fw, selectors.latest_snapshot(assessment), lang),
        "since_return": changes_since_return(fw, selectors.changes_since_return(assessment), lang),
        "trail": trail(fw, selectors.review_trail(assessment, with_revisions=False), lang),
    }


@dataclass(frozen=True)
class RevisionView:
    rev: AnswerRevision
    question: str
    value: str


def revisions(
    fw: Framework, rows: Iterable[AnswerRevision], lang: str | None
) -> list[RevisionView]:
    """Answer changes for the audit trail, each with its question and value in words."""
    out = []
    for rev in rows:
        item = fw.items.get(rev.answer.item.code)
        question = item.text.get(lang) if item else _("A question of another framework version")
        value = answer_text(item, rev, lang) if item else ""
        out.append(RevisionView(rev, question, value))
    return out


# --- the cohort calendar -------------------------------------------------------------------


def _day(day: datetime.date) -> str:
    return date_format(day, "DATE_FORMAT")


def calendar_notice(assessment: Assessment, window: access.Window | None = None) -> str:
    """Why this assessment takes no answers today, in words for the page ("" when it does).
    `window` as the service found it under the lock, else as it is now."""
    if window is None:
        window = access.answering_window(assessment=assessment)
    cohort, today = assessment.cohort, timezone.localdate()
    if window is access.Window.WITHDRAWN and assessment.withdrawn_at is not None:
        return _(
            "This company was withdrawn from this round on %(date)s. Its answers are kept "
            "and can be read, but no longer changed."
        ) % {"date": _day(timezone.localdate(assessment.withdrawn_at))}
    if window is access.Window.NOT_OPEN and cohort is not None:
        if today < cohort.opens_on:
            return _(
                "This round opens on %(date)s. You can read the questions now and answer "
                "them from that day."
            ) % {"date": _day(cohort.opens_on)}
        return _(
            "This round has not been opened yet. You can read the questions now and answer "
            "them once the association opens it."
        )
    if window is access.Window.CLOSED:
        deadline = assessment.deadline
        if deadline is not None and today > deadline:
            if assessment.extended_until is not None:
                text = _(
                    "Your extension ended on %(date)s, so answers can no longer be changed "
                    "or submitted. Ask the association if you need more time."
                )
            else:
                text = _(
                    "This round closed on %(date)s, so answers can no longer be changed or "
                    "submitted. Ask the association for an extension if you need more time."
                )
            return text % {"date": _day(deadline)}
        return _(
            "The association has closed this round, so answers can no longer be changed or "
            "submitted. Ask the association for an extension if you need more time."
        )
    return ""


@dataclass(frozen=True)
class CalendarView:
    """A cohort assessment's calendar as its pages show it: the round's name, its last
    day (the extension if one was granted) and why answering is not possible, if so."""

    cohort_name: str
    deadline: datetime.date | None
    extended: bool
    window: access.Window
    notice: str

    @property
    def is_open(self) -> bool:
        return self.window is access.Window.OPEN


def calendar_view(assessment: Assessment) -> CalendarView | None:
    """None for an assessment outside any cohort (no calendar applies)."""
    if assessment.cohort is None:
        return None
    window = access.answering_window(assessment=assessment)
    return CalendarView(
        cohort_name=assessment.cohort.display_name,
        deadline=assessment.deadline,
        extended=assessment.extended_until is not None,
        window=window,
        notice=calendar_notice(assessment, window),
    )


# --- the issuer's home ---------------------------------------------------------------------


@dataclass(frozen=True)
class HomeRow:
    """One of the issuer's assessments on its home page: one row per cohort it is in."""

    assessment: Assessment
    round_name: str
    calendar: CalendarView | None
    answered: int
    total: int
    can_edit: bool

    @property
    def state(self) -> str:
        """The status in words, with what the calendar adds ("Withdrawn", "Not open yet")."""
        if self.assessment.is_withdrawn:
            return _("Withdrawn")
        label = str(self.assessment.get_status_display())
        if self.assessment.is_editable and self.calendar is not None:
            if self.calendar.window is access.Window.NOT_OPEN:
                return _("%(status)s · not open yet") % {"status": label}
            if self.calendar.window is access.Window.CLOSED:
                return _("%(status)s · closed") % {"status": label}
        return label


def home_rows(assessments: list[Assessment], *, user: Any) -> list[HomeRow]:
    """Rows for `assessments_for_home` results (annotated with their answer counts)."""
    rows = []
    for a in assessments:
        calendar = calendar_view(a)
        rows.append(
            HomeRow(
                assessment=a,
                round_name=calendar.cohort_name if calendar else _("Own assessment"),
                calendar=calendar,
                answered=getattr(a, "answered_count", 0),
                total=getattr(a, "item_count", 0),
                can_edit=access.can_edit(user=user, assessment=a),
            )
        )
    return rows


@dataclass(frozen=True)
class Respondent:
    name: str
    answered: int


@dataclass(frozen=True)
class HomeProgress:
    """The open assessment at the top of the issuer's home: what is done, by whom, what is
    left, by when, and where "Continue" goes (the first step with a question left)."""

    assessment: Assessment
    steps: list[StepLink]  # the profile and the shifts
    answered: int
    total: int
    respondents: list[Respondent]  # who gave the answers, most first
    continue_url: str
    calendar: CalendarView | None

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


def home_progress(assessment: Assessment, *, language: str) -> HomeProgress:
    """Two queries: the answers (with who last changed each) and the framework, cached."""
    fw = selectors.framework_of(assessment.framework)
    answers = selectors.answers_of(assessment)
    steps = wizard_nav(assessment, fw, answers, current="review", language=language).steps[:-1]
    by_person: dict[str, int] = {}
    for a in answers.values():
        if a.is_known and a.updated_by is not None:
            name = a.updated_by.display_name
            by_person[name] = by_person.get(name, 0) + 1
    todo = next((s for s in steps if s.answered < s.total), None)
    return HomeProgress(
        assessment=assessment,
        steps=steps,
        answered=sum(s.answered for s in steps[1:]),
        total=sum(s.total for s in steps[1:]),
        respondents=[Respondent(n, c) for n, c in sorted(by_person.items(), key=lambda p: -p[1])],
        continue_url=todo.url if todo else reverse("assessments:review", args=[assessment.pk]),
        calendar=calendar_view(assessment),
    )


# --- the landing page (anonymous visitors) ---------------------------------------------------


@dataclass(frozen=True)
class LandingShift:
    name: str
    line: str  # the first sentence of the shift's purpose


@dataclass(frozen=True)
class Landing:
    shifts: list[LandingShift]
    minutes: int | None  # the whole questionnaire (reading_time), None without a framework
    step_minutes: list[tuple[str, int]]
    items: int
    min_group: int = settings.PEER_MIN_GROUP  # peers behind any statistic shown
    profile_minutes: int = reading_time.PROFILE_MINUTES


def _first_sentence(text: str) -> str:
    for stop in ("。", ". "):
        if stop in text:
            return text.split(stop, 1)[0] + stop.strip()
    return text


def landing(*, language: str) -> Landing:
    version = selectors.framework_latest()
    if version is None:
        return Landing([], None, [], 0)
    fw = selectors.framework_of(version)
    return Landing(
        shifts=[
            LandingShift(s.name.get(language), _first_sentence(s.purpose.get(language)))
            for s in fw.shifts
        ],
        minutes=reading_time.total_minutes(fw, language),
        step_minutes=[
            (s.name.get(language), reading_time.step_minutes(fw, s, language)) for s in fw.shifts
        ],
        items=len(fw.items),
    )
