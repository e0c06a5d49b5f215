import logging
import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class ReportSweep(bootsteps.StartStopStep):
    """Ask for a sweep of stuck reports each time this worker (re)connects to the broker,
    and every REPORT_SWEEP_SECONDS while it stays connected.

    A report requested while the broker was down is waiting for exactly this moment; the
    sweep itself is an ordinary task (reports.services.reports_requeue_stale), so the
    event loop never waits for the database.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        from django.conf import settings

        self.send(parent)
        if self.tref is None:
            self.tref = parent.timer.call_repeatedly(
                settings.REPORT_SWEEP_SECONDS, self.send, (parent,)
            )

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def send(self, parent: Any) -> None:
        try:
            parent.app.send_task("reports.tasks.requeue_stale_reports_task")
        except Exception:  # the broker just went away: the next (re)connect asks again
            logger.warning("could not ask for a report sweep", exc_info=True)


app.steps["consumer"].add(ReportSweep)
