import importlib
import logging
import os
from typing import Any

from celery import Celery, bootsteps, signals

from core import requestid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the web request that enqueued a task travels in the message headers
# and names the task's log lines (core/requestid.py). weak=False: module-level functions
# stay alive anyway, and a weak reference to a bound import would be dropped.
signals.before_task_publish.connect(requestid.publish_headers, weak=False)
signals.task_prerun.connect(requestid.task_started, weak=False)
signals.task_postrun.connect(requestid.task_finished, weak=False)


@signals.after_setup_logger.connect(weak=False)
@signals.after_setup_task_logger.connect(weak=False)
def _worker_log_format(logger: logging.Logger, **_: Any) -> None:
    """A worker or beat logs in the settings' format (JSON lines, with request and task ids).

    Celery replaces the root logger's handlers with its own (to honour --logfile); this
    gives them the same formatter and filter as the web tier's console handler.
    """
    from django.conf import settings

    config: dict[str, Any] = settings.LOGGING
    spec = dict(config["formatters"][config["handlers"]["console"]["formatter"]])
    factory = spec.pop("()", None)
    if factory is None:
        formatter = logging.Formatter(spec.get("format"))
    else:
        module, _, name = factory.rpartition(".")
        formatter = getattr(importlib.import_module(module), name)(**spec)
    for handler in logger.handlers:
        handler.setFormatter(formatter)
        handler.addFilter(requestid.RequestIdFilter())


@app.task(name="config.worker_heartbeat", ignore_result=True)
def worker_heartbeat() -> None:
    """Sent by beat every HEARTBEAT_SECONDS; /healthz/ready reads its timestamp."""
    from config.health import heartbeat_write

    heartbeat_write()


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
