from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reports.services import reports_requeue_stale


class Command(BaseCommand):
    help = (
        "Send stuck reports to the workers again: requested while the broker was down, or "
        "lost with a broker or worker. Workers also do this on connect and periodically."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reports_requeue_stale()
        self.stdout.write(f"{sent} report(s) sent again.")
