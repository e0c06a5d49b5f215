from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import SentEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that change only through the services that keep their history (answers,
    scores, reports): the admin may look, never add, edit or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdmin):
    """The e-mail log: written only by core.mail.mail_send."""

    list_display = ("created_at", "recipient", "kind", "status", "language", "subject")
    list_filter = ("status", "kind", "on_date")
    search_fields = ("recipient", "subject", "reason", "scope")
    date_hierarchy = "created_at"
