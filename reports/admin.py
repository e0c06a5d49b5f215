from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "assessment", "language", "status", "render_ms", "size", "requested_at")
    list_filter = ("status", "language")
    list_select_related = ("assessment__issuer",)
    exclude = ("file",)
