"""Benchmark: the cohort dashboard and peer benchmarks at Hong Kong market scale.

Usage:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ai_readiness_bench \\
        .venv/bin/python bench/dashboard.py [--sizes 100,2600] [--cohorts 5] [--requests 20]

PostgreSQL only, on a database of its own: the name must contain "bench" (default
ai_readiness_bench on 127.0.0.1, created if missing, then migrated). For each size it
generates the synthetic market (`devdata.market`, replacing the previous one; timed), runs
VACUUM ANALYZE (the steady state autovacuum keeps a live database in), then requests the
latest cohort's dashboard through the Django test Client logged in as an association
admin: three warm-up rounds, then --requests rounds, each requesting every filter/sort/page
variation once (interleaved, so drift of the shared machine spreads evenly), and one more
request per variation to count queries. Last, peer benchmarks
(`reports.benchmarks.peer_benchmarks`) for one issuer's current snapshot. `--no-generate`
measures the data already there; `--profile` prints a pyinstrument profile of one
full-cohort dashboard request.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ai_readiness_bench"
TARGET_MS = 300.0
PEER_TARGET_MS = 30.0
WARM_UP = 3  # rounds over every variation before timing
ADMIN_EMAIL = "bench-admin@example.org"
VARIATIONS: list[tuple[str, dict[str, str]]] = [
    ("all, by code", {}),
    ("highest score first", {"sort": "-score"}),
    ("latest activity first", {"sort": "-activity"}),
    ("status submitted", {"status": "submitted"}),
    ("industry financials", {"industry": "financials"}),
    (
        "financials, submitted, -score",
        {"industry": "financials", "status": "submitted", "sort": "-score"},
    ),
    ("page 20", {"page": "20"}),
    ("search by stock code", {"q": "0700.HK"}),
    ("search by name", {"q": "holdings"}),
    ("not started", {"not_started": "1"}),
    ("lead not accepted", {"not_accepted": "1"}),
    ("overdue", {"overdue": "1"}),
    ("fewest answered first", {"sort": "answered"}),
]


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("bench/dashboard.py measures PostgreSQL: DATABASE_URL must be postgres://")
    if "bench" not in parts.path:
        raise SystemExit(
            "Refusing: the database name must contain 'bench' (the benchmark replaces the "
            "synthetic market and its snapshots would count in peer statistics)."
        )
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def count_queries(fn: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def generate(issuers: int, cohorts: int, seed: int, year: int) -> float:
    from django.db import connection

    from assessments.selectors import framework_latest
    from assessments.services import framework_load_all
    from devdata.market import market_generate

    framework_load_all()
    version = framework_latest()
    assert version is not None
    summary = market_generate(
        framework=version,
        issuers=issuers,
        cohorts=cohorts,
        seed=seed,
        last_year=year,
        replace=True,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum = time.perf_counter() - started
    rows = ", ".join(f"{label.split('.')[1]} {n:,}" for label, n in sorted(summary.rows.items()))
    print(f"  generated in {summary.seconds:.1f} s (then VACUUM ANALYZE {vacuum:.1f} s): {rows}")
    return summary.seconds


def measure(size: int, args: argparse.Namespace) -> list[tuple[str, ...]]:
    from django.test import Client

    from accounts.models import Role, User
    from assessments.models import ScoreSnapshot
    from assessments.tests.factories import second_factor_given
    from devdata.market import SLUG_PREFIX, generated_issuers
    from reports.benchmarks import peer_benchmarks
    from reports.services import snapshot_load

    gen = generate(size, args.cohorts, args.seed, args.year) if args.generate else None
    admin, _ = User.objects.get_or_create(
        email=ADMIN_EMAIL,
        defaults={"role": Role.ASSOCIATION_ADMIN, "is_staff": True, "full_name": "Bench admin"},
    )
    client = Client()
    client.force_login(admin)
    second_factor_given(client, admin)  # association staff: as after the code page
    url = f"/cohorts/{SLUG_PREFIX}{args.year}/"
    rows: list[tuple[str, ...]] = []
    gen_text = "-" if gen is None else f"{gen:.1f}"
    targets = [f"{url}?{urlencode(params)}" if params else url for _label, params in VARIATIONS]

    def get(target: str) -> None:
        response = client.get(target)
        assert response.status_code == 200, (target, response.status_code)

    for _ in range(WARM_UP):
        for target in targets:
            get(target)
    # Interleaved rounds (each variation once per round), so the machine's drift over
    # the run spreads evenly over the variations.
    times: dict[str, list[float]] = {target: [] for target in targets}
    for _ in range(args.requests):
        for target in targets:
            started = time.perf_counter()
            get(target)
            times[target].append((time.perf_counter() - started) * 1000)
    for (label, _params), target in zip(VARIATIONS, targets, strict=True):
        median = statistics.median(times[target])
        rows.append(
            (
                str(size),
                gen_text,
                f"dashboard: {label}",
                f"{median:.0f}",
                f"{p95(times[target]):.0f}",
                str(count_queries(functools.partial(get, target))),
                "met" if median <= TARGET_MS else "NOT met",
            )
        )
    # The first request after a submission recomputes the cached score aggregates.
    from django.core.cache import cache

    def cold() -> None:
        cache.clear()
        get(url)

    cold_times, _ = timed(cold, args.requests)
    median = statistics.median(cold_times)
    rows.append(
        (
            str(size),
            gen_text,
            "dashboard: all, cold (first view after a submission)",
            f"{median:.0f}",
            f"{p95(cold_times):.0f}",
            str(count_queries(cold)),
            "met" if median <= TARGET_MS else "NOT met",
        )
    )
    snapshot_id = (
        ScoreSnapshot.objects.filter(is_current=True, issuer__in=generated_issuers())
        .order_by("issuer__stock_code")
        .values_list("pk", flat=True)
        .first()
    )
    assert snapshot_id is not None
    snapshot = snapshot_load(snapshot_id=snapshot_id)

    def peers() -> None:
        peer_benchmarks(snapshot=snapshot)

    peers()
    peer_times, _ = timed(peers, args.requests)
    peer_median = statistics.median(peer_times)
    rows.append(
        (
            str(size),
            gen_text,
            "peer benchmarks (one snapshot)",
            f"{peer_median:.0f}",
            f"{p95(peer_times):.0f}",
            str(count_queries(peers)),
            "met" if peer_median <= PEER_TARGET_MS else "NOT met",
        )
    )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            client.get(url)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,2600", help="issuer counts, comma-separated")
    parser.add_argument("--cohorts", type=int, default=5, help="programme years (default 5)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per variation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2026, help="latest programme year")
    parser.add_argument("--no-generate", dest="generate", action="store_false")
    parser.add_argument("--profile", action="store_true", help="pyinstrument one request")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 100,2600")
    if not sizes or not 1 <= args.requests <= 1000:
        parser.error("give at least one size and --requests between 1 and 1000")
    if not args.generate and len(sizes) > 1:
        parser.error("--no-generate measures the data already there: give one size")
    setup(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    from devdata.market import MarketError

    rows: list[tuple[str, ...]] = []
    for size in sizes:
        print(f"{size} issuers × {args.cohorts} programme years")
        try:
            rows += measure(size, args)
        except MarketError as exc:
            raise SystemExit(str(exc)) from exc
    header = ("issuers", "generate s", "what", "median ms", "p95 ms", "queries", "≤300 ms")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    print(
        f"Cohort dashboard of market-{args.year} (the latest of {args.cohorts} programme "
        f"years), {args.requests} warm requests each"
    )
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i == 2 else c.rjust(w) for i, (c, w) in enumerate(cells)))


if __name__ == "__main__":
    main()
