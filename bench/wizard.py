"""Benchmark: one questionnaire step, GET and POST, under 20 concurrent clients.

Usage: python -m bench.wizard [--seconds 20] [--clients 20] [--worker-class sync]
(standalone it prepares the benchmark database itself; `make bench` runs it via run.py)

Each simulated client logs in through the login form as its own issuer's lead
(bench/fixtures.py) and works on its own draft, so no two clients touch the same rows.
The step is the governance shift (13 items, the step nearest 15 in framework v1; profit
has 22, growth 11, intangibles 12). Phases, each a closed loop of `--seconds`:

1. bare: GET /bench/bare/, a Django view that only returns "ok" (bench/urls.py), through
   the same gunicorn and middleware with the same session cookies: the yardstick;
2. step GET: the whole page, every item with its current answer;
3. step GET + POST: read the page, then post every item back as a browser would (CSRF
   token, the answer versions the page showed, notes and confidence as shown), each time
   with a changed level so all 13 answers are written; the POST answers 302 (to the
   review page), which is not followed. Any other status counts as an error.

Queries per request are counted in a separate process with Django's test client and
CaptureQueriesContext on the same database (`--queries`), for every step of the
framework: the count must not depend on the number of items.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
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

SHIFT = "governance"
PORT = 18100
DB = "ai_readiness_bench"
REDIS_DB = 9
TARGET_P95 = 0.060
TARGET_QUERIES = 10
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@dataclass
class Account:
    email: str
    password: str
    draft: int


@dataclass
class Target:
    """What differs between our wizard and the survey app the benchmark compares it with."""

    name: str
    port: int
    login_path: str
    step_path: Callable[[Account], str]
    step_marker: str  # text inside the step's <form>
    post_form: Callable[[str, int], list[tuple[str, str]]]  # (page, iteration) -> fields
    bare_path: str | None = None


@dataclass
class Client:
    account: Account
    session: Session
    flip: int = 0
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class PhaseResult:
    name: str
    stats: Stats
    wall: float
    cpu: CpuMeter
    requests: int = 0
    page_bytes: int = 0

    @property
    def per_cpu_second(self) -> float:
        """Requests per CPU-second of the gunicorn workers: steadier than req/s when other
        processes take CPU from the server."""
        busy = self.cpu.server_cores * self.wall
        return self.requests / busy if busy else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.wall if self.wall else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall, 2),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "per_cpu_second": round(self.per_cpu_second, 1),
            "page_bytes": self.page_bytes,
            "errors": self.stats.error_count,
            "first_errors": self.stats.first_errors(),
            "cpu_server_cores": round(self.cpu.server_cores, 2),
            "cpu_client_cores": round(self.cpu.client_cores, 2),
            "machine_busy": round(self.cpu.machine_busy, 2),
            "requests_by_name": {n: self.stats.summary(n).as_dict() for n in self.stats.names()},
        }


def wizard_post_form(page: str, flip: int) -> list[tuple[str, str]]:
    """The step form as shown, with every maturity/choice item set to another option."""
    form = form_html(page, 'id="step-form"')
    radios = radio_groups(form)
    pairs = [(k, v) for k, v in form_values(form) if k not in radios]
    for name, values in radios.items():
        options = [v for v in values if v != "dk"]
        pairs.append((name, options[1 + flip % 2] if len(options) > 2 else options[0]))
    pairs.append(("go", "next"))
    return pairs


def wizard_target(port: int = PORT) -> Target:
    return Target(
        name="ours",
        port=port,
        login_path="/accounts/login/",
        step_path=lambda a: f"/assessments/{a.draft}/step/{SHIFT}/",
        step_marker='id="step-form"',
        post_form=wizard_post_form,
        bare_path="/bench/bare/",
    )


async def login(target: Target, client: Client) -> None:
    session = client.session
    page = await session.request("GET", target.login_path)
    if page.status != 200:
        raise BenchError(f"{target.name}: login page answered {page.status}")
    response = await session.request(
        "POST",
        target.login_path,
        form={
            "csrfmiddlewaretoken": csrf_token(page.text),
            "username": client.account.email,
            "password": client.account.password,
        },
    )
    if response.status != 302:
        raise BenchError(
            f"{target.name}: login of {client.account.email} answered {response.status}"
        )


def not_to_login(response: Response) -> str | None:
    """A redirect to the login page means the session was lost: an error, not a save."""
    return "redirected to log in" if "/login/" in response.location else None


def _step_check(target: Target) -> Callable[[Response], str | None]:
    marker = target.step_marker.encode()

    def check(response: Response) -> str | None:
        return None if marker in response.body else "step form missing from the page"

    return check


async def run_phase(
    name: str,
    clients: Sequence[Client],
    body: Callable[[Client, Stats], Awaitable[None]],
    *,
    seconds: float,
    server_pids: list[int],
) -> PhaseResult:
    stats = Stats()

    def worker(client: Client) -> Callable[[float], Awaitable[None]]:
        async def loop(deadline: float) -> None:
            while time.monotonic() < deadline:
                errors = stats.error_count
                try:
                    await body(client, stats)
                except (HttpError, KeyError, ValueError, IndexError) as exc:
                    stats.error("client", f"unexpected page: {type(exc).__name__} {exc}")
                if stats.error_count > errors:
                    await asyncio.sleep(0.05)  # no hot loop on a failing server

        return loop

    meter = CpuMeter(server_pids=server_pids)
    with meter.measure():
        wall = await closed_loop([worker(c) for c in clients], seconds=seconds)
    result = PhaseResult(name, stats, wall, meter)
    result.requests = sum(len(v) for v in stats.times.values()) + stats.error_count
    log(
        f"{name}: {result.requests} requests in {wall:.1f} s = {result.rps:.1f}/s, "
        f"{stats.error_count} errors; CPU: server {meter.server_cores:.2f}, client "
        f"{meter.client_cores:.2f} cores, machine {meter.machine_busy:.0%} busy"
    )
    return result


async def measure(
    target: Target,
    accounts: Sequence[Account],
    *,
    seconds: float,
    warmup: float,
    server_pids: list[int],
    think: float = 0.0,
    paced_seconds: float = 0.0,
) -> dict[str, PhaseResult]:
    """Log every client in, warm up, then run the phases: one client alone (the service
    time), bare view, step GET and step GET+POST back to back (saturation: throughput),
    then, if `think` is given, GET+POST with a think time of 0.5-1.5 x `think` seconds
    after each response (latency below saturation; clients start staggered)."""
    clients = [
        Client(a, Session("127.0.0.1", target.port), rng=random.Random(n))  # noqa: S311
        for n, a in enumerate(accounts)
    ]
    await asyncio.gather(*(login(target, c) for c in clients))
    check = _step_check(target)

    async def get_step(client: Client, stats: Stats) -> None:
        path = target.step_path(client.account)
        await timed(stats, "step GET", client.session.request("GET", path), [200], check)

    async def get_post(client: Client, stats: Stats, think: float = 0.0) -> None:
        path = target.step_path(client.account)
        page = await timed(stats, "step GET", client.session.request("GET", path), [200], check)
        if page is None:
            return
        try:
            fields = target.post_form(page.text, client.flip)
        except (HttpError, IndexError) as exc:
            stats.error("step POST", f"cannot read the form: {exc}")
            return
        client.flip += 1
        if think:
            await asyncio.sleep(client.rng.uniform(0.5, 1.5) * think)
        await timed(
            stats,
            "step POST",
            client.session.request("POST", path, form=fields),
            [302],
            not_to_login,
        )
        if think:
            await asyncio.sleep(client.rng.uniform(0.5, 1.5) * think)

    started: set[int] = set()

    async def get_post_paced(client: Client, stats: Stats) -> None:
        if id(client) not in started:
            # Independent users do not all press a key in the same millisecond: each
            # client starts at a random point of its first cycle (GET, think, POST,
            # think). Started together, the 20 first GETs queued behind two workers
            # (up to 20 x 15 ms), 6 % of the phase's GETs, and that burst alone set the p95.
            started.add(id(client))
            await asyncio.sleep(client.rng.uniform(0.0, 2.0 * think))
        await get_post(client, stats, think)

    async def get_bare(client: Client, stats: Stats) -> None:
        assert target.bare_path
        await timed(stats, "bare GET", client.session.request("GET", target.bare_path), [200])

    results: dict[str, PhaseResult] = {}
    warm = await run_phase("warm-up", clients, get_post, seconds=warmup, server_pids=server_pids)
    if warm.stats.error_count:
        raise BenchError(f"{target.name}: errors while warming up: {warm.stats.first_errors()}")
    results["single"] = await run_phase(
        "step GET+POST, 1 client alone",
        clients[:1],
        get_post,
        seconds=max(3.0, seconds / 2),
        server_pids=server_pids,
    )
    if target.bare_path:
        results["bare"] = await run_phase(
            "bare", clients, get_bare, seconds=seconds, server_pids=server_pids
        )
    results["get"] = await run_phase(
        "step GET", clients, get_step, seconds=seconds, server_pids=server_pids
    )
    page = await clients[0].session.request("GET", target.step_path(clients[0].account))
    results["get"].page_bytes = len(page.body)
    results["post"] = await run_phase(
        "step GET+POST", clients, get_post, seconds=seconds, server_pids=server_pids
    )
    if think:
        results["paced"] = await run_phase(
            f"step GET+POST, {think:g} s think time",
            clients,
            get_post_paced,
            seconds=paced_seconds,
            server_pids=server_pids,
        )
    return results


# ---------------------------------------------------------------------------------------
# wrk cross-check (optional: apt-get install wrk)


def wrk(url: str, cookie: str, *, seconds: int, connections: int) -> dict[str, float] | None:
    """Raw throughput with wrk (one thread: it needs a fraction of the CPU our client does)."""
    exe = shutil.which("wrk")
    if exe is None:
        return None
    out = subprocess.run(
        [
            exe,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    result: dict[str, float] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "90%", "99%"):
            value = parts[1]
            unit = 1e-6 if value.endswith("us") else 1e-3 if value.endswith("ms") else 1.0
            result["p" + parts[0][:-1]] = float(value.rstrip("usm")) * unit
        elif "Non-2xx or 3xx responses:" in line or "Socket errors" in line:
            result["errors"] = result.get("errors", 0) + sum(
                int(p.strip(",")) for p in parts if p.strip(",").isdigit()
            )
    return result or None


# ---------------------------------------------------------------------------------------
# Queries per request (child process, Django test client on the benchmark database)


def count_queries(email: str, draft: int) -> dict[str, Any]:
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from assessments.models import Assessment
    from assessments.selectors import framework_of

    user = User.objects.get(email=email)
    assessment = Assessment.objects.select_related("framework").get(pk=draft)
    fw = framework_of(assessment.framework)
    client = DjangoClient()
    client.force_login(user)

    def queries(method: str, path: str, data: Any = None, expect: int = 200) -> tuple[int, str]:
        """Statements sent, without transaction control (BEGIN / COMMIT / SAVEPOINT)."""
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(path, data) if method == "POST" else client.get(path)
        if response.status_code != expect:
            raise SystemExit(f"{method} {path}: {response.status_code}, expected {expect}")
        body = response.content.decode() if method == "GET" else ""
        statements = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].split(" ", 1)[0].upper() not in TRANSACTION_CONTROL
        ]
        return len(statements), body

    def post_step(path: str, flip: int) -> int:
        page = queries("GET", path)[1]
        fields: dict[str, list[str]] = {}
        for key, value in wizard_post_form(page, flip):
            fields.setdefault(key, []).append(value)
        return queries("POST", path, fields, expect=302)[0]

    queries("GET", "/bench/bare/")  # warm the process (framework cache, templates)
    out: dict[str, Any] = {"bare": queries("GET", "/bench/bare/")[0], "steps": {}}
    for shift in fw.shifts:
        path = f"/assessments/{draft}/step/{shift.code}/"
        n_get = queries("GET", path)[0]
        post_step(path, 0)
        # Counted: this POST changes every item the previous one set, so all are written.
        n_post = post_step(path, 1)
        out["steps"][shift.code] = {"items": len(shift.items), "get": n_get, "post": n_post}
    out["review"] = queries("GET", f"/assessments/{draft}/review/")[0]
    return out


# ---------------------------------------------------------------------------------------
# Driving it


@dataclass
class WizardResult:
    phases: dict[str, PhaseResult]
    queries: dict[str, Any]
    clients: list[Account] = field(default_factory=list)
    think: float = 0.0
    items: int = 13
    wrk: dict[str, dict[str, float]] = field(default_factory=dict)

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        bare, get, post = self.phases.get("bare"), self.phases["get"], self.phases["post"]
        paced = self.phases.get("paced")
        n = len(self.clients) if self.clients else 20
        area = f"wizard step ({SHIFT}, {self.items} items)"

        def latency(label: str, phase: PhaseResult, name: str, target: bool) -> None:
            s = phase.stats.summary(name)
            rows.append(
                Row(
                    area,
                    f"{label}: p50 / p95 / max",
                    f"{ms(s.p50)} / {ms(s.p95)} / {ms(s.max)}",
                    "p95 ≤ 60 ms" if target else "",
                    s.p95 <= TARGET_P95 if target else None,
                )
            )

        single = self.phases.get("single")
        if single:
            latency("GET, 1 client alone", single, "step GET", False)
            latency("POST, 1 client alone", single, "step POST", False)
        if paced:
            think = self.think
            latency(f"GET, {n} clients, {think:g} s think time", paced, "step GET", True)
            latency(f"POST, {n} clients, {think:g} s think time", paced, "step POST", True)
        latency(f"GET, {n} clients back to back (saturated)", get, "step GET", True)
        latency(f"POST, {n} clients back to back (saturated)", post, "step POST", True)
        errors = sum(r.stats.error_count for r in self.phases.values())
        rows.append(Row(area, "errors (all phases)", str(errors), "0", errors == 0))
        if bare:
            b = bare.stats.summary("bare GET")
            rows.append(
                Row(
                    area,
                    f"bare Django view, {n} clients: req/s, p50 / p95",
                    f"{bare.rps:.0f}/s, {ms(b.p50)} / {ms(b.p95)}",
                )
            )
        rows.append(
            Row(
                area,
                "step GET req/s (saturated); page size",
                f"{get.rps:.0f}/s; {get.page_bytes / 1024:.0f} KB",
            )
        )
        rows.append(
            Row(
                area,
                "step GET+POST req/s (saturated, half POSTs)",
                f"{post.rps:.0f}/s ({post.rps / 2:.0f} POST/s)",
            )
        )
        if bare and bare.rps:
            rows.append(
                Row(
                    area,
                    "throughput ÷ bare view's",
                    f"GET {get.rps / bare.rps:.2f}, GET+POST {post.rps / bare.rps:.2f}",
                )
            )
            if bare.per_cpu_second and get.per_cpu_second:
                rows.append(
                    Row(
                        area,
                        "requests per gunicorn CPU-second: bare / GET / GET+POST",
                        f"{bare.per_cpu_second:.0f} / {get.per_cpu_second:.0f} / "
                        f"{post.per_cpu_second:.0f}",
                    )
                )
        for key, phase in (("bare view", bare), ("step GET", get)):
            if phase is None:
                continue
            cpu = phase.cpu
            rows.append(
                Row(
                    area,
                    f"CPU during {key} (cores)",
                    f"gunicorn {cpu.server_cores:.2f}, load client {cpu.client_cores:.2f}; "
                    f"machine {cpu.machine_busy:.0%} busy",
                )
            )
        for key, label in (("bare", "bare view"), ("get", "step GET")):
            if key in self.wrk:
                w = self.wrk[key]
                rows.append(
                    Row(
                        area,
                        f"wrk cross-check, {label}",
                        f"{w.get('rps', 0):.0f}/s, p50 {ms(w.get('p50', 0))} / "
                        f"p90 {ms(w.get('p90', 0))}",
                    )
                )
        q = self.queries
        if q:
            steps = q["steps"]
            per_step = ", ".join(
                f"{code} ({s['items']} items) {s['get']}/{s['post']}" for code, s in steps.items()
            )
            worst = max(max(s["get"], s["post"]) for s in steps.values())
            same = len({(s["get"], s["post"]) for s in steps.values()}) == 1
            rows.append(
                Row(
                    "queries per request",
                    "step GET/POST by step",
                    per_step,
                    "≤ 10, same for any number of items",
                    worst <= TARGET_QUERIES and same,
                )
            )
            rows.append(
                Row(
                    "queries per request",
                    "bare view / review page",
                    f"{q['bare']} / {q['review']}",
                )
            )
        return rows

    def as_dict(self) -> dict[str, Any]:
        return {
            "phases": {k: v.as_dict() for k, v in self.phases.items()},
            "queries": self.queries,
            "clients": len(self.clients),
            "think_s": self.think,
            "wrk": self.wrk,
        }


def run_wizard(
    *,
    db: str,
    redis_db: int,
    accounts: list[Account],
    seconds: float,
    warmup: float,
    think: float = 1.0,
    paced_seconds: float = 30.0,
    worker_class: str = "sync",
    port: int = PORT,
) -> WizardResult:
    env = common.app_env(db=db, redis_db=redis_db, settings="bench.settings")
    log("queries per request (test client, CaptureQueriesContext)")
    queries = common.run_json(
        [common.PY, "-m", "bench.wizard", "--queries", accounts[0].email, str(accounts[0].draft)],
        env=env,
        timeout=120,
        what="query count",
    )
    target = wizard_target(port)
    with common.Gunicorn("wizard", port=port, env=env, worker_class=worker_class) as server:
        phases = asyncio.run(
            measure(
                target,
                accounts,
                seconds=seconds,
                warmup=warmup,
                server_pids=server.worker_pids(),
                think=think,
                paced_seconds=paced_seconds,
            )
        )
        items = queries.get("steps", {}).get(SHIFT, {}).get("items", 0)
        result = WizardResult(phases, queries, accounts, think, items)
        if shutil.which("wrk"):
            cookie = asyncio.run(_one_cookie(target, accounts[0]))
            for key, path in (("bare", "/bench/bare/"), ("get", target.step_path(accounts[0]))):
                w = wrk(
                    f"{server.base}{path}",
                    cookie,
                    seconds=int(max(3, min(10, seconds))),
                    connections=len(accounts),
                )
                if w:
                    result.wrk[key] = w
        else:
            log("wrk is not installed: no raw-throughput cross-check (apt-get install wrk)")
    return result


async def _one_cookie(target: Target, account: Account) -> str:
    client = Client(account, Session("127.0.0.1", target.port))
    await login(target, client)
    return "; ".join(f"{k}={v}" for k, v in client.session.cookies.items())


def accounts_from(fixtures: dict[str, Any], n: int) -> list[Account]:
    leads = fixtures["leads"][:n]
    if len(leads) < n:
        raise BenchError(f"need {n} bench leads, the fixtures have {len(leads)}")
    return [Account(x["email"], fixtures["password"], x["draft"]) for x in leads]


def fixtures_load(db: str, redis_db: int, *, leads: int, bulk: int = 0, reset: bool = False) -> Any:
    args = [common.PY, "-m", "bench.fixtures", "--leads", str(leads), "--bulk", str(bulk)]
    if reset:
        args.append("--reset-reports")
    return common.run_json(
        args, env=common.app_env(db=db, redis_db=redis_db), timeout=600, what="bench fixtures"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="paced phase: think time, s")
    parser.add_argument("--paced-seconds", type=float, default=30)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--db", default=DB)
    parser.add_argument("--queries", nargs=2, metavar=("EMAIL", "DRAFT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.queries:
        print(json.dumps(count_queries(args.queries[0], int(args.queries[1]))))
        return
    if not 1 <= args.seconds <= 300 or not 1 <= args.clients <= 200:
        parser.error("--seconds 1..300, --clients 1..200")
    common.prepare_database(args.db, REDIS_DB)
    fixtures = fixtures_load(args.db, REDIS_DB, leads=args.clients)
    result = run_wizard(
        db=args.db,
        redis_db=REDIS_DB,
        accounts=accounts_from(fixtures, args.clients),
        seconds=args.seconds,
        warmup=args.warmup,
        think=args.think,
        paced_seconds=args.paced_seconds,
        worker_class=args.worker_class,
    )
    print(common.table_text(result.rows()))
    print(json.dumps(result.as_dict(), indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
