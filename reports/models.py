from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportLanguage(models.TextChoices):
    EN = "en", "English"
    ZH_HANT = "zh-hant", "繁體中文"


def report_upload_to(report: Report, filename: str) -> str:
    return f"reports/{report.assessment.issuer.stock_code}/{filename}"


class Report(models.Model):
    """The PDF of one score snapshot in one language. Regenerating replaces the file."""

    assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("assessment"),
    )
    snapshot = models.ForeignKey(
        "assessments.ScoreSnapshot",
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("snapshot"),
    )
    language = models.CharField(
        max_length=8, choices=ReportLanguage.choices, verbose_name=_("language")
    )
    # The earlier snapshot its "change since" section compares with: the latest one its
    # requester may see (None: none). Part of the report's identity, so a reviewer of one
    # cohort never receives a file that shows another cohort's scores.
    compared_with = models.ForeignKey(
        "assessments.ScoreSnapshot",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("compared with"),
    )
    status = models.CharField(
        max_length=16,
        choices=ReportStatus.choices,
        default=ReportStatus.QUEUED,
        verbose_name=_("status"),
    )
    file = models.FileField(
        upload_to=report_upload_to, blank=True, max_length=300, verbose_name=_("file")
    )
    checksum = models.CharField(max_length=64, blank=True, verbose_name=_("checksum"))
    size = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("size"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(default=timezone.now, verbose_name=_("requested at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    render_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("render ms"))
    task_id = models.CharField(max_length=64, blank=True, verbose_name=_("task id"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "language"],
                condition=Q(compared_with__isnull=True),
                name="report_one_per_snapshot_language",
            ),
            models.UniqueConstraint(
                fields=["snapshot", "language", "compared_with"],
                condition=Q(compared_with__isnull=False),
                name="report_one_per_snapshot_language_history",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=ReportLanguage.values), name="report_language_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.READY) | (~Q(file="") & ~Q(checksum="")),
                name="report_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return _("Report %(id)s (%(language)s, %(status)s)") % {
            "id": self.pk,
            "language": self.get_language_display(),
            "status": self.get_status_display(),
        }

    @property
    def is_pending(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RENDERING)

    @property
    def awaiting_queue(self) -> bool:
        """Queued, but the broker never took the message (it was down); a sweep sends it."""
        return self.status == ReportStatus.QUEUED and not self.task_id

    @property
    def status_label(self) -> str:
        if self.awaiting_queue:
            return str(_("Waiting for the report service"))
        return str(self.get_status_display())


class PeerGroupKind(models.TextChoices):
    ALL = "all", _("All issuers")
    COHORT = "cohort", _("Cohort")
    INDUSTRY = "industry", _("Industry")
    SIZE = "size", _("Market capitalisation")
    BOARD = "board", _("Board")


class PeerRelease(models.Model):
    """What one peer group publishes: its members' scores as of `published_at`.

    Peer statistics are computed from the latest release of each group, never from live
    snapshots, and a group gets a new release only when more than PEER_RELEASE_STEP issuers
    have joined, left or resubmitted since its last one (reports.releases). So comparing what
    one sees before and after a single submission reveals nothing about that submission.
    """

    framework = models.ForeignKey(
        "assessments.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("framework"),
    )
    kind = models.CharField(max_length=16, choices=PeerGroupKind.choices, verbose_name=_("kind"))
    # The group's value: a cohort's id, an industry, a size band or a board; "" for "all".
    value = models.CharField(max_length=64, blank=True, verbose_name=_("value"))
    published_at = models.DateTimeField(default=timezone.now, verbose_name=_("published at"))
    is_latest = models.BooleanField(default=True, verbose_name=_("is latest"))
    # {issuer id (as text): snapshot id}: what a later release is compared with.
    members = models.JSONField(default=dict, verbose_name=_("members"))
    # {measure ("" = overall, "kpi:<item code>" a key figure, else a shift code):
    #  [[value, issuer id], ...] sorted by value}.
    scores = models.JSONField(default=dict, verbose_name=_("scores"))

    class Meta:
        verbose_name = _("peer release")
        verbose_name_plural = _("peer releases")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "kind", "value"],
                condition=Q(is_latest=True),
                name="peer_release_one_latest_per_group",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PeerGroupKind.values), name="peer_release_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} @ {self.published_at:%Y-%m-%d %H:%M}"
