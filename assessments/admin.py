from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import Assessment, FrameworkVersion, ScoreSnapshot
from .selectors import framework_of


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "source_name", "loaded_at", "checksum")
    exclude = ("content",)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "issuer", "cohort", "framework", "status", "submitted_at", "updated_at")
    list_filter = ("status", "cohort", "framework")
    list_select_related = ("issuer", "cohort", "framework")
    search_fields = ("issuer__stock_code", "issuer__name_en", "issuer__name_zh")

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("framework__content")


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = (
        "assessment",
        "overall_score",
        "maturity_level",
        "tier_name",
        "completeness",
        "created_at",
    )
    list_select_related = ("assessment__issuer",)
    # The stored JSON and the tier's code are no text for a reader: the tier is named in
    # the reader's language, the scores are on the results page.
    exclude = ("result", "shift_scores", "kpis", "tier")
    readonly_fields = ("tier_name",)

    @admin.display(description=_("tier"))
    def tier_name(self, obj: ScoreSnapshot) -> str:
        if not obj.tier:
            return "—"
        return framework_of(obj.framework).tier(obj.tier).name.get(get_language())
