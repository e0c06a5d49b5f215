"""Benchmark: a cohort's reports rendered by Celery workers, PDFs per minute.

Usage: python -m bench.bulk_reports [--issuers 30] [--language en]

One Celery worker process with a prefork pool of 2 children (`--concurrency 2`), as
docker-compose.yml runs it: one render at a time per core, tasks acknowledged late and
prefetched one at a time (settings). The cohort `bench-bulk` holds N submitted
assessments (bench/fixtures.py); their reports are deleted first, so every one renders.
Two reports in the other language are rendered first to warm both children (fonts,
stylesheet), then the cohort's reports are requested exactly as the association's
"generate all" button does (`cohorts.bulk.cohort_reports_request`) and the time is taken
until none is pending. Projected for 2,600 issuers at the same rate, with the same 2
children (the rate scales with worker processes, i.e. cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import BenchError, Row, log

ROOT = common.ROOT
DEFAULT_ISSUERS = 30
MARKET = 2600
CONCURRENCY = 2


def child(cohort_slug: str, language: str, timeout: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from accounts.models import User
    from assessments.models import Assessment
    from bench.fixtures import ADMIN_EMAIL
    from cohorts.bulk import cohort_reports_progress, cohort_reports_request
    from cohorts.models import Cohort
    from reports.models import Report, ReportStatus
    from reports.services import report_request

    cohort = Cohort.objects.get(slug=cohort_slug)
    admin = User.objects.get(email=ADMIN_EMAIL)
    deadline = time.monotonic() + timeout

    other = "zh-hant" if language == "en" else "en"
    warm = [
        report_request(assessment=a, language=other, user=admin, force=True).pk
        for a in Assessment.objects.filter(cohort=cohort, submitted_at__isnull=False)[:CONCURRENCY]
    ]
    while Report.objects.filter(
        pk__in=warm, status__in=[ReportStatus.QUEUED, ReportStatus.RENDERING]
    ).exists():
        if time.monotonic() > deadline:
            raise SystemExit("warm-up reports were not rendered in time: is the worker running?")
        time.sleep(0.5)

    started = time.perf_counter()
    queued = cohort_reports_request(cohort=cohort, language=language, user=admin)
    progress = cohort_reports_progress(cohort=cohort, language=language, user=admin)
    while progress.pending and time.monotonic() < deadline:
        time.sleep(0.5)
        progress = cohort_reports_progress(cohort=cohort, language=language, user=admin)
    elapsed = time.perf_counter() - started
    reports = list(
        Report.objects.filter(assessment__cohort=cohort, language=language).values(
            "status", "render_ms", "size", "requested_at", "finished_at"
        )
    )
    ready = [r for r in reports if r["status"] == ReportStatus.READY]
    finished = [r["finished_at"] for r in ready if r["finished_at"]]
    first = min(r["requested_at"] for r in reports) if reports else None
    span = (max(finished) - first).total_seconds() if finished and first else elapsed
    return {
        "total": progress.total,
        "queued": queued,
        "ready": len(ready),
        "failed": progress.by_status.get(ReportStatus.FAILED, 0),
        "pending": progress.pending,
        "seconds": elapsed,
        "span_seconds": span,
        "render_ms_median": statistics.median([r["render_ms"] for r in ready if r["render_ms"]])
        if ready
        else None,
        "size_mb_median": statistics.median([r["size"] for r in ready if r["size"]]) / 1024 / 1024
        if ready
        else None,
        "timed_out": bool(progress.pending),
    }


def run_bulk(
    *, db: str, redis_db: int, issuers: int, language: str = "en", timeout: float = 600
) -> tuple[list[Row], dict[str, Any]]:
    from bench.wizard import fixtures_load

    fixtures = fixtures_load(db, redis_db, leads=0, bulk=issuers, reset=True)
    cohort = fixtures["bulk_cohort"]
    env = common.app_env(db=db, redis_db=redis_db)
    common.redis_flush(redis_db)
    with common.CeleryWorker("bench-bulk", env=env, concurrency=CONCURRENCY) as worker:
        log(f"bulk reports: {fixtures['bulk']} assessments of cohort {cohort}, {language}")
        cmd = [common.PY, "-m", "bench.bulk_reports", "--child", cohort, "--language", language]
        result = common.run_json(
            [*cmd, "--timeout", str(timeout)],
            env=env,
            timeout=timeout + 120,
            what="bulk reports",
        )
        children = common.children_of(worker.proc.pid) if worker.proc else []
        result["child_peak_rss_mb"] = max((common.process_rss_mb(p) for p in children), default=0)
    seconds = result["span_seconds"] or result["seconds"]
    per_minute = result["ready"] / seconds * 60 if seconds else 0.0
    result["per_minute"] = per_minute
    log(
        f"bulk reports: {result['ready']} ready, {result['failed']} failed in {seconds:.1f} s "
        f"= {per_minute:.1f} PDFs/min"
    )
    area = f"bulk reports (1 worker, {CONCURRENCY} children)"
    ok = result["ready"] == result["total"] and not result["failed"]
    rows = [
        Row(
            area,
            f"{result['total']} assessments, {language}: time, PDFs per minute",
            f"{seconds:.1f} s, {per_minute:.1f}/min",
            "all rendered",
            ok,
        ),
        Row(
            area,
            f"projected for {MARKET:,} issuers (same 2 children)",
            f"{MARKET / per_minute:.0f} min" if per_minute else "n/a",
        ),
        Row(
            area,
            "render median, PDF median, worker child peak RSS",
            f"{(result['render_ms_median'] or 0) / 1000:.2f} s, "
            f"{result['size_mb_median'] or 0:.2f} MB, {result['child_peak_rss_mb']:.0f} MB",
        ),
    ]
    if not ok:
        rows.append(
            Row(area, "failed / still pending", f"{result['failed']} / {result['pending']}")
        )
    return rows, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issuers", type=int, default=DEFAULT_ISSUERS)
    parser.add_argument("--language", choices=["en", "zh-hant"], default="en")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--db", default="ai_readiness_bench")
    parser.add_argument("--child", metavar="COHORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.language, args.timeout), default=str))
        return
    if not 2 <= args.issuers <= 400:
        parser.error("--issuers must be between 2 and 400")
    common.prepare_database(args.db, 9)
    try:
        rows, _ = run_bulk(
            db=args.db,
            redis_db=9,
            issuers=args.issuers,
            language=args.language,
            timeout=args.timeout,
        )
    except BenchError as exc:
        raise SystemExit(str(exc)) from exc
    print(common.table_text(rows))


if __name__ == "__main__":
    main()
