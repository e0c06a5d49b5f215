"""Benchmark: the cohort index report at market scale (issue 17), in a worker-like process.

Usage: python bench/index_report.py [--runs 5] [--db ai_readiness_bench_index] [--no-generate]

Needs PostgreSQL and a database whose name marks it as a benchmark's (`bench/common.py`).
Unless --no-generate, generates the market first when it is not there (generate_market
--issuers 2600 --cohorts 5: 2,600 issuers in each of 5 programme years, a few minutes).
Then, for each language, a fresh child process (like a Celery worker child): one warm-up
render (font subset, caches), then --runs timed renders of the latest market cohort through
the same code the worker runs (`IndexContent.load` with the previous year, HTML, WeasyPrint).
Prints the median, min and max seconds, the rendering process's own CPU time (what a busy
machine does not inflate; PostgreSQL's share is outside it), the time spent reading and
building the data, the peak RSS of that process (resource.getrusage) and the PDF size.
Targets: ≤ 5 s, ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import BenchError  # noqa: E402

DB = "ai_readiness_bench_index"
REDIS_DB = 8  # not used by rendering; app_env wants one of the benchmarks' own
ISSUERS = 2600
COHORTS = 5
TARGET_SECONDS = 5.0
TARGET_RSS_MB = 400


def child(language: str, runs: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from cohorts.index_report.content import IndexContent
    from cohorts.index_report.services import index_report_css, index_report_html
    from cohorts.models import Cohort
    from reports.rendering import html_to_pdf

    cohort = Cohort.objects.filter(slug__startswith="market-").order_by("-year").first()
    if cohort is None:
        raise SystemExit("no market cohort: run generate_market first")

    def render() -> tuple[bytes, float, int]:
        started = time.perf_counter()
        content = IndexContent.load(cohort=cohort)
        _ = content.method, content.yoy, content.groups, content.kpis  # read and build all
        loaded = time.perf_counter() - started
        html = index_report_html(content=content, language=language, inline_css=False)
        return html_to_pdf(html, css=index_report_css()), loaded, content.data.n

    started = time.perf_counter()
    pdf, _loaded, n = render()  # warm-up: fonts, framework cache
    cold = time.perf_counter() - started
    times, loads, cpu = [], [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf, loaded, n = render()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        loads.append(loaded)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "cohort": cohort.slug,
                "counted": n,
                "cold": cold,
                "times": times,
                "loads": loads,
                "cpu": cpu,
                "peak_mb": peak_mb,
                "size": len(pdf),
            }
        )
    )


def market_ready(env: dict[str, str]) -> bool:
    found = common.run_json(
        [common.PY, "-m", "bench.exports", "--find"], env=env, timeout=300, what="market state"
    )
    return bool(found and found["issuers"] >= ISSUERS)


def run_index(*, db: str, runs: int, generate: bool = True) -> tuple[list[common.Row], dict]:
    """Rows for bench/run.py's table, and the raw figures."""
    common.services_check()
    if common.db_ensure(db):
        common.log(f"database {db}: created")
    env = common.app_env(db=db, redis_db=REDIS_DB, debug=True)
    common.manage(["migrate", "--no-input", "-v0"], env=env, timeout=600)
    if not market_ready(env):
        if not generate:
            raise BenchError(f"no market of {ISSUERS} issuers in {db} (drop --no-generate)")
        common.log(f"generate_market --issuers {ISSUERS} --cohorts {COHORTS} (a few minutes)")
        common.manage(
            ["generate_market", "--issuers", str(ISSUERS), "--cohorts", str(COHORTS), "--replace"],
            env=env,
            timeout=3600,
        )
    env = common.app_env(db=db, redis_db=REDIS_DB)  # measured with DEBUG off
    rows, raw = [], {}
    for language in ("en", "zh-hant"):
        result = common.run_json(
            [common.PY, str(Path(__file__).resolve()), "--child", language, "--runs", str(runs)],
            env=env,
            timeout=900,
            what=f"index report ({language})",
        )
        raw[language] = result
        median = statistics.median(result["times"])
        load = statistics.median(result["loads"])
        cpu = statistics.median(result["cpu"])
        ok = median <= TARGET_SECONDS and result["peak_mb"] <= TARGET_RSS_MB
        rows.append(
            common.Row(
                f"index report ({result['cohort']}, {result['counted']:,} companies, "
                f"{runs} renders)",
                f"{language}: median (min–max), its CPU time, reading data, peak RSS, PDF size",
                f"{median:.2f} s ({min(result['times']):.2f}–{max(result['times']):.2f}), "
                f"CPU {cpu:.2f} s, {load:.2f} s, {result['peak_mb']:.0f} MB, "
                f"{result['size'] / 1e6:.2f} MB",
                f"≤ {TARGET_SECONDS:.0f} s, ≤ {TARGET_RSS_MB} MB",
                ok,
            )
        )
    return rows, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--no-generate", action="store_true", help="fail if no market")
    parser.add_argument("--child", choices=["en", "zh-hant"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.runs <= 100:
        parser.error("--runs must be between 1 and 100")
    if args.child:
        child(args.child, args.runs)
        return
    try:
        rows, raw = run_index(db=args.db, runs=args.runs, generate=not args.no_generate)
    except BenchError as exc:
        raise SystemExit(f"bench/index_report.py: {exc}") from exc
    print(common.table_text(rows))
    for language, result in raw.items():
        print(f"{language}: first render in a fresh process {result['cold']:.2f} s")
    if not all(r.ok for r in rows):
        raise SystemExit("target NOT met")


if __name__ == "__main__":
    main()
