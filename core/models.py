"""The e-mail log: one row per message this service sends (or tried to send)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    """What a message is about. A new kind is a new value here (and a migration)."""

    INVITATION = "invitation", _("Invitation")
    NEW_LINK = "new_link", _("New sign-in link")
    ACCOUNT_EXISTS = "account_exists", _("Account already exists")
    REMINDER = "reminder", _("Deadline reminder")
    RETURNED = "returned", _("Returned for changes")
    RESUBMITTED = "resubmitted", _("Resubmitted after changes")
    APPROVED = "approved", _("Approved")
    ENROLLED = "enrolled", _("Enrolled in a new round")
    WITHDRAWN = "withdrawn", _("Withdrawn from a round")
    EXTENSION = "extension", _("Deadline extended")
    SECOND_FACTOR_RESET = "mfa_reset", _("Second factor reset")
    OTHER = "other", _("Other")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Delivered to the mail server")
    FAILED = "failed", _("Failed")


# "" = the recipient's language was unknown and the message went in both languages.
BOTH_LANGUAGES = ""


class SentEmail(models.Model):
    """Who was sent what, when, and whether the mail server took it.

    The row is written *before* the message is sent, inside the unique constraint on
    (recipient, kind, reason, day): a second worker sending the same reminder on the same
    Hong Kong day fails to insert and sends nothing. A blank reason means "no dedup" (a
    resend the admin asked for): those rows are only logged.

    `user_id` and `scope` are plain values, not foreign keys, because core sits below
    every app: `scope` is the sending app's key for listing its own messages (e.g.
    "cohort:12" for a cohort's e-mail log).
    """

    recipient = models.EmailField(_("recipient"))
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=EmailKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    scope = models.CharField(_("scope"), max_length=100, blank=True, db_index=True)
    on_date = models.DateField(_("date (Hong Kong)"))
    subject = models.CharField(_("subject"), max_length=400, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "reason", "on_date"],
                condition=~Q(reason=""),
                name="sentemail_once_per_reason_per_day",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EmailKind.values), name="sentemail_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="sentemail_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["scope", "-created_at"], name="sentemail_scope_recent")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.on_date})"

    @property
    def language_label(self) -> str:
        labels = {"en": _("English"), "zh-hant": _("Traditional Chinese")}
        return str(labels.get(self.language, _("English and Chinese")))
