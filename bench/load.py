"""Load test: simulated issuer leads log in, fill in the wizard, save, and ask for reports.

Usage: python -m bench.load [--users 50] [--seconds 60] [--think 2] [--ramp 20] [--no-docs]
(`make load`; CI runs it after the tests). Exit status 1 if any request failed.

What runs: gunicorn (config.wsgi, 2 sync workers, DEBUG off) on 127.0.0.1:18102 with
PostgreSQL (database `ai_readiness_bench_load`, created and migrated here) and Redis
(database 8), and one Celery worker (one child process) that renders the reports the
users ask for. Everything is on the loopback interface; the run stops by itself.

Each user is an issuer's lead with their own assessments (bench/fixtures.py); users start
one after another over the first `--ramp` seconds and pause 0.5-1.5 x `--think` seconds
after each response. A user logs in through the form, opens last year's results and asks
for that report (JSON, as report_status.js does), then repeats until the time is up:
open this year's assessment (302 to the current step); GET a step (the four in turn);
autosave one answer (as autosave.js does: JSON, X-CSRFToken, then the new version goes
into the form); POST the whole step with every answer changed and the versions the page
showed ("Save and continue", 302); GET the review page, or every other round last year's
results; poll the report's status and download the PDF once it is ready. Every response
is checked (status code, JSON status, PDF signature); anything else counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.client import (
    HttpError,
    Response,
    Session,
    Stats,
    closed_loop,
    csrf_token,
    form_html,
    form_values,
    radio_groups,
    timed,
)
from bench.common import BenchError, CpuMeter, Row, log, ms
from bench.wizard import fixtures_load, not_to_login

DB = "ai_readiness_bench_load"
REDIS_DB = 8
PORT = 18102
SHIFTS = ("profit", "growth", "intangibles", "governance")
LOGIN = "/accounts/login/"
DEFAULT_USERS, DEFAULT_SECONDS, DEFAULT_THINK, DEFAULT_RAMP = 50, 60.0, 2.0, 20.0
# Request names, in the order of a user's round (the table follows it).
NAMES = [
    "login page GET",
    "login POST",
    "results GET",
    "report request POST",
    "assessment GET (302)",
    "step GET",
    "autosave POST",
    "step POST (302)",
    "review GET",
    "report status GET",
    "report download GET",
]


@dataclass
class LoadUser:
    n: int
    email: str
    password: str
    draft: int
    past: int
    session: Session
    rng: random.Random
    language: str
    round: int = 0
    report: str = "none"  # none -> requested -> downloaded
    events: list[str] = field(default_factory=list)


def _json_status(*wanted: str) -> Any:
    def check(response: Response) -> str | None:
        try:
            payload = json.loads(response.body)
        except ValueError:
            return "not JSON"
        status = payload.get("status") if isinstance(payload, dict) else None
        if wanted and status not in wanted:
            return f"JSON status {status!r}"
        return None

    return check


def _is_pdf(response: Response) -> str | None:
    if not response.body.startswith(b"%PDF"):
        return f"not a PDF ({response.header('content-type')})"
    return None


def _has(marker: str) -> Any:
    encoded = marker.encode()

    def check(response: Response) -> str | None:
        return None if encoded in response.body else f"{marker!r} missing"

    return check


async def user_run(
    user: LoadUser, deadline: float, stats: Stats, think: float, delay: float
) -> None:
    s = user.session

    async def pause() -> None:
        await asyncio.sleep(
            min(user.rng.uniform(0.5, 1.5) * think, max(0.0, deadline - time.monotonic()))
        )

    def over() -> bool:
        return time.monotonic() >= deadline

    await asyncio.sleep(delay)
    if over():
        return
    page = await timed(stats, "login page GET", s.request("GET", LOGIN), [200])
    if page is None:
        return
    await pause()
    form = {"csrfmiddlewaretoken": csrf_token(page.text), "username": user.email}
    form["password"] = user.password
    if (
        await timed(stats, "login POST", s.request("POST", LOGIN, form=form), [302], not_to_login)
        is None
    ):
        return
    await pause()
    if not over():
        await results_and_report(user, stats, pause, over)
    while not over():
        await one_round(user, stats, pause, over)


async def results_and_report(user: LoadUser, stats: Stats, pause: Any, over: Any) -> None:
    """Last year's results page, and (once) the report of those scores."""
    s = user.session
    results = await timed(
        stats, "results GET", s.request("GET", f"/assessments/{user.past}/results/"), [200]
    )
    await pause()
    if results is None or over() or user.report != "none":
        return
    headers = {"Accept": "application/json", "X-CSRFToken": csrf_token(results.text)}
    reply = await timed(
        stats,
        "report request POST",
        s.request(
            "POST",
            f"/reports/{user.past}/request/",
            form={"language": user.language},
            headers=headers,
        ),
        [200],
        _has('"reports"'),
    )
    if reply is not None:
        user.report = "requested"
    await pause()


async def report_poll(user: LoadUser, stats: Stats, pause: Any, over: Any) -> None:
    """The report's status (as report_status.js polls it); the PDF once it is ready."""
    s = user.session
    reply = await timed(
        stats,
        "report status GET",
        s.request("GET", f"/reports/{user.past}/status/", headers={"Accept": "application/json"}),
        [200],
        _has('"reports"'),
    )
    if reply is None:
        return
    rows = {r["language"]: r for r in json.loads(reply.body)["reports"]}
    mine = rows.get(user.language, {})
    if mine.get("status") == "failed":
        stats.error("report status GET", f"report failed: {mine.get('error')}")
        user.report = "failed"
    elif mine.get("status") == "ready" and mine.get("download"):
        await pause()
        if over():
            return
        pdf = await timed(
            stats, "report download GET", s.request("GET", mine["download"]), [200], _is_pdf
        )
        if pdf is not None:
            user.report = "downloaded"
    await pause()


async def one_round(user: LoadUser, stats: Stats, pause: Any, over: Any) -> None:
    """Open the assessment, one step: read, autosave an answer, save the step; then the
    review page (or, every other round, last year's results); then the report's status."""
    s = user.session
    shift = SHIFTS[user.round % len(SHIFTS)]
    user.round += 1
    step = f"/assessments/{user.draft}/step/{shift}/"
    await timed(
        stats,
        "assessment GET (302)",
        s.request("GET", f"/assessments/{user.draft}/"),
        [302],
        not_to_login,
    )
    await pause()
    if over():
        return
    page = await timed(stats, "step GET", s.request("GET", step), [200], _has('id="step-form"'))
    await pause()
    if page is not None and not over():
        await save_step(user, stats, pause, over, step, page)
    if over():
        return
    if user.round % 2:
        await timed(
            stats, "review GET", s.request("GET", f"/assessments/{user.draft}/review/"), [200]
        )
        await pause()
    else:
        await results_and_report(user, stats, pause, over)
    if user.report == "requested" and not over():
        await report_poll(user, stats, pause, over)


async def save_step(
    user: LoadUser, stats: Stats, pause: Any, over: Any, step: str, page: Response
) -> None:
    s = user.session
    try:
        form = form_html(page.text, 'id="step-form"')
    except HttpError as exc:
        stats.error("step GET", str(exc))
        return
    fields = dict(form_values(form))
    radios = radio_groups(form)
    token = fields["csrfmiddlewaretoken"]
    # Autosave one answer, as autosave.js does when a radio button changes.
    name = user.rng.choice(sorted(radios))
    code = name.removesuffix("__value")
    one = {k: v for k, v in fields.items() if k.startswith(f"{code}__")}
    one[name] = user.rng.choice([v for v in radios[name] if v != "dk"])
    saved = await timed(
        stats,
        "autosave POST",
        s.request(
            "POST",
            f"{step}autosave/",
            form=one,
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        ),
        [200],
        _json_status("saved"),
    )
    if saved is not None:
        versions = json.loads(saved.body).get("versions", {})
        if code in versions:  # autosave.js puts the new version into the form
            fields[f"{code}__base"] = str(versions[code])
        fields[name] = one[name]
    await pause()
    if over():
        return
    # Save the whole step ("Save and continue"), every other answer changed too.
    for group, values in radios.items():
        if group != name:
            fields[group] = user.rng.choice([v for v in values if v != "dk"])
    fields["go"] = "next"
    await timed(stats, "step POST (302)", s.request("POST", step, form=fields), [302], not_to_login)
    await pause()


@dataclass
class LoadResult:
    users: int
    seconds: float
    think: float
    ramp: float
    stats: Stats
    wall: float
    cpu: CpuMeter
    reports: dict[str, int]
    downloaded: int

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.stats.times.values()) + self.stats.error_count

    def rows(self) -> list[Row]:
        area = f"load ({self.users} users, {self.seconds:g} s)"
        rows = []
        for name in [n for n in NAMES if n in self.stats.names()] + [
            n for n in self.stats.names() if n not in NAMES
        ]:
            s = self.stats.summary(name)
            rows.append(
                Row(
                    area,
                    name,
                    f"{s.count} ok, {s.errors} errors; p50 {ms(s.p50)}, p95 {ms(s.p95)}, "
                    f"max {ms(s.max)}",
                )
            )
        errors = self.stats.error_count
        rows.append(
            Row(
                area,
                "all requests",
                f"{self.requests} in {self.wall:.0f} s = {self.requests / self.wall:.1f}/s",
            )
        )
        rows.append(Row(area, "errors", str(errors), "0", errors == 0))
        rendered = self.reports.get("ready", 0)
        rows.append(
            Row(
                area,
                "reports: asked / rendered by the worker / downloaded",
                f"{sum(self.reports.values())} / {rendered} / {self.downloaded}",
            )
        )
        rows.append(
            Row(
                area,
                "CPU (cores)",
                f"gunicorn {self.cpu.server_cores:.2f}, load client {self.cpu.client_cores:.2f}; "
                f"machine {self.cpu.machine_busy:.0%} busy",
            )
        )
        return rows

    def markdown(self, info: dict[str, str]) -> str:
        lines = [
            f"{common.machine_line(info)} Command: `make load` (bench/load.py); CI runs it "
            "after the tests and fails on any error.",
            "",
            f"{self.users} simulated issuer leads, each with their own assessments, for "
            f"{self.seconds:g} s, starting one after another over the first {self.ramp:g} s and "
            f"pausing 0.5–1.5 × {self.think:g} s after each response: log in through the form "
            "(CSRF, django-axes in the path, right passwords), last year's results, ask for "
            "that report; then in rounds: open the assessment, a step (GET), autosave one "
            "answer (JSON, X-CSRFToken, new version into the form), save the whole step with "
            "the versions the page showed, the review page or the results, the report's "
            "status, and the PDF once it is ready. Every response is checked (status, JSON "
            "status, PDF signature); a conflict, a 4xx/5xx, a timeout (30 s) or a refused "
            "connection is an error. gunicorn (2 sync workers, DEBUG off), PostgreSQL, Redis "
            "and one Celery worker (one child) run on the same machine as the load client.",
            "",
            "| request | count | errors | p50 | p95 | max |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name in [n for n in NAMES if n in self.stats.names()] + [
            n for n in self.stats.names() if n not in NAMES
        ]:
            s = self.stats.summary(name)
            lines.append(
                f"| {name} | {s.count} | {s.errors} | {ms(s.p50)} | {ms(s.p95)} | {ms(s.max)} |"
            )
        lines += [
            "",
            f"{self.requests} requests in {self.wall:.0f} s ({self.requests / self.wall:.1f}/s), "
            f"**{self.stats.error_count} errors**. Reports asked for: "
            f"{sum(self.reports.values())}, rendered by the worker during the run: "
            f"{self.reports.get('ready', 0)}, downloaded: {self.downloaded}. CPU: gunicorn "
            f"{self.cpu.server_cores:.2f} cores, load client {self.cpu.client_cores:.2f}, "
            f"machine {self.cpu.machine_busy:.0%} busy.",
        ]
        if self.stats.error_count:
            lines += ["", "First errors:", ""] + [f"- `{e}`" for e in self.stats.first_errors(10)]
        return "\n".join(lines)


def report_counts(db: str) -> dict[str, int]:
    with common.pg_connect(db) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM reports_report GROUP BY status"
        ).fetchall()
    return {str(status): int(n) for status, n in rows}


async def drive(
    users: list[LoadUser], *, seconds: float, think: float, ramp: float, server_pids: list[int]
) -> tuple[Stats, float, CpuMeter]:
    stats = Stats()
    step = ramp / max(1, len(users))

    def worker(user: LoadUser) -> Any:
        async def run(deadline: float) -> None:
            delay = user.n * step
            while time.monotonic() < deadline:
                try:
                    await user_run(user, deadline, stats, think, delay)
                    return
                except (HttpError, KeyError, ValueError, IndexError) as exc:
                    # A page the script cannot read is an error; the user starts over.
                    stats.error("unexpected page", f"{type(exc).__name__} {exc}")
                    user.session.cookies.clear()
                    delay = 1.0

        return run

    meter = CpuMeter(server_pids=server_pids)
    with meter.measure():
        wall = await closed_loop([worker(u) for u in users], seconds=seconds)
    return stats, wall, meter


def run_load(
    *, users: int, seconds: float, think: float, ramp: float, db: str = DB, port: int = PORT
) -> LoadResult:
    common.prepare_database(db, REDIS_DB)
    fixtures = fixtures_load(db, REDIS_DB, leads=users, reset=True)
    env = common.app_env(db=db, redis_db=REDIS_DB)
    people = [
        LoadUser(
            n=n,
            email=lead["email"],
            password=fixtures["password"],
            draft=lead["draft"],
            past=lead["past"],
            session=Session("127.0.0.1", port),
            rng=random.Random(f"load-{n}"),  # noqa: S311 - load pattern, not security
            language="en" if n % 2 == 0 else "zh-hant",
        )
        for n, lead in enumerate(fixtures["leads"][:users])
    ]
    with (
        common.CeleryWorker("load-worker", env=env, concurrency=1),
        common.Gunicorn("load", port=port, env=env) as server,
    ):
        log(f"load: {users} users for {seconds:g} s (ramp {ramp:g} s, think {think:g} s)")
        stats, wall, cpu = asyncio.run(
            drive(people, seconds=seconds, think=think, ramp=ramp, server_pids=server.worker_pids())
        )
    return LoadResult(
        users=users,
        seconds=seconds,
        think=think,
        ramp=ramp,
        stats=stats,
        wall=wall,
        cpu=cpu,
        reports=report_counts(db),
        downloaded=sum(1 for u in people if u.report == "downloaded"),
    )


def write_docs(result: LoadResult, info: dict[str, str]) -> list[str]:
    """The "Load" section of docs/PERFORMANCE.md and of docs/SECURITY.md; what was written."""
    body = result.markdown(info)
    written = []
    common.write_marked_section(common.PERFORMANCE_MD, "load", body, heading="## Load")
    written.append(str(common.PERFORMANCE_MD.relative_to(common.ROOT)))
    if common.write_under_heading(common.SECURITY_MD, "Load", "load", body):
        written.append(str(common.SECURITY_MD.relative_to(common.ROOT)))
    else:
        log(
            "docs/SECURITY.md has no 'Load' heading (or does not exist): "
            "the results are in docs/PERFORMANCE.md only"
        )
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=DEFAULT_USERS)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--think", type=float, default=DEFAULT_THINK, help="mean pause, s")
    parser.add_argument("--ramp", type=float, default=DEFAULT_RAMP, help="s to start all users")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or not 5 <= args.seconds <= 600:
        parser.error("--users 1..200, --seconds 5..600")
    if not 0 <= args.ramp < args.seconds or not 0 <= args.think <= 30:
        parser.error("--ramp must be shorter than --seconds; --think 0..30")
    started = time.monotonic()
    try:
        result = run_load(users=args.users, seconds=args.seconds, think=args.think, ramp=args.ramp)
    except BenchError as exc:
        print(f"load test could not run: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    print(common.table_text(result.rows()))
    if not args.no_docs:
        written = write_docs(result, common.machine_info())
        log(f"written: {', '.join(written)}")
    log(f"load test done in {time.monotonic() - started:.0f} s")
    if result.stats.error_count:
        print("\nFirst errors:", *result.stats.first_errors(10), sep="\n  ", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
