"""Write-side operations. Keyword-only, typed; each runs in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import yaml
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, Field, OuterRef, Q, Subquery, Value, When
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Issuer, User

from . import access, kinds, signals
from .framework import Framework, FrameworkError, parse_framework
from .models import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    CalendarChange,
    CalendarChangeKind,
    FrameworkVersion,
    Item,
    ReviewComment,
    ScoreComponent,
    ScoreSnapshot,
    StatusChange,
)
from .scoring import ScoreResult, score
from .selectors import answer_values, framework_of

FRAMEWORK_DIR = Path(__file__).resolve().parent / "frameworks"


# --- framework ----------------------------------------------------------------------------


class FrameworkConflict(Exception):
    """A file changed under a version that is already loaded."""


def _canonical_checksum(content: Mapping[str, Any]) -> str:
    # Checksum of the parsed content, so comments and formatting may change freely
    # while any change of meaning under the same version is caught.
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def framework_read_file(*, path: Path) -> tuple[dict[str, Any], Framework]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FrameworkError(f"{path.name}: cannot be read as YAML ({exc})") from exc
    if not isinstance(content, dict):
        raise FrameworkError(f"{path.name}: the top level must be a mapping")
    # YAML turns mapping keys like `1:` into ints; JSON storage needs strings.
    content = json.loads(json.dumps(content, ensure_ascii=False, default=str))
    return content, parse_framework(content)


@transaction.atomic
def framework_load(*, path: Path) -> tuple[FrameworkVersion, bool]:
    """Load one framework file. Returns (version, created). Idempotent per version.

    Raises FrameworkConflict when the version exists with different content: old results
    must never change meaning silently, so a change needs a new version.
    """
    content, fw = framework_read_file(path=path)
    checksum = _canonical_checksum(content)
    existing = FrameworkVersion.objects.filter(version=fw.version).first()
    if existing is not None:
        if existing.checksum != checksum:
            raise FrameworkConflict(
                f"{path.name}: version {fw.version} is already loaded with different content. "
                "Loaded versions are immutable; copy the file, give it a new `version`, "
                "and load that."
            )
        return existing, False
    version = FrameworkVersion.objects.create(
        version=fw.version, checksum=checksum, source_name=path.name, content=content
    )
    Item.objects.bulk_create(
        Item(
            framework=version,
            code=item.code,
            shift_code=item.shift_code,
            dimension_code=item.dimension_code,
            kind=item.kind,
            position=position,
            mandatory=item.mandatory,
        )
        for position, item in enumerate(fw.iter_items(), start=1)
    )
    return version, True


def framework_load_all(*, directory: Path = FRAMEWORK_DIR) -> list[tuple[FrameworkVersion, bool]]:
    return [framework_load(path=p) for p in sorted(directory.glob("v*.yaml"))]


# --- issuer profile -----------------------------------------------------------------------


def issuer_profile_confirm(
    *, issuer: Issuer, user: User, data: Mapping[str, Any], assessment: Assessment | None = None
) -> Issuer:
    """Confirm the company profile; as the first step of `assessment` (the wizard), only
    while that assessment's calendar takes answers."""
    if not access.can_confirm_profile(user=user, issuer=issuer):
        raise PermissionDenied
    if assessment is not None:
        _check_window(Assessment.objects.select_related("cohort").get(pk=assessment.pk))
    for name, value in data.items():
        setattr(issuer, name, value)
    issuer.profile_confirmed_at = timezone.now()
    issuer.full_clean()
    issuer.save()
    return issuer


# --- assessments --------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    issuer: Issuer,
    framework: FrameworkVersion,
    user: User | None,
    cohort: Any = None,
    prefill_from: Assessment | None = None,
) -> Assessment:
    """A new assessment with one answer row per item.

    Rows start empty (version 0), or, for a reassessment, carry the answers of
    `prefill_from` for every item whose code still exists (version 1, recorded in the
    history as set by `user`). Pre-creating the rows lets every later save be an
    optimistic, version-checked update.
    """
    assessment = Assessment.objects.create(
        issuer=issuer, framework=framework, cohort=cohort, created_by=user
    )
    previous: dict[str, Answer] = {}
    if prefill_from is not None:
        previous = {
            a.item.code: a
            for a in Answer.objects.filter(assessment=prefill_from).select_related("item")
            if a.is_answered or a.note
        }
    now = timezone.now()
    rows = []
    for item in Item.objects.filter(framework=framework):
        row = Answer(assessment=assessment, item=item)
        old = previous.get(item.code)
        if old is not None:
            for name in Answer.VALUE_FIELDS:
                setattr(row, name, getattr(old, name))
            row.version, row.updated_by, row.updated_at = 1, user, now
        rows.append(row)
    Answer.objects.bulk_create(rows)
    AnswerRevision.objects.bulk_create(
        _revision_from(row, None, version=1, user=user, created_at=now)
        for row in rows
        if row.version == 1
    )
    return assessment


def assessment_start(
    *, user: User, framework: FrameworkVersion, prefill: bool = False
) -> Assessment:
    """The issuer's open assessment, or a new one (leads only), optionally prefilled from
    the issuer's latest submitted assessment."""
    if not access.can_start(user=user) or user.issuer is None:
        raise PermissionDenied
    open_one = (
        Assessment.objects.enrolled()
        .filter(
            issuer=user.issuer,
            status__in=[AssessmentStatus.DRAFT, AssessmentStatus.RETURNED],
        )
        .order_by("-created_at")
        .first()
    )
    if open_one is not None:
        return open_one
    if not access.can_start_new(user=user):
        raise PermissionDenied(_("Only the issuer lead can start a new assessment."))
    previous = (
        Assessment.objects.filter(issuer=user.issuer, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .first()
        if prefill
        else None
    )
    return assessment_create(
        issuer=user.issuer, framework=framework, user=user, prefill_from=previous
    )


@dataclass(frozen=True)
class Proposed:
    """What a respondent submitted for one item, and the version their page was showing."""

    level: int | None = None
    choice: str = ""
    number: Decimal | None = None
    dont_know: bool = False
    not_applicable: bool = False
    note: str = ""
    confidence: str = ""
    base_version: int = 0

    def value_tuple(self) -> tuple[Any, ...]:
        number = self.number.normalize() if isinstance(self.number, Decimal) else self.number
        return (
            self.level,
            self.choice,
            number,
            self.dont_know,
            self.not_applicable,
            self.note,
            self.confidence,
        )


EMPTY_VALUE = Proposed().value_tuple()


@dataclass(frozen=True)
class Conflict:
    item_code: str
    theirs: Answer
    mine: Proposed


@dataclass
class SaveOutcome:
    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)


class AssessmentLocked(Exception):
    """The assessment was submitted (or is otherwise read-only)."""


class AnsweringClosed(Exception):
    """The cohort calendar takes no answers for this assessment today (`window` says why;
    `assessment` is the row as read under the lock, with its cohort, for the message)."""

    def __init__(self, *, window: access.Window, assessment: Assessment) -> None:
        super().__init__(window.value)
        self.window, self.assessment = window, assessment


def _check_window(assessment: Assessment) -> None:
    window = access.answering_window(assessment=assessment)
    if window is not access.Window.OPEN:
        raise AnsweringClosed(window=window, assessment=assessment)


def _locked(assessment: Assessment) -> Assessment:
    """The assessment row locked for this transaction, its cohort read alongside."""
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("cohort")
        .get(pk=assessment.pk)
    )


def _revision_from(answer: Answer, proposed: Proposed | None, **kwargs: Any) -> AnswerRevision:
    source: Any = proposed if proposed is not None else answer
    return AnswerRevision(
        answer=answer,
        level=source.level,
        choice=source.choice,
        number=source.number,
        dont_know=source.dont_know,
        not_applicable=source.not_applicable,
        note=source.note,
        confidence=source.confidence,
        **kwargs,
    )


def answers_save(
    *, assessment: Assessment, proposals: Mapping[str, Proposed], user: User
) -> SaveOutcome:
    """Save a respondent's answers with optimistic concurrency.

    Per item: unchanged values are skipped; a value whose base version is still current
    is written; a value the respondent did not touch (equal to what their page showed)
    never overwrites a colleague's newer one; a value they did change while a colleague
    changed it too is a conflict: it is stored as an unapplied revision (nothing is lost)
    and reported with both values. A constant number of queries, whatever the item count.
    """
    if not access.can_answer(user=user, assessment=assessment):
        raise PermissionDenied
    if not proposals:
        return SaveOutcome()
    outcome = SaveOutcome()
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(assessment)
        if locked.status not in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED):
            raise AssessmentLocked
        _check_window(locked)
        answers = {
            a.item.code: a
            for a in Answer.objects.select_for_update(of=("self",))
            .select_related("item", "updated_by")
            .filter(assessment=assessment, item__code__in=list(proposals))
        }
        stale = [
            (a.pk, proposals[code].base_version)
            for code, a in answers.items()
            if proposals[code].base_version != a.version and proposals[code].base_version > 0
        ]
        base_values: dict[tuple[int, int], tuple[Any, ...]] = {}
        if stale:
            query = Q()
            for answer_pk, base in stale:
                query |= Q(answer_id=answer_pk, version=base)
            for rev in AnswerRevision.objects.filter(query, applied=True):
                base_values[(rev.answer_id, rev.version)] = rev.value_tuple()

        to_update: list[Answer] = []
        # field -> new value -> ids of the answers that take it
        changed: dict[str, dict[Any, list[int]]] = {}
        revisions: list[AnswerRevision] = []
        for code, proposed in proposals.items():
            answer = answers.get(code)
            if answer is None:
                continue  # not an item of this assessment: ignored, never an error page
            mine = proposed.value_tuple()
            if mine == answer.value_tuple():
                outcome.unchanged.append(code)
                outcome.versions[code] = answer.version
                continue
            if proposed.base_version != answer.version:
                shown = (
                    EMPTY_VALUE
                    if proposed.base_version == 0
                    else base_values.get((answer.pk, proposed.base_version))
                )
                if shown is not None and mine == shown:
                    # Untouched by this respondent: a colleague's newer value stands.
                    outcome.unchanged.append(code)
                    outcome.versions[code] = answer.version
                    continue
                outcome.conflicts.append(Conflict(code, answer, proposed))
                revisions.append(
                    _revision_from(
                        answer,
                        proposed,
                        version=proposed.base_version,
                        applied=False,
                        user=user,
                        created_at=now,
                    )
                )
                continue
            for name in Answer.VALUE_FIELDS:
                new = getattr(proposed, name)
                if getattr(answer, name) != new:
                    changed.setdefault(name, {}).setdefault(new, []).append(answer.pk)
                setattr(answer, name, new)
            answer.version += 1
            answer.updated_by = user
            answer.updated_at = now
            to_update.append(answer)
            revisions.append(
                _revision_from(answer, None, version=answer.version, user=user, created_at=now)
            )
            outcome.saved.append(code)
            outcome.versions[code] = answer.version
        if to_update:
            _answers_update(to_update, changed, user=user, at=now)
            # Saving an item settles any conflict that was pending on it.
            AnswerRevision.objects.filter(
                answer__in=to_update, applied=False, resolved=False
            ).update(resolved=True)
            Assessment.objects.filter(pk=assessment.pk).update(updated_at=now)
        if revisions:
            AnswerRevision.objects.bulk_create(revisions)
    return outcome


def _answer_field(name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", Answer._meta.get_field(name))


def _answers_update(
    answers: list[Answer], changed: dict[str, dict[Any, list[int]]], *, user: User, at: datetime
) -> None:
    """One UPDATE for every saved answer (the rows are locked by the caller).

    `bulk_update` would write a CASE of one WHEN per row for every field (9 × 13 for a
    step) and spent ~12 ms building it; here only fields that some answer changed get a
    CASE, with one WHEN per distinct new value (five levels at most), and the version,
    author and time, the same for every row, are plain assignments.
    """
    values: dict[str, Any] = {
        name: Case(
            *(
                When(pk__in=ids, then=Value(new, output_field=_answer_field(name)))
                for new, ids in by_value.items()
            ),
            default=F(name),
        )
        for name, by_value in changed.items()
    }
    Answer.objects.filter(pk__in=[a.pk for a in answers]).update(
        **values, version=F("version") + 1, updated_by=user, updated_at=at
    )


class SubmitError(Exception):
    def __init__(self, missing: list[str]):
        super().__init__(", ".join(missing))
        self.missing = missing


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user: User) -> ScoreSnapshot:
    """Check completeness, freeze the scores with the framework version, lock the answers."""
    if not access.can_submit(user=user, assessment=assessment):
        raise PermissionDenied(_("Only the issuer lead can submit."))
    locked = _locked(assessment)
    if locked.status not in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED):
        raise AssessmentLocked
    _check_window(locked)
    answers = list(Answer.objects.filter(assessment=locked).select_related("item"))
    missing = [a.item.code for a in answers if a.item.mandatory and not a.is_answered]
    if missing:
        raise SubmitError(missing)
    snapshot = snapshot_create(assessment=locked, answers=answers, user=user)
    now = timezone.now()
    _transition(locked, AssessmentStatus.SUBMITTED, user=user, note="")
    locked.submitted_at = now
    locked.submitted_by = user
    locked.updated_at = now
    locked.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    return snapshot


def _transition(assessment: Assessment, to_status: str, *, user: User | None, note: str) -> None:
    change = StatusChange.objects.create(
        assessment=assessment,
        from_status=assessment.status,
        to_status=to_status,
        user=user,
        note=note,
    )
    assessment.status = to_status
    signal = _ANNOUNCED.get((change.from_status, to_status))
    if signal is not None:

        def announce() -> None:
            signal.send(sender=Assessment, assessment_id=assessment.pk, change_id=change.pk)

        # Robust: a listener that cannot reach the broker must not undo a committed review.
        transaction.on_commit(announce, robust=True)


_ANNOUNCED: dict[tuple[str, str], Signal] = {
    (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED): signals.assessment_returned,
    (AssessmentStatus.RETURNED, AssessmentStatus.SUBMITTED): signals.assessment_resubmitted,
    (AssessmentStatus.SUBMITTED, AssessmentStatus.APPROVED): signals.assessment_approved,
}


# --- the cohort calendar: extensions, withdrawal ---------------------------------------------


class CalendarError(Exception):
    """A calendar change that cannot be made as asked (the message says why)."""


@transaction.atomic
def assessment_extension_grant(
    *, assessment: Assessment, until: date, by: User, note: str = ""
) -> Assessment:
    """Let this issuer answer until `until` (inclusive, a Hong Kong day), past its cohort's
    closing date and even after the cohort was closed (`access.answering_window`)."""
    if not access.can_manage_calendar(user=by, assessment=assessment):
        raise PermissionDenied
    locked = _locked(assessment)
    if locked.withdrawn_at is not None:
        raise CalendarError(_("Reinstate the company in the round before extending its deadline."))
    if until < timezone.localdate():
        raise CalendarError(_("An extension cannot end in the past."))
    closes_on = locked.cohort.closes_on if locked.cohort else None
    if closes_on is not None and until < closes_on:
        raise CalendarError(
            _("An extension must end on or after the round's closing date, %(date)s.")
            % {"date": date_format(closes_on, "DATE_FORMAT")}
        )
    locked.extended_until = until
    locked.save(update_fields=["extended_until"])
    CalendarChange.objects.create(
        assessment=locked, kind=CalendarChangeKind.EXTENDED, until=until, user=by, note=note.strip()
    )
    return locked


@transaction.atomic
def assessment_withdraw(*, assessment: Assessment, by: User, reason: str) -> Assessment:
    """Take the issuer out of its cohort: its answers stay, read-only, and it leaves the
    cohort's figures (`Assessment.objects.enrolled()`) until reinstated."""
    if not access.can_manage_calendar(user=by, assessment=assessment):
        raise PermissionDenied
    if not reason.strip():
        raise CalendarError(
            _("Say why the company is withdrawn; the reason is kept in its history.")
        )
    locked = _locked(assessment)
    if locked.withdrawn_at is not None:
        raise CalendarError(_("This company is already withdrawn from the round."))
    locked.withdrawn_at, locked.withdrawn_by = timezone.now(), by
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    CalendarChange.objects.create(
        assessment=locked, kind=CalendarChangeKind.WITHDRAWN, user=by, note=reason.strip()
    )
    return locked


@transaction.atomic
def assessment_reinstate(*, assessment: Assessment, by: User, reason: str = "") -> Assessment:
    """Undo a withdrawal: the assessment is back in its cohort as it was left."""
    if not access.can_manage_calendar(user=by, assessment=assessment):
        raise PermissionDenied
    locked = _locked(assessment)
    if locked.withdrawn_at is None:
        raise CalendarError(_("This company is not withdrawn from the round."))
    locked.withdrawn_at, locked.withdrawn_by = None, None
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    CalendarChange.objects.create(
        assessment=locked, kind=CalendarChangeKind.REINSTATED, user=by, note=reason.strip()
    )
    return locked


class ReviewError(Exception):
    """The assessment is not in a state this review action applies to."""


@transaction.atomic
def review_comment_add(
    *, assessment: Assessment, author: User, text: str, item_code: str = ""
) -> ReviewComment:
    if not access.can_comment(user=author, assessment=assessment):
        raise PermissionDenied
    item = None
    if item_code:
        item = Item.objects.filter(framework_id=assessment.framework_id, code=item_code).first()
        if item is None:
            raise ReviewError(_("That question is not part of this assessment."))
    return ReviewComment.objects.create(
        assessment=assessment, item=item, author=author, text=text.strip()
    )


@transaction.atomic
def assessment_review(
    *, assessment: Assessment, reviewer: User, approve: bool, note: str
) -> Assessment:
    """Approve a submitted assessment, or return it to the issuer with a message."""
    if not access.can_review(user=reviewer, assessment=assessment):
        raise PermissionDenied
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != AssessmentStatus.SUBMITTED:
        raise ReviewError(_("Only a submitted assessment can be approved or returned."))
    if locked.withdrawn_at is not None:
        # Approving or returning would e-mail a company the association took out of the
        # round; reinstating it first makes that a deliberate step.
        raise ReviewError(
            _("This company was withdrawn from the round; reinstate it before reviewing.")
        )
    if not approve and not note.strip():
        raise ReviewError(_("Say what needs to change when returning an assessment."))
    _transition(
        locked,
        AssessmentStatus.APPROVED if approve else AssessmentStatus.RETURNED,
        user=reviewer,
        note=note.strip(),
    )
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "updated_at"])
    return locked


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def snapshot_values(result: ScoreResult) -> dict[str, Any]:
    """The snapshot columns a score result fills (pure; bulk generators reuse it)."""
    return {
        "overall_score": _decimal(result.overall),
        "maturity_level": result.level,
        "tier": result.tier,
        "completeness": Decimal(str(result.completeness.percent)),
        "result": result.as_dict(),
        "shift_scores": {s.code: s.score for s in result.shifts},
        "provisional": result.provisional,
    }


def snapshot_component_values(result: ScoreResult) -> list[tuple[str, str, Decimal | None]]:
    """(kind, code, score) of every ScoreComponent row: shifts, then dimensions (pure)."""
    shift: str = ScoreComponent.Kind.SHIFT
    dimension: str = ScoreComponent.Kind.DIMENSION
    return [(shift, s.code, _decimal(s.score)) for s in result.shifts] + [
        (dimension, d.code, _decimal(d.score)) for d in result.dimensions
    ]


def snapshot_groups_freeze(*, snapshot_ids: list[int]) -> None:
    """Copy the issuers' peer-group attributes onto snapshots written in bulk, as
    snapshot_create does for one (bulk writers such as COPY leave them blank)."""
    issuer = Issuer.objects.filter(pk=OuterRef("issuer_id"))
    ScoreSnapshot.objects.filter(pk__in=snapshot_ids).update(
        industry=Subquery(issuer.values("industry")[:1]),
        market_cap_band=Subquery(issuer.values("market_cap_band")[:1]),
        board=Subquery(issuer.values("board")[:1]),
    )


def snapshot_create(
    *, assessment: Assessment, answers: list[Answer], user: User | None, at: datetime | None = None
) -> ScoreSnapshot:
    """Freeze the scores; this becomes the issuer's current snapshot for peer statistics."""
    fw = framework_of(assessment.framework)
    values = answer_values(answers)
    result = score(fw, values)
    ScoreSnapshot.objects.filter(issuer_id=assessment.issuer_id, is_current=True).update(
        is_current=False
    )
    issuer = assessment.issuer
    snapshot = ScoreSnapshot.objects.create(
        assessment=assessment,
        issuer_id=assessment.issuer_id,
        is_current=True,
        framework_id=assessment.framework_id,
        industry=issuer.industry,
        market_cap_band=issuer.market_cap_band,
        board=issuer.board,
        created_by=user,
        **snapshot_values(result),
        kpis=kinds.kpi_values(fw, values),
        **({"created_at": at} if at else {}),
    )
    ScoreComponent.objects.bulk_create(
        ScoreComponent(snapshot=snapshot, kind=kind, code=code, score=value)
        for kind, code, value in snapshot_component_values(result)
    )
    return snapshot
