from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Board, Industry, MarketCapBand

from . import kinds


class FrameworkVersion(models.Model):
    """One loaded version of the framework content (assessments/frameworks/*.yaml).

    `content` is the parsed file, kept verbatim so a submitted assessment can always be
    re-read and re-scored against the exact text it was answered on.
    """

    version = models.CharField(max_length=32, unique=True, verbose_name=_("version"))
    checksum = models.CharField(max_length=64, verbose_name=_("checksum"))
    source_name = models.CharField(max_length=200, verbose_name=_("source name"))
    content = models.JSONField(verbose_name=_("content"))
    loaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("loaded at"))

    class Meta:
        verbose_name = _("framework version")
        verbose_name_plural = _("framework versions")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return self.version


class Item(models.Model):
    """A question of one framework version; answers point here so they keep their meaning."""

    framework = models.ForeignKey(
        FrameworkVersion,
        on_delete=models.PROTECT,
        related_name="items",
        verbose_name=_("framework"),
    )
    code = models.CharField(max_length=100, verbose_name=_("code"))
    shift_code = models.CharField(max_length=50, verbose_name=_("shift code"))
    dimension_code = models.CharField(max_length=100, verbose_name=_("dimension code"))
    kind = models.CharField(
        max_length=kinds.CODE_MAX, choices=kinds.choices(), verbose_name=_("kind")
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))
    mandatory = models.BooleanField(default=True, verbose_name=_("mandatory"))

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="item_code_unique"),
            # A new kind (kinds.py) needs a migration for this and the field's choices.
            models.CheckConstraint(condition=Q(kind__in=kinds.codes()), name="item_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.code


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")


EDITABLE_STATUSES = (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def enrolled(self) -> AssessmentQuerySet:
        """Without the assessments withdrawn from their cohort: what a cohort's counts,
        exports, reminders and peer statistics are made of."""
        return self.filter(withdrawn_at__isnull=True)


class Assessment(models.Model):
    issuer = models.ForeignKey(
        "accounts.Issuer",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("issuer"),
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("cohort"),
    )
    framework = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, verbose_name=_("framework")
    )
    status = models.CharField(
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
        verbose_name=_("status"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    # An extension the association granted this issuer past its cohort's closing date
    # (inclusive, a Hong Kong calendar day); null: the cohort's own closing date applies.
    extended_until = models.DateField(_("extended until"), null=True, blank=True)
    # Withdrawn from its cohort by the association: kept with every answer, read-only, and
    # left out of the cohort's figures until reinstated (a field beside the status, so the
    # review workflow and scoring never meet a status they do not know).
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="assessment_status_valid"
            ),
            models.UniqueConstraint(
                fields=["issuer", "cohort"],
                condition=Q(cohort__isnull=False),
                name="assessment_one_per_issuer_cohort",
            ),
            models.CheckConstraint(
                condition=Q(status=AssessmentStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="assessment_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_by__isnull=True) | Q(withdrawn_at__isnull=False),
                name="assessment_withdrawn_by_has_date",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "status", "-submitted_at"])]

    def __str__(self) -> str:
        return f"{self.issuer.stock_code} #{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def deadline(self) -> datetime.date | None:
        """The last Hong Kong calendar day answers are accepted: the extension if one was
        granted, else the cohort's closing date; None outside a cohort."""
        if self.extended_until is not None:
            return self.extended_until
        return self.cohort.closes_on if self.cohort is not None else None


class Confidence(models.TextChoices):
    SELF_ASSESSED = "self", _("Self-assessed")
    DOCUMENTED = "documented", _("Documented")
    VERIFIED = "verified", _("Externally verified")


class AnswerValueFields(models.Model):
    """The answer to one item: exactly one of level / choice / number, "don't know", or
    "not applicable" (only on items the framework marks so, under scoring rules 2)."""

    level = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("level"))
    choice = models.CharField(max_length=50, blank=True, verbose_name=_("choice"))
    number = models.DecimalField(
        max_digits=16, decimal_places=4, null=True, blank=True, verbose_name=_("number")
    )
    dont_know = models.BooleanField(default=False, verbose_name=_("dont know"))
    not_applicable = models.BooleanField(
        default=False, db_default=False, verbose_name=_("not applicable")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    confidence = models.CharField(
        max_length=16, blank=True, choices=Confidence.choices, verbose_name=_("confidence")
    )

    class Meta:
        abstract = True

    VALUE_FIELDS = (
        "level",
        "choice",
        "number",
        "dont_know",
        "not_applicable",
        "note",
        "confidence",
    )

    def value_tuple(self) -> tuple[Any, ...]:
        number = self.number
        if isinstance(number, Decimal):
            number = number.normalize()
        return (
            self.level,
            self.choice,
            number,
            self.dont_know,
            self.not_applicable,
            self.note,
            self.confidence,
        )

    @property
    def is_known(self) -> bool:
        return self.level is not None or bool(self.choice) or self.number is not None

    @property
    def is_answered(self) -> bool:
        """Answered for submission: a value, an explicit "don't know" or "not applicable"."""
        return self.is_known or self.dont_know or self.not_applicable


def _value_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=5),
            name=f"{prefix}_level_1_to_5",
        ),
        models.CheckConstraint(
            condition=Q(dont_know=False)
            | (Q(level__isnull=True) & Q(choice="") & Q(number__isnull=True)),
            name=f"{prefix}_dont_know_excludes_value",
        ),
        models.CheckConstraint(
            condition=Q(not_applicable=False)
            | (Q(dont_know=False) & Q(level__isnull=True) & Q(choice="") & Q(number__isnull=True)),
            name=f"{prefix}_not_applicable_excludes_value",
        ),
        models.CheckConstraint(
            condition=Q(confidence="") | Q(confidence__in=Confidence.values),
            name=f"{prefix}_confidence_valid",
        ),
    ]


class Answer(AnswerValueFields):
    """Current answer. `version` rises by one on every change (optimistic concurrency)."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="answers", verbose_name=_("assessment")
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    version = models.PositiveIntegerField(default=0, verbose_name=_("version"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="answer_unique_item"),
            *_value_constraints("answer"),
        ]
        indexes = [
            # The cohort dashboard's value-chain adoption counts choice answers of a
            # cohort's assessments: only those rows (~15 %), with the choice in the key so
            # PostgreSQL answers from the index alone (cohorts/dashboard.py).
            models.Index(
                fields=["assessment", "item", "choice"],
                condition=~Q(choice=""),
                name="answer_choice_given",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.item_id}@{self.version}"


class AnswerRevision(AnswerValueFields):
    """Every change to an answer, and every proposal that lost a concurrent-edit race.

    `applied=False` rows are the conflicting values a colleague typed: they are kept
    (never silently dropped) and shown beside the item until someone saves it again.
    """

    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("answer")
    )
    version = models.PositiveIntegerField(
        help_text="version produced, or the base version", verbose_name=_("version")
    )
    applied = models.BooleanField(default=True, verbose_name=_("applied"))
    resolved = models.BooleanField(default=False, verbose_name=_("resolved"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("answer revision")
        verbose_name_plural = _("answer revisions")
        ordering = ["answer", "created_at"]

        constraints = [*_value_constraints("revision")]
        indexes = [
            models.Index(
                fields=["answer"],
                condition=Q(applied=False, resolved=False),
                name="revision_open_conflicts",
            )
        ]

    def __str__(self) -> str:
        state = "applied" if self.applied else "conflict"
        return f"{self.answer_id}@{self.version} ({state})"


class ScoreSnapshot(models.Model):
    """Scores frozen at submission, with the framework version they were computed on."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("assessment")
    )
    # Denormalised from the assessment so peer statistics filter on one indexed table.
    issuer = models.ForeignKey(
        "accounts.Issuer",
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("issuer"),
    )
    # The issuer's latest submitted scores: exactly these feed peer statistics.
    is_current = models.BooleanField(default=False, verbose_name=_("is current"))
    framework = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, verbose_name=_("framework")
    )
    overall_score = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, verbose_name=_("overall score")
    )
    maturity_level = models.PositiveSmallIntegerField(null=True, verbose_name=_("maturity level"))
    tier = models.CharField(max_length=16, blank=True, verbose_name=_("tier"))
    completeness = models.DecimalField(
        max_digits=5, decimal_places=2, verbose_name=_("completeness")
    )
    result = models.JSONField(verbose_name=_("result"))
    # {shift code: score or null}, the same values as this snapshot's SHIFT components. A
    # snapshot never changes, so the copy cannot drift; peer statistics read it instead of
    # joining the component table (every shift component ever stored) for each request.
    shift_scores = models.JSONField(default=dict, verbose_name=_("shift scores"))
    # {item code: number} of the key figures (kinds with `kpi`) answered at submission,
    # frozen like the scores: reported beside their peer medians and the previous figures.
    kpis = models.JSONField(default=dict, verbose_name=_("kpis"))
    # Too little of the scored weight known to stand as a result (scoring.py): shown as
    # provisional everywhere and left out of every peer statistic and cohort aggregate.
    provisional = models.BooleanField(
        default=False, db_default=False, verbose_name=_("provisional")
    )
    # The issuer's peer-group attributes as they were at submission: a profile changed later
    # applies from the next assessment, so a submitted score never moves between groups.
    # Database defaults, because bulk writers (COPY) may leave them out and fill them after.
    industry = models.CharField(
        _("industry"), max_length=32, choices=Industry.choices, blank=True, db_default=""
    )
    market_cap_band = models.CharField(
        _("market capitalisation"),
        max_length=16,
        choices=MarketCapBand.choices,
        blank=True,
        db_default="",
    )
    board = models.CharField(
        _("board"), max_length=8, choices=Board.choices, blank=True, db_default=""
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("score snapshot")
        verbose_name_plural = _("score snapshots")
        ordering = ["-created_at"]
        get_latest_by = "created_at"

        constraints = [
            models.CheckConstraint(
                condition=Q(overall_score__isnull=True)
                | Q(overall_score__gte=0, overall_score__lte=100),
                name="snapshot_overall_0_100",
            ),
            models.UniqueConstraint(
                fields=["issuer"],
                condition=Q(is_current=True),
                name="snapshot_one_current_per_issuer",
            ),
        ]
        indexes = [models.Index(fields=["is_current", "issuer"], name="snapshot_current_issuer")]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.overall_score}"


class ScoreComponent(models.Model):
    """One shift or dimension score of a snapshot, as a row so peers can be aggregated in SQL."""

    class Kind(models.TextChoices):
        SHIFT = "shift", _("Shift")
        DIMENSION = "dimension", _("Dimension")

    snapshot = models.ForeignKey(
        ScoreSnapshot,
        on_delete=models.CASCADE,
        related_name="components",
        verbose_name=_("snapshot"),
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    code = models.CharField(max_length=100, verbose_name=_("code"))
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, verbose_name=_("score"))

    class Meta:
        verbose_name = _("score component")
        verbose_name_plural = _("score components")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "kind", "code"], name="component_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="component_score_0_100",
            ),
        ]
        indexes = [models.Index(fields=["kind", "code", "score"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.code}: {self.score}"


class StatusChange(models.Model):
    """Audit trail of an assessment's status: who moved it, when, from → to, and why."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("assessment"),
    )
    from_status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, verbose_name=_("from status")
    )
    to_status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, verbose_name=_("to status")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.from_status} → {self.to_status}"


class CalendarChangeKind(models.TextChoices):
    EXTENDED = "extended", _("Extension granted")
    WITHDRAWN = "withdrawn", _("Withdrawn from the round")
    REINSTATED = "reinstated", _("Reinstated in the round")


class CalendarChange(models.Model):
    """Audit trail of the association's calendar decisions on one assessment: an extension
    granted (with its date), a withdrawal from the cohort, a reinstatement."""

    Kind = CalendarChangeKind

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="calendar_changes",
        verbose_name=_("assessment"),
    )
    kind = models.CharField(
        max_length=16, choices=CalendarChangeKind.choices, verbose_name=_("kind")
    )
    until = models.DateField(null=True, blank=True, verbose_name=_("until"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    note = models.TextField(blank=True, verbose_name=_("note"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("calendar change")
        verbose_name_plural = _("calendar changes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CalendarChangeKind.values),
                name="calendar_change_kind_valid",
            ),
            # An extension always names its last day; the other changes name none.
            models.CheckConstraint(
                condition=(Q(kind=CalendarChangeKind.EXTENDED) & Q(until__isnull=False))
                | (~Q(kind=CalendarChangeKind.EXTENDED) & Q(until__isnull=True)),
                name="calendar_change_until_iff_extended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.kind}"


class ReviewComment(models.Model):
    """A reviewer's comment on the whole assessment or on one item."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="comments", verbose_name=_("assessment")
    )
    item = models.ForeignKey(
        Item,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("item"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(max_length=4000, verbose_name=_("text"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.assessment_id}"
