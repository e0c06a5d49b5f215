"""Read-side queries. Views and services call these; nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import User

from . import access
from .framework import Framework, framework_cached, framework_from_content
from .models import Answer, AnswerRevision, Assessment, FrameworkVersion, ScoreSnapshot
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


def assessments_for_home(user: User) -> QuerySet[Assessment]:
    return assessments_visible_to(user).prefetch_related(
        Prefetch(
            "snapshots", queryset=ScoreSnapshot.objects.defer("result").order_by("-created_at")
        )
    )


def latest_snapshot_id(assessment: Assessment) -> int | None:
    return assessment.snapshots.order_by("-created_at", "-pk").values_list("pk", flat=True).first()


def review_trail(assessment: Assessment, *, with_revisions: bool = True) -> dict[str, list[Any]]:
    """Status changes, reviewer comments and (optionally) every answer change, oldest first."""
    revisions: list[Any] = []
    if with_revisions:
        revisions = list(
            AnswerRevision.objects.filter(answer__assessment=assessment)
            .select_related("user", "answer__item")
            .order_by("created_at", "pk")
        )
    return {
        "changes": list(assessment.status_changes.select_related("user")),
        "comments": list(assessment.comments.select_related("author", "item")),
        "revisions": revisions,
    }
