from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User

from . import notifications
from .models import Cohort


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_en", "name_zh", "year", "status", "opens_on", "closes_on")
    list_filter = ("status", "year")
    search_fields = ("slug", "name_en", "name_zh")
    prepopulated_fields = {"slug": ("name_en",)}
    filter_horizontal = ("reviewers",)
    actions = ("remind_not_submitted",)

    @admin.action(description=_("Remind those not submitted"))
    def remind_not_submitted(self, request: HttpRequest, queryset: QuerySet[Cohort]) -> None:
        """The same service as the cohort's e-mail page: once a day per issuer."""
        user = cast(User, request.user)  # the admin site lets only staff in
        for cohort in queryset:
            try:
                n = notifications.cohort_remind_now(cohort=cohort, user=user)
            except PermissionDenied:
                self.message_user(
                    request, _("Only association admins send reminders."), messages.ERROR
                )
                return
            except notifications.RemindError:
                self.message_user(
                    request,
                    _("%(cohort)s: reminders go only to an open cohort, once it has opened.")
                    % {"cohort": cohort.display_name},
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(cohort)s: a reminder is being sent to %(n)d issuer.",
                        "%(cohort)s: a reminder is being sent to %(n)d issuers.",
                        n,
                    )
                    % {"cohort": cohort.display_name, "n": n},
                    messages.SUCCESS,
                )
