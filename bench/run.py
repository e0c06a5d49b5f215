"""`make bench`: every benchmark against gunicorn + PostgreSQL + Redis, one table.

Usage: python -m bench.run [--quick] [--skip NAME,...] [--seconds 20] [--no-docs]
Names: wizard, survey, report, bulk, dashboard, exports, api, enrolment, index, load.

Set-up (idempotent): database `ai_readiness_bench` (created, migrated, framework loaded),
static files collected, Redis database 9 emptied, seed_demo's data (the report benchmark
renders its issuer 90001), the benchmark's own issuers and leads (bench/fixtures.py), and
the market of 2,600 issuers x 5 programme years (generate_market, through
bench/dashboard.py when that exists). Then, each in its own module:

- wizard.py: a questionnaire step, GET and POST, 20 clients, vs a bare Django view;
  queries per request;
- survey_compare.py: the same page in django-survey-and-report 1.5.0;
- report_pdf.py: report rendering in a warm worker, per language;
- bulk_reports.py: a cohort's reports through Celery, PDFs per minute;
- dashboard.py (another module's; included when present): dashboard and peer benchmarks;
- exports.py: cohort CSV/XLSX exports at 2,600 issuers;
- api.py: the JSON API's cohort issuer list at 2,600 issuers, pages of 100;
- enrolment.py: the enrolment preview of a 2,000-row file (its own database);
- index_report.py: the cohort index report of the latest market year (2,600 issuers, with
  the year before), per language, in a worker-like process (the market's database);
- load.py: 50 users for 60 s (`make load`; its own database and Redis database 8).

Prints the table and writes it, with the date and the machine, between
`<!-- bench:start -->` and `<!-- bench:end -->` in docs/PERFORMANCE.md (the load test
writes its own "Load" sections). Everything listens on 127.0.0.1 (ports 18100-18102); a
benchmark that fails becomes a row saying so, and the others still run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (
    api,
    bulk_reports,
    common,
    enrolment,
    exports,
    index_report,
    load,
    survey_compare,
    wizard,
)
from bench.common import BenchError, Row, log

DB = "ai_readiness_bench"
REDIS_DB = 9
NAMES = (
    "wizard",
    "survey",
    "report",
    "bulk",
    "dashboard",
    "exports",
    "api",
    "enrolment",
    "index",
    "load",
)
MARKET_ISSUERS = 2600
MARKET_COHORTS = 5


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rows: list[Row] = []
        self.blocks: list[tuple[str, str]] = []  # (title, preformatted text)
        self.raw: dict[str, Any] = {}
        self.failed: list[str] = []
        self.started = time.monotonic()
        self.wizard: wizard.WizardResult | None = None
        self.load: load.LoadResult | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def step(self, name: str, area: str, call: Callable[[], None]) -> None:
        if name in self.args.skip:
            log(f"{name}: skipped (--skip)")
            return
        if self.elapsed() > self.args.budget:
            log(f"{name}: skipped, past the time budget of {self.args.budget:.0f} s")
            self.rows.append(Row(area, "skipped", "time budget exhausted"))
            return
        log(f"== {name} ({self.elapsed():.0f} s elapsed)")
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not stop the rest
            if not isinstance(exc, BenchError):
                traceback.print_exc()
            log(f"{name} FAILED: {exc}")
            self.failed.append(name)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.rows.append(Row(area, "FAILED", first[:160], ok=False))


def setup(run: Run, fixtures: dict[str, Any]) -> None:
    db = run.args.db
    common.prepare_database(db, REDIS_DB)
    log("seed_demo (report benchmark issuer 90001 and its peers)")
    common.manage(["seed_demo"], env=common.app_env(db=db, redis_db=REDIS_DB, debug=True))
    clients = run.args.clients
    bulk = 6 if run.args.quick else bulk_reports.DEFAULT_ISSUERS
    fixtures.update(wizard.fixtures_load(db, REDIS_DB, leads=clients, bulk=bulk, reset=True))


def run_wizard(run: Run, fixtures: dict[str, Any]) -> None:
    a = run.args
    result = wizard.run_wizard(
        db=a.db,
        redis_db=REDIS_DB,
        accounts=wizard.accounts_from(fixtures, a.clients),
        seconds=a.seconds,
        warmup=a.warmup,
        think=1.0,
        paced_seconds=a.paced_seconds,
    )
    run.wizard = result
    run.rows += result.rows()
    run.raw["wizard"] = result.as_dict()


def run_survey(run: Run) -> None:
    a = run.args
    phases, data, queries = survey_compare.run_survey(
        clients=a.clients, seconds=a.seconds, warmup=a.warmup
    )
    run.raw["survey"] = {k: v.as_dict() for k, v in phases.items()} | {"queries": queries}
    if run.wizard is None:
        run.rows.append(Row("vs django-survey-and-report", "ratio", "needs the wizard benchmark"))
        return
    run.rows += survey_compare.comparison_rows(
        run.wizard.phases, phases, data, queries, run.wizard.queries
    )


def run_report(run: Run) -> None:
    runs = 3 if run.args.quick else 15
    out = common.run(
        [common.PY, "bench/report_pdf.py", "--runs", str(runs)],
        env=common.app_env(db=run.args.db, redis_db=REDIS_DB),
        timeout=900,
        what="bench/report_pdf.py",
    )
    run.blocks.append(("bench/report_pdf.py", out.strip()))
    area = f"report PDF (warm worker, {runs} renders)"
    found = False
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0] in ("en", "zh-hant"):
            found = True
            median, lo, hi, rss, size = (float(p) for p in parts[1:6])
            run.rows.append(
                Row(
                    area,
                    f"{parts[0]}: median (min–max), peak RSS, PDF size",
                    f"{median:.2f} s ({lo:.2f}–{hi:.2f}), {rss:.0f} MB, {size:.2f} MB",
                    "≤ 1.0 s, ≤ 300 MB, ≤ 1.5 MB",
                    "NOT met" not in line,
                )
            )
    if not found:
        raise BenchError(f"bench/report_pdf.py printed no result rows:\n{out[-500:]}")


def run_bulk(run: Run) -> None:
    rows, raw = bulk_reports.run_bulk(
        db=run.args.db,
        redis_db=REDIS_DB,
        issuers=6 if run.args.quick else bulk_reports.DEFAULT_ISSUERS,
    )
    run.rows += rows
    run.raw["bulk"] = raw


def market_state(db: str) -> dict[str, Any] | None:
    return common.run_json(
        [common.PY, "-m", "bench.exports", "--find"],
        env=common.app_env(db=db, redis_db=REDIS_DB),
        timeout=120,
        what="market state",
    )


def run_dashboard(run: Run) -> None:
    """bench/dashboard.py (when present) generates the market and measures the dashboard;
    without it, generate_market (when present) makes the market for the exports."""
    db = run.args.db
    env = common.app_env(db=db, redis_db=REDIS_DB, debug=True)
    state = market_state(db)
    have_market = bool(state and state["issuers"] >= MARKET_ISSUERS)
    script = common.ROOT / "bench" / "dashboard.py"
    command = common.ROOT / "devdata" / "management" / "commands" / "generate_market.py"
    if script.exists():
        args = [common.PY, str(script), *run.args.dashboard_args.split()]
        if not run.args.dashboard_args:
            if run.args.quick:
                args += ["--sizes", "100", "--requests", "3"]
            elif have_market:
                args += ["--sizes", str(MARKET_ISSUERS), "--no-generate"]
            else:
                args += ["--sizes", str(MARKET_ISSUERS), "--cohorts", str(MARKET_COHORTS)]
        log(f"bench/dashboard.py {' '.join(args[2:])}")
        started = time.monotonic()
        out = common.run(args, env=env, timeout=1500, what="bench/dashboard.py")
        run.blocks.append(("bench/dashboard.py " + " ".join(args[2:]), out.strip()))
        parsed = dashboard_rows(out)
        run.rows += parsed or [
            Row("dashboard (bench/dashboard.py)", "ran; its own table is below", "")
        ]
        log(f"bench/dashboard.py: {time.monotonic() - started:.0f} s, {len(parsed)} rows")
        return
    log("bench/dashboard.py is not there yet: dashboard figures are not in this run")
    run.rows.append(
        Row("dashboard", "not run", "bench/dashboard.py does not exist yet (hook in bench/run.py)")
    )
    if have_market or run.args.quick:
        return
    if not command.exists():
        run.rows.append(Row("market", "not generated", "generate_market command missing"))
        return
    started = time.monotonic()
    common.manage(
        [
            "generate_market",
            "--issuers",
            str(MARKET_ISSUERS),
            "--cohorts",
            str(MARKET_COHORTS),
            "--replace",
        ],
        env=env,
        timeout=1500,
    )
    run.rows.append(
        Row(
            "market",
            f"generate_market {MARKET_ISSUERS:,} issuers × {MARKET_COHORTS} years",
            f"{time.monotonic() - started:.0f} s",
        )
    )


_DASHBOARD_ROW = re.compile(
    r"^\s*(?P<issuers>\d+)\s+(?P<gen>\S+)\s+(?P<what>.+?)\s{2,}(?P<median>[\d.]+)\s+"
    r"(?P<p95>[\d.]+)\s+(?P<queries>\d+)\s*(?P<verdict>met|NOT met)?\s*$"
)


def dashboard_rows(out: str) -> list[Row]:
    """bench/dashboard.py's table as our rows (its raw output is kept beside them)."""
    rows = []
    for line in out.splitlines():
        m = _DASHBOARD_ROW.match(line)
        if not m:
            continue
        gen = "" if m["gen"] == "-" else f" (generated in {m['gen']} s)"
        verdict = m["verdict"]
        what = m["what"].strip()
        target = "median ≤ 30 ms" if what.startswith("peer benchmarks") else "median ≤ 300 ms"
        rows.append(
            Row(
                f"dashboard ({int(m['issuers']):,} issuers{gen})",
                what,
                f"median {m['median']} ms, p95 {m['p95']} ms, {m['queries']} queries",
                target if verdict else "",
                None if verdict is None else verdict == "met",
            )
        )
    return rows


def run_exports(run: Run) -> None:
    rows, raw = exports.run_exports(db=run.args.db, redis_db=REDIS_DB)
    run.rows += rows
    run.raw["exports"] = raw


def run_api(run: Run) -> None:
    rows, raw = api.run_api(db=run.args.db, redis_db=REDIS_DB, rounds=2 if run.args.quick else 5)
    run.rows += rows
    run.raw["api"] = raw


def run_enrolment(run: Run) -> None:
    rows, raw = enrolment.run_enrolment(runs=3 if run.args.quick else 5)
    run.rows += rows
    run.raw["enrolment"] = raw


def run_index(run: Run) -> None:
    """The index report on the market the dashboard step generated (generated here if not)."""
    rows, raw = index_report.run_index(db=run.args.db, runs=2 if run.args.quick else 5)
    run.rows += rows
    run.raw["index"] = raw


def run_load(run: Run) -> None:
    a = run.args
    result = load.run_load(
        users=10 if a.quick else load.DEFAULT_USERS,
        seconds=20 if a.quick else load.DEFAULT_SECONDS,
        think=load.DEFAULT_THINK,
        ramp=5 if a.quick else load.DEFAULT_RAMP,
    )
    run.load = result
    run.rows += result.rows()


def markdown(run: Run, info: dict[str, str]) -> str:
    a = run.args
    lines = [
        f"{common.machine_line(info)} Command: `make bench`"
        + (" (**--quick**: short loops, not comparable)" if a.quick else "")
        + f"; {a.clients} clients, {a.seconds:g} s per saturated phase, took "
        f"{run.elapsed() / 60:.1f} min.",
        "",
        "The load client runs on the same machine and shares its cores with gunicorn, "
        "PostgreSQL and Redis; its own CPU use is in the table. Figures are from one run: "
        "on a shared 2-core machine they vary by ±20 % or more from run to run.",
        "",
        common.table_markdown(run.rows),
    ]
    for title, text in run.blocks:
        lines += ["", f"Output of `{title}`:", "", "```text", text, "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short loops, for trying it out")
    parser.add_argument("--skip", default="", help=f"comma-separated: {', '.join(NAMES)}")
    parser.add_argument("--seconds", type=float, help="each saturated phase (default 20)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--budget", type=float, default=840, help="start no benchmark after")
    parser.add_argument("--db", default=DB)
    parser.add_argument(
        "--dashboard-args", default="", help="arguments for bench/dashboard.py instead of ours"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown := args.skip - set(NAMES):
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.seconds = args.seconds or (5.0 if args.quick else 20.0)
    args.warmup = 2.0 if args.quick else 5.0
    args.paced_seconds = 8.0 if args.quick else 30.0
    if not 1 <= args.seconds <= 120 or not 1 <= args.clients <= 100:
        parser.error("--seconds 1..120, --clients 1..100")

    run = Run(args)
    info = common.machine_info()
    log(common.machine_line(info))
    fixtures: dict[str, Any] = {}
    try:
        setup(run, fixtures)
    except BenchError as exc:
        raise SystemExit(f"bench set-up failed: {exc}") from exc

    run.step("wizard", "wizard step", lambda: run_wizard(run, fixtures))
    run.step("survey", "vs django-survey-and-report", lambda: run_survey(run))
    run.step("report", "report PDF", lambda: run_report(run))
    run.step("bulk", "bulk reports", lambda: run_bulk(run))
    run.step("dashboard", "dashboard", lambda: run_dashboard(run))
    run.step("exports", "cohort export", lambda: run_exports(run))
    run.step("api", "JSON API", lambda: run_api(run))
    run.step("enrolment", "enrolment preview", lambda: run_enrolment(run))
    run.step("index", "index report", lambda: run_index(run))
    run.step("load", "load", lambda: run_load(run))

    print()
    print(common.table_text(run.rows))
    for title, text in run.blocks:
        print(f"\n{title}:\n{text}")
    if not args.no_docs:
        common.write_marked_section(
            common.PERFORMANCE_MD,
            "bench",
            markdown(run, info),
            heading="## Latest `make bench` run",
        )
        written = ["docs/PERFORMANCE.md"]
        if run.load is not None:
            written = load.write_docs(run.load, info)
        log(f"written: {', '.join(written)}")
    log(f"make bench done in {run.elapsed() / 60:.1f} min")
    if run.failed:
        raise SystemExit(f"failed: {', '.join(run.failed)}")


if __name__ == "__main__":
    main()
