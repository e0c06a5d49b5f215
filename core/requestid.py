"""One id per request, in every log line it causes, including those of the tasks it enqueues.

The web tier takes a sane incoming `X-Request-ID` (a proxy's or load balancer's, so their
logs and ours line up) or makes one, returns it in the response header and keeps it in a
context variable; `RequestIdFilter` puts it (and, in a worker, the task's id and name) on
every log record, which the JSON formatter writes out. `config/celery.py` connects
`publish_headers` (before_task_publish: the id rides in the message headers) and
`task_started` / `task_finished` (task_prerun / task_postrun: the worker adopts it).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Printable, no spaces or separators a log parser could trip on, bounded length.
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id: ContextVar[str] = ContextVar("request_id", default="")
current_task: ContextVar[tuple[str, str]] = ContextVar("current_task", default=("", ""))


def request_id_for(incoming: str | None) -> str:
    if incoming and _SANE.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_id_for(request.headers.get(HEADER))
        # Not reset on the way out: Django logs a 4xx/5xx response after the middleware
        # chain returned, and that line must name the request too. The next request on
        # this thread sets its own.
        request_id.set(value)
        response = self.get_response(request)
        response[HEADER] = value
        return response


class RequestIdFilter(logging.Filter):
    """Adds request_id (and task_id, task_name in a worker) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        task_id, task_name = current_task.get()
        if task_id:
            record.task_id = task_id
            record.task_name = task_name
        return True


# -- Celery signal receivers (connected in config/celery.py) ------------------------------


def publish_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    value = request_id.get()
    if value and headers is not None and "request_id" not in headers:
        headers["request_id"] = value


_tokens: dict[str, list[Any]] = {}


def task_started(task_id: str = "", task: Any = None, **_: Any) -> None:
    incoming = getattr(getattr(task, "request", None), "request_id", None)
    # A task run eagerly inside a request keeps that request's id.
    value = incoming if isinstance(incoming, str) and _SANE.match(incoming) else request_id.get()
    name = getattr(task, "name", "") or ""
    _tokens[task_id] = [request_id.set(value), current_task.set((task_id, name))]


def task_finished(task_id: str = "", **_: Any) -> None:
    tokens = _tokens.pop(task_id, None)
    if tokens:
        try:
            current_task.reset(tokens[1])
            request_id.reset(tokens[0])
        except ValueError:  # set in another context: nothing of ours to undo here
            pass
