from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assessments.models import AssessmentStatus
from cohorts import notifications
from cohorts.models import Cohort

# CommandError's exit status for bad input (as argparse's own usage errors).
USAGE = 2


def _label(days: int | None) -> str:
    if days is None:
        return "—"
    return "on the day" if days == 0 else f"{days} days before"


class Command(BaseCommand):
    help = (
        "List the issuers of a cohort that have not submitted and the deadline reminder each "
        "gets today (or on --date); without --dry-run, send today's reminders (each at most "
        "once a day, as Celery beat does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cohort", required=True, help="cohort slug, e.g. demo-2026")
        parser.add_argument(
            "--dry-run", action="store_true", help="only print who would get which reminder"
        )
        parser.add_argument(
            "--date", help="the Hong Kong day to list, YYYY-MM-DD (default today; --dry-run only)"
        )

    def handle(
        self, *args: Any, cohort: str, dry_run: bool, date: str | None, **options: Any
    ) -> None:
        target = Cohort.objects.filter(slug=cohort).first()
        if target is None:
            known = ", ".join(Cohort.objects.values_list("slug", flat=True)[:20]) or "none"
            raise CommandError(
                f"No cohort with slug {cohort!r}. Cohorts: {known}.", returncode=USAGE
            )
        on = timezone.localdate()
        if date is not None:
            try:
                on = datetime.date.fromisoformat(date.strip())
            except ValueError:
                raise CommandError(
                    f"--date {date!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24.",
                    returncode=USAGE,
                ) from None
            if not dry_run:
                raise CommandError(
                    "--date only works with --dry-run: reminders are sent on their day.",
                    returncode=USAGE,
                )
        rows = notifications.not_submitted(cohort=target, on=on)
        self._table(target, rows, on)
        if dry_run:
            return
        outcome = notifications.reminders_send(on=on, cohort=target)
        self.stdout.write(
            f"Sent {outcome.sent}; {outcome.skipped} already sent today; {outcome.failed} failed"
            " (see the cohort's e-mail log)."
        )

    def _table(
        self, cohort: Cohort, rows: list[notifications.ReminderRow], on: datetime.date
    ) -> None:
        days = ", ".join(str(d) for d in notifications.reminder_days())
        self.stdout.write(
            f"{cohort.name_en} ({cohort.slug}), {cohort.get_status_display()}, on {on:%Y-%m-%d}; "
            f"reminders {days} days before each deadline."
        )
        header = ("Code", "Issuer", "Status", "Deadline", "Days left", "Reminder", "Next", "To")
        table = [header]
        for row in rows:
            a = row.assessment
            table.append(
                (
                    a.issuer.stock_code,
                    a.issuer.name_en,
                    str(AssessmentStatus(a.status).label),
                    f"{row.deadline:%Y-%m-%d}",
                    str(row.days_left),
                    _label(row.due),
                    f"{row.next_on:%Y-%m-%d}" if row.next_on else "—",
                    ", ".join(f"{r.email} ({r.language or 'en+zh'})" for r in row.recipients)
                    or "no contact",
                )
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(header) - 1)]
        for line in table:
            cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
            self.stdout.write("  ".join([*cells, line[-1]]).rstrip())
        due = sum(1 for row in rows if row.due is not None)
        self.stdout.write(
            f"{len(rows)} issuer(s) have not submitted; {due} due a reminder on {on:%Y-%m-%d}."
        )
