"""Benchmark: report PDF rendering in a warm worker process, English and Chinese.

Usage: python bench/report_pdf.py [--runs 15] [--issuer 90001]
Needs the demo data (make run, or seed_demo) and fonts-noto-cjk. Each language runs in
its own fresh process, like a worker child: one warm-up render (fonts, caches), then
--runs timed renders through the same service the Celery task uses. Prints median,
min and max seconds, peak RSS of that process, and the PDF size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0
TARGET_RSS_MB = 300
TARGET_SIZE_MB = 1.5


def child(issuer: str, language: str, runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from assessments.models import ScoreSnapshot
    from reports.content import previous_snapshot
    from reports.services import report_pdf, snapshot_load

    snapshot_id = (
        ScoreSnapshot.objects.filter(issuer__stock_code=issuer, is_current=True)
        .values_list("pk", flat=True)
        .first()
    )
    if snapshot_id is None:
        raise SystemExit(
            f"issuer {issuer} has no submitted assessment: run `make run` or seed_demo first"
        )
    snapshot = snapshot_load(snapshot_id=snapshot_id)
    previous = previous_snapshot(snapshot.assessment, viewer=None)  # the issuer's own view

    def render() -> bytes:
        return report_pdf(
            snapshot=snapshot_load(snapshot_id=snapshot_id),
            language=language,
            compared_with=previous,
        )

    pdf = render()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render()
        times.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "peak_mb": peak_mb, "size": len(pdf)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--issuer", default="90001")
    parser.add_argument("--child", choices=["en", "zh-hant"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1 or args.runs > 500:
        parser.error("--runs must be between 1 and 500")
    if args.child:
        child(args.issuer, args.child, args.runs)
        return
    rows = []
    for language in ("en", "zh-hant"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                language,
                "--runs",
                str(args.runs),
                "--issuer",
                args.issuer,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr.strip() or out.stdout.strip())
        data = json.loads(out.stdout.strip().splitlines()[-1])
        times = data["times"]
        rows.append(
            (
                language,
                statistics.median(times),
                min(times),
                max(times),
                data["peak_mb"],
                data["size"] / 1024 / 1024,
            )
        )
    print(f"Report PDF, warm worker, {args.runs} renders per language (issuer {args.issuer})")
    header = (
        f"{'language':<10}{'median s':>10}{'min s':>8}{'max s':>8}{'peak RSS MB':>13}{'PDF MB':>8}"
    )
    print(f"{header}   target")
    for language, median, lo, hi, rss, size in rows:
        ok = median <= TARGET_SECONDS and rss <= TARGET_RSS_MB and size <= TARGET_SIZE_MB
        target = f"≤{TARGET_SECONDS} s, ≤{TARGET_RSS_MB} MB, ≤{TARGET_SIZE_MB} MB"
        print(
            f"{language:<10}{median:>10.3f}{lo:>8.3f}{hi:>8.3f}{rss:>13.0f}{size:>8.2f}   "
            f"{target}: {'met' if ok else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
