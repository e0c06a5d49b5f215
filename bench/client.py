"""A small asyncio HTTP/1.1 client for load generation, its statistics, and form reading.

Why our own and not locust or httpx: one event loop with a few dozen coroutines and a
hand-written HTTP/1.1 exchange costs about a tenth of a millisecond of CPU per request,
which matters when the client shares two cores with the server it measures; latencies
are exact (no histogram buckets); and it needs no dependency. Each request opens a
connection and asks the server to close it (`Connection: close`), as a reverse proxy in
front of gunicorn's sync workers does (they do not keep connections alive anyway).
Every request has a timeout and every loop a deadline.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT = 30.0

FormData = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return urlsplit(self.header("location") or "").path


class HttpError(Exception):
    """A request that failed below HTTP (refused, reset, timed out, unreadable)."""


def _dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[eol + 2 : eol + 2 + size]
        pos = eol + 2 + size + 2


class Session:
    """One simulated browser: its own cookies, one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        form: FormData | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Response:
        try:
            return await asyncio.wait_for(self._exchange(method, path, form, headers), timeout)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            raise HttpError(f"{method} {path}: {type(exc).__name__} {exc}") from exc

    async def _exchange(
        self,
        method: str,
        path: str,
        form: FormData | None,
        headers: Mapping[str, str] | None,
    ) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Connection: close",
            "User-Agent: ai-readiness-bench",
            "Accept-Encoding: identity",
            "Accept-Language: en",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if form is not None or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            raw = await reader.read(-1)
        finally:
            writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        status = int(head_lines[0].split(" ", 2)[1])
        parsed = []
        for line in head_lines[1:]:
            key, _, value = line.partition(":")
            parsed.append((key.strip().lower(), value.strip()))
        response = Response(status, parsed, payload)
        if (response.header("transfer-encoding") or "").lower() == "chunked":
            response.body = _dechunk(payload)
        elif (length := response.header("content-length")) is not None:
            response.body = payload[: int(length)]
        for key, value in parsed:
            if key == "set-cookie":
                self._set_cookie(value)
        return response

    def _set_cookie(self, value: str) -> None:
        pair, *attrs = value.split(";")
        name, _, content = pair.strip().partition("=")
        lowered = [a.strip().lower() for a in attrs]
        expired = any(a == "max-age=0" or a.startswith("expires=thu, 01 jan 1970") for a in lowered)
        if expired or content in ('""', ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = content


# ---------------------------------------------------------------------------------------
# Reading forms (regular expressions: fast enough to leave the CPU to the server)

_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def inputs(html: str) -> list[dict[str, str]]:
    """Every <input> of the page as a dict of its attributes (values unescaped)."""
    found = []
    for tag in _INPUT.findall(html):
        attrs = {k.lower(): unescape(v) for k, v in _ATTR.findall(tag)}
        if "checked" not in attrs and re.search(r"\schecked[\s>/]", tag):
            attrs["checked"] = "checked"
        found.append(attrs)
    return found


def hidden_fields(html: str) -> dict[str, str]:
    return {
        a["name"]: a.get("value", "")
        for a in inputs(html)
        if a.get("type") == "hidden" and "name" in a
    }


def radio_groups(html: str) -> dict[str, list[str]]:
    """name -> the radio values in page order."""
    groups: dict[str, list[str]] = {}
    for a in inputs(html):
        if a.get("type") == "radio" and "name" in a:
            groups.setdefault(a["name"], []).append(a.get("value", ""))
    return groups


_FORM = re.compile(r"<form\b.*?</form>", re.IGNORECASE | re.DOTALL)
_TEXTAREA = re.compile(r"<textarea\b[^>]*\bname=\"([^\"]+)\"[^>]*>(.*?)</textarea>", re.DOTALL)
_SELECT = re.compile(r"<select\b[^>]*\bname=\"([^\"]+)\"[^>]*>(.*?)</select>", re.DOTALL)
_OPTION = re.compile(r"<option\b([^>]*)>")


def form_html(html: str, marker: str) -> str:
    """The first <form> of the page whose text contains `marker`."""
    for form in _FORM.findall(html):
        if marker in form:
            return str(form)
    raise HttpError(f"no form containing {marker!r} on the page")


def form_values(form: str) -> list[tuple[str, str]]:
    """What a browser would submit for this form as it is shown (no submit button):
    hidden and text inputs, checked radios and boxes, textareas, selected options."""
    pairs: list[tuple[str, str]] = []
    for a in inputs(form):
        kind, name = a.get("type", "text"), a.get("name")
        if not name or kind in ("submit", "button", "image", "file", "reset"):
            continue
        if kind in ("radio", "checkbox") and "checked" not in a:
            continue
        pairs.append((name, a.get("value", "on" if kind == "checkbox" else "")))
    for name, content in _TEXTAREA.findall(form):
        pairs.append((unescape(name), unescape(content)))
    for name, options in _SELECT.findall(form):
        chosen = None
        for attrs in _OPTION.findall(options):
            value = dict(_ATTR.findall(attrs)).get("value", "")
            if chosen is None or re.search(r"\bselected\b", attrs):
                chosen = value
                if re.search(r"\bselected\b", attrs):
                    break
        if chosen is not None:
            pairs.append((unescape(name), unescape(chosen)))
    return pairs


def csrf_token(html: str) -> str:
    token = hidden_fields(html).get("csrfmiddlewaretoken")
    if not token:
        raise HttpError("no CSRF token on the page")
    return token


# ---------------------------------------------------------------------------------------
# Statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    if not sorted_values:
        return math.nan
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@dataclass
class Summary:
    name: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        """Counts, and latencies in milliseconds."""
        out: dict[str, float | int] = {"count": self.count, "errors": self.errors}
        for key in ("p50", "p95", "p99", "max", "mean"):
            value = getattr(self, key)
            out[f"{key}_ms"] = round(value * 1000, 1) if value == value else -1
        return out


@dataclass
class Stats:
    """Latencies (seconds) and errors per request name."""

    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def ok(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def error_count(self) -> int:
        return sum(len(v) for v in self.errors.values())

    def names(self) -> list[str]:
        return list(dict.fromkeys([*self.times, *self.errors]))

    def summary(self, name: str) -> Summary:
        values = sorted(self.times.get(name, []))
        return Summary(
            name=name,
            count=len(values),
            errors=len(self.errors.get(name, [])),
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            p99=percentile(values, 99),
            max=values[-1] if values else math.nan,
            mean=sum(values) / len(values) if values else math.nan,
        )

    def first_errors(self, limit: int = 5) -> list[str]:
        out = []
        for name, messages in self.errors.items():
            out += [f"{name}: {m}" for m in messages[:limit]]
        return out[:limit]


async def timed(
    stats: Stats,
    name: str,
    call: Awaitable[Response],
    expect: Iterable[int],
    check: Callable[[Response], str | None] | None = None,
) -> Response | None:
    """Await one request; record its latency, or an error (unexpected status, failed
    check, transport failure). Returns the response, or None after an error."""
    started = time.perf_counter()
    try:
        response = await call
    except HttpError as exc:
        stats.error(name, str(exc))
        return None
    elapsed = time.perf_counter() - started
    if response.status not in tuple(expect):
        stats.error(name, f"HTTP {response.status} {response.location or ''}".strip())
        return None
    problem = check(response) if check else None
    if problem:
        stats.error(name, problem)
        return None
    stats.ok(name, elapsed)
    return response


async def closed_loop(
    workers: Sequence[Callable[[float], Awaitable[None]]], *, seconds: float
) -> float:
    """Run every worker coroutine until the deadline; returns the wall time taken.

    A worker receives the deadline (time.monotonic based) and must stop starting new
    requests after it; the whole run is cut off 60 s past the deadline regardless.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    tasks = [asyncio.ensure_future(w(deadline)) for w in workers]
    done, pending = await asyncio.wait(tasks, timeout=seconds + REQUEST_TIMEOUT + 30)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return time.perf_counter() - started
