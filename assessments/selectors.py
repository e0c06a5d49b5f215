"""Read-side queries. Views and services call these; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import User

from . import access
from .framework import Framework, framework_cached, framework_from_content
from .models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    CalendarChange,
    FrameworkVersion,
    ScoreSnapshot,
    StatusChange,
)
from .scoring import AnswerValue


def framework_of(version: FrameworkVersion) -> Framework:
    """Parsed framework for a version row; the JSON content is read once per process."""
    cached = framework_cached(version.version, version.checksum)
    if cached is not None:
        return cached
    content = FrameworkVersion.objects.values_list("content", flat=True).get(pk=version.pk)
    return framework_from_content(version.version, version.checksum, content)


def framework_latest() -> FrameworkVersion | None:
    return FrameworkVersion.objects.defer("content").order_by("-loaded_at", "-pk").first()


def framework_versions() -> list[FrameworkVersion]:
    """Every loaded version, newest first (the framework is public content)."""
    return list(FrameworkVersion.objects.defer("content").order_by("-loaded_at", "-pk"))


def framework_published(*, version: str | None) -> FrameworkVersion:
    """A loaded version for the public framework page (the newest when None); 404 if none."""
    row = (
        FrameworkVersion.objects.defer("content").filter(version=version).first()
        if version
        else framework_latest()
    )
    if row is None:
        raise Http404
    return row


def _assessments() -> QuerySet[Assessment]:
    return Assessment.objects.select_related("issuer", "framework", "cohort").defer(
        "framework__content"
    )


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    """The assessments `user` may see (the rule is `access.visible_assessments`)."""
    return access.visible_assessments(user=user, queryset=_assessments())


def assessment_for_user(*, user: User, pk: int) -> Assessment:
    """The assessment if `user` may see it; 404 (never 403) so ids reveal nothing."""
    try:
        return assessments_visible_to(user).get(pk=pk)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    """Every answer of the assessment keyed by item code, with who last changed it."""
    rows = (
        Answer.objects.filter(assessment=assessment)
        .select_related("item", "updated_by")
        .order_by("item__position")
    )
    return {a.item.code: a for a in rows}


def open_conflicts(
    assessment: Assessment, item_codes: Iterable[str] | None = None
) -> dict[str, list[AnswerRevision]]:
    """Proposals that lost a concurrent-edit race and nobody has re-saved since."""
    qs = AnswerRevision.objects.filter(
        answer__assessment=assessment, applied=False, resolved=False
    ).select_related("user", "answer__item")
    if item_codes is not None:
        qs = qs.filter(answer__item__code__in=list(item_codes))
    result: dict[str, list[AnswerRevision]] = {}
    for rev in qs.order_by("created_at"):
        result.setdefault(rev.answer.item.code, []).append(rev)
    return result


def answer_values(answers: Iterable[Answer]) -> dict[str, AnswerValue]:
    return {
        a.item.code: AnswerValue(
            level=a.level,
            choice=a.choice,
            number=a.number,
            dont_know=a.dont_know,
            not_applicable=a.not_applicable,
        )
        for a in answers
    }


def answered_q(prefix: str = "") -> Q:
    """`Answer.is_answered` in SQL: a value, "don't know" or "not applicable" (what the
    review page counts as answered). `prefix` reaches answers through a relation."""
    return (
        Q(**{f"{prefix}level__isnull": False})
        | ~Q(**{f"{prefix}choice": ""})
        | Q(**{f"{prefix}number__isnull": False})
        | Q(**{f"{prefix}dont_know": True})
        | Q(**{f"{prefix}not_applicable": True})
    )


def _answer_count(*, answered: bool) -> Coalesce:
    rows = Answer.objects.filter(assessment=OuterRef("pk"))
    if answered:
        rows = rows.filter(answered_q())
    counted = rows.order_by().values("assessment").annotate(n=Count("*")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def assessments_for_home(user: User) -> QuerySet[Assessment]:
    """Newest first, with a tie-breaker so paging never repeats or skips a row; with each
    one's progress, `answered_count` of `item_count` (subqueries per row, so a page counts
    only its own answers)."""
    return (
        assessments_visible_to(user)
        .annotate(
            answered_count=_answer_count(answered=True), item_count=_answer_count(answered=False)
        )
        .prefetch_related(
            Prefetch(
                "snapshots",
                queryset=ScoreSnapshot.objects.defer("result").order_by("-created_at"),
            )
        )
        .order_by("-created_at", "-pk")
    )


def latest_snapshot_id(assessment: Assessment) -> int | None:
    return assessment.snapshots.order_by("-created_at", "-pk").values_list("pk", flat=True).first()


def answer_revisions(assessment: Assessment) -> QuerySet[AnswerRevision]:
    """Every change to the assessment's answers (and every lost concurrent proposal),
    oldest first."""
    return (
        AnswerRevision.objects.filter(answer__assessment=assessment)
        .select_related("user", "answer__item")
        .order_by("created_at", "pk")
    )


def review_trail(assessment: Assessment, *, with_revisions: bool = True) -> dict[str, list[Any]]:
    """Status changes, reviewer comments and (optionally) every answer change, oldest first."""
    revisions: list[Any] = list(answer_revisions(assessment)) if with_revisions else []
    return {
        "calendar": calendar_changes(assessment),
        "changes": list(assessment.status_changes.select_related("user")),
        "comments": list(assessment.comments.select_related("author", "item")),
        "revisions": revisions,
    }


def latest_snapshot(assessment: Assessment) -> ScoreSnapshot | None:
    """The scores of the assessment's latest submission (a resubmission replaces them)."""
    return assessment.snapshots.order_by("-created_at", "-pk").first()


@dataclass(frozen=True)
class AnswerChange:
    """An answer that differs from what it was when the assessment was returned."""

    item_code: str
    before: AnswerRevision | None  # the value when returned; None: not answered then
    after: AnswerRevision  # the latest saved value
    by: User | None


@dataclass(frozen=True)
class ChangesSinceReturn:
    returned: StatusChange  # the latest return to the issuer
    changes: list[AnswerChange]


def changes_since_return(assessment: Assessment) -> ChangesSinceReturn | None:
    """What the issuer changed after the association last returned the assessment, item by
    item, old value against new (None if it was never returned). Two queries.

    Every applied change is an `AnswerRevision` holding the value it produced (prefilled
    answers included), so the value at the return is the latest revision before it.
    """
    returned = (
        assessment.status_changes.filter(to_status=AssessmentStatus.RETURNED)
        .select_related("user")
        .order_by("-created_at", "-pk")
        .first()
    )
    if returned is None:
        return None
    before: dict[int, AnswerRevision] = {}
    after: dict[int, AnswerRevision] = {}
    revisions = (
        AnswerRevision.objects.filter(answer__assessment=assessment, applied=True)
        .select_related("user", "answer__item")
        .order_by("created_at", "pk")
    )
    for rev in revisions:
        (before if rev.created_at <= returned.created_at else after)[rev.answer_id] = rev
    changes = []
    for answer_id, rev in after.items():
        old = before.get(answer_id)
        if old is not None and old.value_tuple() == rev.value_tuple():
            continue  # changed and changed back
        if old is None and not (rev.is_answered or rev.note or rev.confidence):
            continue
        changes.append(AnswerChange(rev.answer.item.code, old, rev, rev.user))
    changes.sort(key=lambda c: c.after.answer.item.position)
    return ChangesSinceReturn(returned=returned, changes=changes)


def calendar_changes(assessment: Assessment) -> list[CalendarChange]:
    """Extensions, withdrawals and reinstatements of the assessment, oldest first."""
    return list(CalendarChange.objects.filter(assessment=assessment).select_related("user"))
