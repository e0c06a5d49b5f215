from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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
