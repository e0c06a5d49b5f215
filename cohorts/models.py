from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from reports.models import ReportLanguage, ReportStatus


class CohortStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Cohort(models.Model):
    """A round of the programme, e.g. "2026 members survey"; issuers answer within it."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    framework = models.ForeignKey(
        "assessments.FrameworkVersion", verbose_name=_("framework"), on_delete=models.PROTECT
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(
        _("status"), max_length=16, choices=CohortStatus.choices, default=CohortStatus.PLANNED
    )
    reviewers = models.ManyToManyField(
        "accounts.User",
        verbose_name=_("reviewers"),
        blank=True,
        related_name="reviewed_cohorts",
        limit_choices_to={"role": "association_reviewer"},
    )
    # Read by accounts.mfa.required_for (through the issuers' assessments, by lookup).
    mfa_required_for_leads = models.BooleanField(
        _("second factor required for issuer leads"), default=False
    )

    class Meta:
        ordering = ["-year", "slug"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="cohort_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CohortStatus.values), name="cohort_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name_en


def index_report_upload_to(report: CohortIndexReport, filename: str) -> str:
    return f"index-reports/{report.cohort_id}/{filename}"


class CohortIndexReport(models.Model):
    """The association's index report of one cohort in one language (PDF), compared with
    the previous programme year's cohort as it was when rendered. Regenerating replaces
    the file; one row per (cohort, language)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="index_reports")
    language = models.CharField(max_length=8, choices=ReportLanguage.choices)
    compared_with = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    file = models.FileField(upload_to=index_report_upload_to, blank=True, max_length=300)
    checksum = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    counted = models.PositiveIntegerField(null=True, blank=True)  # companies in the figures
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    render_ms = models.PositiveIntegerField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["cohort", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "language"], name="index_report_one_per_cohort_language"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="index_report_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=ReportLanguage.values),
                name="index_report_language_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.READY) | (~Q(file="") & ~Q(checksum="")),
                name="index_report_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"index report {self.cohort_id} ({self.language}, {self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RENDERING)

    @property
    def awaiting_queue(self) -> bool:
        """Queued, but the broker never took the message; asking again sends it."""
        return self.status == ReportStatus.QUEUED and not self.task_id

    @property
    def status_label(self) -> str:
        if self.awaiting_queue:
            return str(_("Waiting for the report service"))
        return str(self.get_status_display())
