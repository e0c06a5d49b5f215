"""Benchmark data: issuers with their own leads, and a cohort of submitted assessments.

Usage (with the benchmark's DATABASE_URL in the environment):
    python -m bench.fixtures --leads 50 --bulk 30 [--reset-reports]

- `--leads N`: issuers 88000… ("(bench)" at the end of the name), each with its own lead
  `bench-lead-NNN@bench.example.org`, a confirmed company profile, last year's submitted
  assessment (score snapshot, so results and reports exist) and this year's draft, which
  the wizard benchmarks and the load test fill in. Every lead has the same password.
- `--bulk M`: a cohort `bench-bulk` of M submitted issuers (88500…) for bulk reports.
- one association admin `bench-admin@bench.example.org` (requests the bulk reports).
- `--reset-reports`: delete every report (and its file) of those issuers first, so a
  run renders them again.

Idempotent: what exists is kept. Prints one JSON line: logins and assessment ids.
Never touches seed_demo's or generate_market's data (other stock code ranges).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIRST_LEAD_CODE = 88000
FIRST_BULK_CODE = 88500
MAX_LEADS = 400
MAX_BULK = 400
BULK_COHORT = "bench-bulk"
DOMAIN = "bench.example.org"
ADMIN_EMAIL = f"bench-admin@{DOMAIN}"
# Loopback benchmark accounts in a benchmark database only.
PASSWORD = "bench-pass-2026-loopback"  # noqa: S105


def lead_email(n: int) -> str:
    return f"bench-lead-{n:03d}@{DOMAIN}"


def build(*, leads: int, bulk: int, reset_reports: bool) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import (
        Board,
        EmployeeBand,
        Industry,
        Issuer,
        MarketCapBand,
        RevenueBand,
        Role,
        User,
    )
    from assessments.models import Answer, Assessment, AssessmentStatus
    from assessments.selectors import framework_latest, framework_of
    from assessments.services import assessment_create, framework_load_all, snapshot_create
    from cohorts.models import Cohort, CohortStatus
    from devdata.demo import random_profile, synthetic_answers
    from reports.models import Report

    framework_load_all()
    version = framework_latest()
    if version is None:
        raise SystemExit("no framework version is loaded")
    fw = framework_of(version)
    hashed = make_password(PASSWORD)  # hashed once: creating 50 users stays fast
    now = timezone.now()
    industries = list(Industry.values)

    def issuer_for(code: int, n: int) -> Issuer:
        issuer, _ = Issuer.objects.get_or_create(
            stock_code=str(code),
            defaults={
                "name_en": f"Bench Company {n:03d} Limited (bench)",
                "name_zh": f"基準測試公司{n:03d}有限公司",
                "board": Board.GEM if n % 4 == 3 else Board.MAIN,
                "industry": industries[n % len(industries)],
                "market_cap_band": MarketCapBand.values[n % len(MarketCapBand.values)],
                "revenue_band": RevenueBand.values[n % len(RevenueBand.values)],
                "employee_band": EmployeeBand.values[n % len(EmployeeBand.values)],
                "profile_confirmed_at": now,
            },
        )
        return issuer

    def submitted(issuer: Issuer, *, cohort: Cohort | None, user: User | None, seed: str) -> int:
        assessment = assessment_create(issuer=issuer, framework=version, user=user, cohort=cohort)
        rng = random.Random(seed)  # noqa: S311 - synthetic data
        values = synthetic_answers(fw, random_profile(rng), rng)
        rows = list(Answer.objects.filter(assessment=assessment).select_related("item"))
        for row in rows:
            value = values.get(row.item.code)
            if value is None:
                continue
            row.level, row.choice, row.number = value.level, value.choice, value.number
            row.dont_know, row.version, row.updated_by = value.dont_know, 1, user
        Answer.objects.bulk_update(
            rows, ["level", "choice", "number", "dont_know", "version", "updated_by"]
        )
        at = now - timedelta(days=365 if cohort is None else 30)
        Assessment.objects.filter(pk=assessment.pk).update(
            status=AssessmentStatus.SUBMITTED,
            submitted_at=at,
            submitted_by=user,
            created_at=at - timedelta(days=14),
            updated_at=at,
        )
        snapshot_create(assessment=assessment, answers=rows, user=user, at=at)
        return assessment.pk

    out: dict[str, Any] = {"password": PASSWORD, "leads": [], "admin": ADMIN_EMAIL}
    with transaction.atomic():
        if not User.objects.filter(email=ADMIN_EMAIL).exists():
            User.objects.create(
                email=ADMIN_EMAIL,
                password=hashed,
                full_name="Bench Admin",
                role=Role.ASSOCIATION_ADMIN,
            )
        for n in range(1, leads + 1):
            issuer = issuer_for(FIRST_LEAD_CODE + n - 1, n)
            user = User.objects.filter(email=lead_email(n)).first()
            if user is None:
                user = User.objects.create(
                    email=lead_email(n),
                    password=hashed,
                    full_name=f"Bench Lead {n:03d}",
                    role=Role.ISSUER_LEAD,
                    issuer=issuer,
                )
            past = (
                Assessment.objects.filter(issuer=issuer, submitted_at__isnull=False)
                .values_list("pk", flat=True)
                .first()
            )
            if past is None:
                past = submitted(issuer, cohort=None, user=user, seed=f"bench-{n}")
            draft = (
                Assessment.objects.filter(issuer=issuer, status=AssessmentStatus.DRAFT)
                .values_list("pk", flat=True)
                .first()
            )
            if draft is None:
                draft = assessment_create(issuer=issuer, framework=version, user=user).pk
            out["leads"].append({"email": user.email, "draft": draft, "past": past})

        if bulk:
            cohort, _ = Cohort.objects.get_or_create(
                slug=BULK_COHORT,
                defaults={
                    "name_en": "Bench: bulk reports",
                    "name_zh": "基準測試：批量報告",
                    "year": now.year,
                    "framework": version,
                    "opens_on": date(now.year, 1, 1),
                    "closes_on": date(now.year, 12, 31),
                    "status": CohortStatus.OPEN,
                },
            )
            have = set(
                Assessment.objects.filter(cohort=cohort).values_list(
                    "issuer__stock_code", flat=True
                )
            )
            for m in range(1, bulk + 1):
                code = FIRST_BULK_CODE + m - 1
                if str(code) in have:
                    continue
                issuer = issuer_for(code, 500 + m)
                submitted(issuer, cohort=cohort, user=None, seed=f"bench-bulk-{m}")
            out["bulk_cohort"] = cohort.slug
            out["bulk"] = Assessment.objects.filter(
                cohort=cohort, submitted_at__isnull=False
            ).count()

    if reset_reports:
        codes = [str(FIRST_LEAD_CODE + n) for n in range(MAX_LEADS)] + [
            str(FIRST_BULK_CODE + m) for m in range(MAX_BULK)
        ]
        deleted = 0
        for report in Report.objects.filter(assessment__issuer__stock_code__in=codes):
            if report.file:
                report.file.delete(save=False)
            report.delete()
            deleted += 1
        out["reports_deleted"] = deleted
    try:  # django-axes: nothing should be locked (passwords are right), but start clean
        from axes.models import AccessAttempt

        AccessAttempt.objects.filter(username__endswith=f"@{DOMAIN}").delete()
    except ImportError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=50)
    parser.add_argument("--bulk", type=int, default=0)
    parser.add_argument("--reset-reports", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.leads <= MAX_LEADS or not 0 <= args.bulk <= MAX_BULK:
        parser.error(f"--leads and --bulk must be between 0 and {MAX_LEADS}")
    print(json.dumps(build(leads=args.leads, bulk=args.bulk, reset_reports=args.reset_reports)))


if __name__ == "__main__":
    main()
