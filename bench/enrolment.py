"""Benchmark: the enrolment preview of a 2,000-row file (target ≤ 3 s).

Usage: python -m bench.enrolment [--rows 2000] [--runs 5] [--db ai_readiness_bench_enrol]

In a database of its own (created, migrated, framework loaded, static files collected:
`common.prepare_database`), a cohort `bench-enrol` and 1,000 issuers on record, each with
a lead, 100 of them already enrolled in the cohort. The file is what a secretary's Excel
export looks like: a byte-order mark, CRLF line ends, Traditional Chinese names, stock
codes written as `0700.HK`, `700` and `00700`, labels in both languages, one row in ten
an empty `,,,,,` row, two extra columns; half its rows are issuers on record (half of
those with different details, so the preview shows a field-by-field diff for 500 rows),
half new ones, a few with errors. Then the upload is POSTed to the enrolment page through
the Django test Client, logged in as an association admin, as the browser sends it: the
whole view (read, decode, validate, classify against the record, keep the file in the
session, render the preview), once to warm up and then --runs times; median and slowest
wall time, the Django process's CPU time (PostgreSQL's not included: on a busy shared
machine the wall time mostly waits for a core), queries, page size. The import itself is
not timed (it creates an assessment with its answer rows per new issuer: that is
assessment_create's cost, not enrolment's).

The measuring half runs in a child process with the benchmark's environment (DEBUG off,
as in production); this process only orchestrates and prints the table.
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
from bench.common import Row, log

DB = "ai_readiness_bench_enrol"
REDIS_DB = 9  # nothing is queued: the preview sends no task
TARGET_SECONDS = 3.0
ON_RECORD = 1000
ENROLLED = 100
FIRST_CODE = 60000
SLUG = "bench-enrol"
ADMIN_EMAIL = "bench-enrol-admin@example.org"
INDUSTRIES = [
    "Information Technology",
    "資訊科技業",
    "industrials",
    "金融業",
    "Properties & Construction",
    "必需性消費",
]
BOARDS = ["Main Board", "主板", "GEM", "創業板 (GEM)", "main"]


def fixtures() -> None:
    """The cohort, the admin and the issuers on record (idempotent)."""
    from django.db import transaction

    from accounts.models import Industry, Issuer, Membership, MembershipRole, Role, User
    from assessments.models import Assessment
    from assessments.selectors import framework_latest
    from assessments.services import assessment_create
    from cohorts.models import Cohort

    version = framework_latest()
    if version is None:
        raise SystemExit("no framework version is loaded")
    admin, _ = User.objects.get_or_create(
        email=ADMIN_EMAIL,
        defaults={"role": Role.ASSOCIATION_ADMIN, "is_staff": True, "full_name": "Bench admin"},
    )
    cohort, _ = Cohort.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name_en": "Enrolment benchmark",
            "name_zh": "登記基準測試",
            "year": 2026,
            "framework": version,
            "opens_on": "2026-01-01",
            "closes_on": "2026-12-31",
            "status": "open",
        },
    )
    if Issuer.objects.filter(stock_code__startswith="6").count() >= ON_RECORD:
        return
    industries = list(Industry.values)
    with transaction.atomic():
        issuers = Issuer.objects.bulk_create(
            [
                Issuer(
                    stock_code=f"{FIRST_CODE + n:05d}",
                    name_en=f"Bench Member {n} Holdings Limited",
                    name_zh=f"基準成員{n}控股有限公司",
                    industry=industries[n % len(industries)],
                    board="main" if n % 4 else "gem",
                )
                for n in range(ON_RECORD)
            ],
            ignore_conflicts=True,
        )
        issuers = list(Issuer.objects.filter(stock_code__startswith="6").order_by("stock_code"))
        User.objects.bulk_create(
            [
                User(email=f"lead{i.stock_code}@member.example", role=Role.ISSUER_LEAD, issuer=i)
                for i in issuers
            ],
            ignore_conflicts=True,
        )
        # Each lead acts for its issuer (bulk_create skips what create_user would add).
        leads = User.objects.filter(email__endswith="@member.example").values_list(
            "pk", "issuer_id"
        )
        Membership.objects.bulk_create(
            [Membership(user_id=u, issuer_id=i, role=MembershipRole.LEAD) for u, i in leads],
            ignore_conflicts=True,
        )
        for issuer in issuers[:ENROLLED]:
            if not Assessment.objects.filter(issuer=issuer, cohort=cohort).exists():
                assessment_create(issuer=issuer, framework=version, user=admin, cohort=cohort)


def messy_file(rows: int) -> bytes:
    """`rows` issuer rows (half on record), plus one empty Excel row per ten."""
    lines = ["Stock code,English name,Chinese name,Industry,Board,Lead's e-mail,聯絡人,Phone"]
    industries = ["Energy", "原材料業", "industrials"]
    recorded = [
        "energy",
        "materials",
        "industrials",
        "consumer_discretionary",
        "consumer_staples",
        "healthcare",
        "telecommunications",
        "utilities",
        "financials",
        "properties_construction",
        "information_technology",
        "conglomerates",
    ]  # Industry.values, in the order fixtures() gives them out
    for n in range(rows):
        if n % 10 == 9:
            lines.append(",,,,,,,")
        if n % 2 == 0 and n // 2 < ON_RECORD:  # on record; every other one differs
            k = n // 2
            code = FIRST_CODE + k
            if k % 2:
                name, name_zh = f"Bench Member {k} Holdings Ltd", ""
                industry, board = industries[k % 3], "GEM"
            else:
                name, name_zh = f"Bench Member {k} Holdings Limited", f"基準成員{k}控股有限公司"
                industry = recorded[k % len(recorded)]
                board = "main" if k % 4 else "gem"
            email = f"lead{code:05d}@member.example"
        else:
            code = 10000 + n
            name, name_zh = f"New Company {n} Limited", f"新公司{n}有限公司"
            industry, board = INDUSTRIES[n % len(INDUSTRIES)], BOARDS[n % len(BOARDS)]
            email = f"lead{n}@new.example"
        shown = (f"{code}", f"{code:05d}", f"{code:05d}.HK")[n % 3]
        if n % 97 == 96:
            industry = "Property"  # an error row: unknown industry
        lines.append(f"{shown},{name},{name_zh},{industry},{board},{email},陳大文,2123 4567")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def measure(rows: int, runs: int) -> dict[str, Any]:
    """In the child: time the preview request (see the module's docstring)."""
    sys.path.insert(0, str(common.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from assessments.tests.factories import second_factor_given

    fixtures()
    body = messy_file(rows)
    client = Client()
    admin = User.objects.get(email=ADMIN_EMAIL)
    client.force_login(admin)
    second_factor_given(client, admin)  # association staff: as after the code page
    url = f"/cohorts/{SLUG}/enrol/"

    def preview() -> Any:
        upload = SimpleUploadedFile("members.csv", body, "text/csv")
        response = client.post(url, {"file": upload})
        assert response.status_code == 200, response.status_code
        assert b'id="enrol-preview"' in response.content, "no preview in the page"
        return response

    preview()  # warm: templates, translation catalogues, lookups
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = preview()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    with CaptureQueriesContext(connection) as ctx:
        preview()
    html = response.content.decode()
    return {
        "rows": rows,
        "bytes": len(body),
        "median": statistics.median(times),
        "max": max(times),
        "cpu": statistics.median(cpu),
        "queries": len(ctx.captured_queries),
        "page_kb": len(response.content) / 1024,
        "diff_rows": html.count('class="enrol-changes"'),
        "error_rows": html.count('data-state="error"'),
        "existing_contacts": html.count('class="enrol-contact">Existing contact'),
    }


def run_enrolment(*, db: str = DB, rows: int = 2000, runs: int = 5) -> tuple[list[Row], Any]:
    common.prepare_database(db, REDIS_DB)
    env = common.app_env(db=db, redis_db=REDIS_DB)
    command = [common.PY, "-m", "bench.enrolment", "--measure", "--rows", str(rows)]
    result = common.run_json(
        [*command, "--runs", str(runs)],
        env=env,
        timeout=900,
        what="enrolment preview",
    )
    area = f"enrolment preview ({result['rows']:,} rows, {result['bytes'] / 1024:.0f} KB CSV)"
    value = (
        f"median {result['median']:.2f} s (slowest {result['max']:.2f} s; CPU of the "
        f"Django process {result['cpu']:.2f} s), "
        f"{result['queries']} queries, page {result['page_kb']:.0f} KB"
    )
    detail = (
        f"{result['diff_rows']} rows with a field-by-field diff, {result['error_rows']} with "
        f"errors, {result['existing_contacts']} existing contacts"
    )
    return [
        Row(area, f"upload → preview page, {runs} runs", value, "≤ 3 s", result["median"] <= 3),
        Row(area, "what the preview showed", detail),
    ], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.rows <= 5000 or not 1 <= args.runs <= 100:
        parser.error("--rows 1..5000 (the enrolment limit), --runs 1..100")
    if args.measure:
        print(json.dumps(measure(args.rows, args.runs)))
        return
    info = common.machine_info()
    log(common.machine_line(info))
    rows, _ = run_enrolment(db=args.db, rows=args.rows, runs=args.runs)
    print(common.table_text(rows))


if __name__ == "__main__":
    main()
