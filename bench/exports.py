"""Benchmark: cohort exports at market scale, wall time and peak memory of the command.

Usage: python -m bench.exports [--cohort SLUG] [--db ai_readiness_bench]

Needs the generated market (`python manage.py generate_market --issuers 2600 --cohorts 5`,
which `make bench` runs, or bench/dashboard.py leaves behind). For the latest programme
year's cohort (`market-<year>`, every issuer) it runs
`python manage.py export_cohort --cohort SLUG --format csv|xlsx --kind summary|answers`
in a fresh process, and reports its wall time (Django start-up included, as an operator
would see it), its CPU time and peak resident memory (`getrusage(RUSAGE_CHILDREN)` of a
wrapper process that starts only that command, so no other child is counted). The market
has no people: a lead is added to every issuer without a contact first (half of them
logged in), so the summary's contact columns are measured on real rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common
from bench.common import Row, log

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 200.0
COMBINATIONS = [("csv", "summary"), ("xlsx", "summary"), ("csv", "answers"), ("xlsx", "answers")]


def measure_child(cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run `cmd` as this process's only child: wall time, exit code, its peak RSS."""
    started = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        code, error = out.returncode, out.stderr.strip()[-2000:]
    except subprocess.TimeoutExpired:
        code, error = -1, f"still running after {timeout:.0f} s, stopped"
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the command itself (not PostgreSQL's): on a busy machine the wall
    # time says more about the neighbours than about the export.
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024
    return {"seconds": wall, "cpu_s": cpu, "peak_mb": peak_mb, "code": code, "error": error}


def find_cohort() -> dict[str, Any] | None:
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from assessments.models import Assessment
    from cohorts.models import Cohort

    cohort = Cohort.objects.filter(slug__startswith="market-").order_by("-year").first()
    if cohort is None:
        return None
    assessments = Assessment.objects.filter(cohort=cohort)
    return {
        "slug": cohort.slug,
        "issuers": assessments.count(),
        "submitted": assessments.filter(submitted_at__isnull=False).count(),
        "contacts_added": ensure_contacts(cohort),
    }


def ensure_contacts(cohort: Any) -> int:
    """A lead for every issuer of the cohort that has no contact (the generated market
    has none), so the summary's contact columns are measured on real rows: half of them
    have logged in, half were only invited. Returns how many were added."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Issuer, Role, User
    from accounts.selectors import issuer_contacts

    ids = list(Issuer.objects.filter(assessments__cohort=cohort).values_list("pk", flat=True))
    have = issuer_contacts(issuer_ids=ids)
    taken = set(
        User.objects.filter(email__endswith="@bench.example").values_list("email", flat=True)
    )
    now = timezone.now()
    unusable = make_password(None)
    usable = make_password("bench-contact-password")
    added = 0
    with transaction.atomic():
        for pk in ids:
            email = f"lead-{pk}@bench.example"
            if pk in have or email in taken:
                continue
            # save(), not bulk_create: saving a person with an issuer is what records
            # them as its contact, whichever table that is.
            User(
                email=email,
                full_name=f"Lead {pk}",
                role=Role.ISSUER_LEAD,
                issuer_id=pk,
                password=usable if pk % 2 else unusable,
                last_login=now if pk % 2 else None,
            ).save()
            added += 1
    return added


def run_exports(
    *, db: str, redis_db: int, cohort: str | None = None, timeout: float = 120
) -> tuple[list[Row], dict[str, Any]]:
    env = common.app_env(db=db, redis_db=redis_db)
    found = common.run_json(
        [common.PY, "-m", "bench.exports", "--find"], env=env, timeout=120, what="find cohort"
    )
    if cohort is None:
        if not found:
            msg = "no market cohort: run generate_market (see devdata/market.py) first"
            log(f"exports: skipped, {msg}")
            return [Row("cohort export", "skipped", msg)], {"skipped": msg}
        cohort = found["slug"]
    area = f"cohort export ({cohort}, {found['issuers']:,} issuers)" if found else "cohort export"
    out_dir = common.WORK / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    raw: dict[str, Any] = {"cohort": found}
    for fmt, kind in COMBINATIONS:
        path = out_dir / f"{cohort}-{kind}.{fmt}"
        path.unlink(missing_ok=True)
        command = [common.PY, "manage.py", "export_cohort", "--cohort", cohort]
        command += ["--format", fmt, "--kind", kind, "--out", str(path)]
        result = common.run_json(
            [common.PY, "-m", "bench.exports", "--measure", str(timeout), "--", *command],
            env=env,
            timeout=timeout + 60,
            what=f"export {fmt} {kind}",
        )
        result["mb"] = path.stat().st_size / 1024 / 1024 if path.exists() else 0
        raw[f"{kind}.{fmt}"] = result
        failed = result["code"] != 0
        log(
            f"export {kind} {fmt}: {result['seconds']:.1f} s (CPU {result['cpu_s']:.1f} s), "
            f"peak {result['peak_mb']:.0f} MB, "
            f"{result['mb']:.1f} MB" + (f" FAILED: {result['error']}" if failed else "")
        )
        ok = (
            not failed
            and result["seconds"] <= TARGET_SECONDS
            and result["peak_mb"] <= TARGET_RSS_MB
        )
        value = (
            f"failed: {result['error'][-200:]}"
            if failed
            else f"{result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB, "
            f"file {result['mb']:.1f} MB"
        )
        rows.append(Row(area, f"{kind} {fmt.upper()}", value, "≤ 10 s, ≤ 200 MB", ok))
    return rows, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort")
    parser.add_argument("--db", default="ai_readiness_bench")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--find", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", type=float, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.find:
        print(json.dumps(find_cohort()))
        return
    if args.measure:
        print(json.dumps(measure_child(args.command, args.measure)))
        return
    rows, _ = run_exports(db=args.db, redis_db=9, cohort=args.cohort, timeout=args.timeout)
    print(common.table_text(rows))


if __name__ == "__main__":
    main()
