from __future__ import annotations

import random
from base64 import b32decode
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

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
from assessments.models import Answer, Assessment, AssessmentStatus, FrameworkVersion
from assessments.scoring import AnswerValue
from assessments.selectors import framework_latest, framework_of
from assessments.services import assessment_create, framework_load_all, snapshot_create
from cohorts.models import Cohort, CohortStatus
from devdata.demo import PLACES, SUFFIXES, random_profile, synthetic_answers

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin@example.org", "Association Admin", Role.ASSOCIATION_ADMIN),
    ("reviewer@example.org", "Association Reviewer", Role.ASSOCIATION_REVIEWER),
    ("lead@example.org", "Mei Chan (lead)", Role.ISSUER_LEAD),
    ("contributor@example.org", "Ka Ho Wong (contributor)", Role.ISSUER_CONTRIBUTOR),
]
# The demo's association staff must use a second factor like real ones (accounts/mfa.py):
# they get an authenticator app with this known secret. Add it to any authenticator app,
# or print the current code with `manage.py demo_totp`.
DEMO_TOTP_SECRET = "DEMO" * 8  # base32, 20 bytes
DEMO_ISSUER_CODE = "90000"
# The edition the demo company answered last year (frameworks/v1.yaml).
FIRST_EDITION = "2026.1"
FIRST_SYNTHETIC = 90001

SECTORS = [
    ("Precision", "精密", Industry.INDUSTRIALS),
    ("Logistics", "物流", Industry.INDUSTRIALS),
    ("Foods", "食品", Industry.CONSUMER_STAPLES),
    ("Textiles", "紡織", Industry.CONSUMER_DISCRETIONARY),
    ("Health", "健康", Industry.HEALTHCARE),
    ("Fintech", "金融科技", Industry.FINANCIALS),
    ("Property", "地產", Industry.PROPERTIES),
    ("Energy", "能源", Industry.ENERGY),
    ("Materials", "材料", Industry.MATERIALS),
    ("Telecom", "電訊", Industry.TELECOMMUNICATIONS),
    ("Software", "軟件", Industry.IT),
    ("Utilities", "公用", Industry.UTILITIES),
    ("Retail", "零售", Industry.CONSUMER_DISCRETIONARY),
    ("Diversified", "綜合", Industry.CONGLOMERATES),
]


def _fill(
    assessment: Assessment,
    answers: dict[str, AnswerValue],
    *,
    user: User | None = None,
    only: set[str] | None = None,
    at: datetime | None = None,
) -> list[Answer]:
    """Write synthetic answers straight onto the answer rows (demo data has no history)."""
    rows = list(Answer.objects.filter(assessment=assessment).select_related("item"))
    for n, row in enumerate(rows):
        value = answers.get(row.item.code)
        if value is None or (only is not None and row.item.code not in only):
            continue
        row.level, row.choice, row.number = value.level, value.choice, value.number
        row.dont_know, row.version, row.updated_by = value.dont_know, 1, user
        row.updated_at = at - timedelta(hours=len(rows) - n) if at else None
    Answer.objects.bulk_update(
        rows, ["level", "choice", "number", "dont_know", "version", "updated_by", "updated_at"]
    )
    return rows


def demo_totp_key() -> str:
    """The demo secret as django-otp stores it (hex)."""
    return b32decode(DEMO_TOTP_SECRET).hex()


class Command(BaseCommand):
    help = (
        "Create demo accounts, a demo issuer and ≥60 synthetic submitted peers. "
        "Idempotent; DEBUG only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--peers", type=int, default=64, help="synthetic issuers (default 64)")

    def handle(self, *args: Any, peers: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG=true: it creates accounts with known passwords."
            )
        if not 0 <= peers <= 2000:
            raise CommandError("--peers must be between 0 and 2000.")
        framework_load_all()
        version = framework_latest()
        assert version is not None
        with transaction.atomic():
            cohort = self._cohort(version)
            issuer = self._demo_issuer()
            users = self._users(issuer)
            cohort.reviewers.add(users[Role.ASSOCIATION_REVIEWER])
            # Last year's assessment was answered on the first edition, so the demo shows
            # "change since last time" across editions (parts new in this one marked so).
            first = FrameworkVersion.objects.filter(version=FIRST_EDITION).first() or version
            self._demo_history(issuer, first, users)
            self._demo_assessment(issuer, cohort, version, users)
            created = self._peers(peers, cohort, version)
        self.stdout.write(
            f"Demo data ready: cohort {cohort.slug}, {created} new synthetic issuers."
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_USERS:
            self.stdout.write(f"  {role.label:<22} {email}")
        self.stdout.write(
            "The admin and the reviewer also need a code from an authenticator app: add the "
            f"key {DEMO_TOTP_SECRET} to one, or run `DEBUG=true .venv/bin/python manage.py "
            "demo_totp` for the current code."
        )

    def _cohort(self, version: FrameworkVersion) -> Cohort:
        cohort, _ = Cohort.objects.get_or_create(
            slug="demo-2026",
            defaults={
                "name_en": "2026 members survey (demo)",
                "name_zh": "2026年度會員調查（示範）",
                "year": 2026,
                "framework": version,
                # Open around whatever day the demo is set up, so that it can be answered.
                "opens_on": timezone.localdate() - timedelta(days=30),
                "closes_on": timezone.localdate() + timedelta(days=60),
                "status": CohortStatus.OPEN,
            },
        )
        if cohort.closes_on < timezone.localdate():
            # A demo database set up in an earlier round: reopen it rather than show a
            # demo in which nothing can be answered.
            cohort.opens_on = min(cohort.opens_on, timezone.localdate())
            cohort.closes_on = timezone.localdate() + timedelta(days=60)
            cohort.save(update_fields=["opens_on", "closes_on"])
        return cohort

    def _demo_issuer(self) -> Issuer:
        issuer, _ = Issuer.objects.get_or_create(
            stock_code=DEMO_ISSUER_CODE,
            defaults={
                "name_en": "Harbour Precision Holdings Limited",
                "name_zh": "港灣精密控股有限公司",
                "board": Board.MAIN,
                "industry": Industry.INDUSTRIALS,
                "market_cap_band": MarketCapBand.S,
                "revenue_band": RevenueBand.M,
                "employee_band": EmployeeBand.M,
            },
        )
        return issuer

    def _users(self, issuer: Issuer) -> dict[str, User]:
        users: dict[str, User] = {}
        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                is_admin = role == Role.ASSOCIATION_ADMIN
                user = User.objects.create_user(
                    email,
                    DEMO_PASSWORD,
                    full_name=name,
                    role=role,
                    issuer=issuer if role in (Role.ISSUER_LEAD, Role.ISSUER_CONTRIBUTOR) else None,
                    is_staff=is_admin,
                    is_superuser=is_admin,
                )
            users[role] = user
            if role in (Role.ASSOCIATION_ADMIN, Role.ASSOCIATION_REVIEWER):
                TOTPDevice.objects.get_or_create(
                    user=user,
                    name="demo app",
                    defaults={"key": demo_totp_key(), "confirmed": True},
                )
        return users

    def _demo_history(
        self, issuer: Issuer, version: FrameworkVersion, users: dict[str, User]
    ) -> None:
        """Last year's submitted assessment, so results, reports and year-on-year change show."""
        if Assessment.objects.filter(issuer=issuer, submitted_at__isnull=False).exists():
            return
        lead = users[Role.ISSUER_LEAD]
        assessment = assessment_create(issuer=issuer, framework=version, user=lead)
        fw = framework_of(version)
        rng = random.Random(2025)
        answers = synthetic_answers(fw, random_profile(rng), rng)
        rows = _fill(assessment, answers, user=lead)
        submitted = timezone.now() - timedelta(days=365)
        Assessment.objects.filter(pk=assessment.pk).update(
            status=AssessmentStatus.SUBMITTED,
            submitted_at=submitted,
            submitted_by=lead,
            created_at=submitted - timedelta(days=14),
            updated_at=submitted,
        )
        snapshot_create(assessment=assessment, answers=rows, user=lead, at=submitted)

    def _demo_assessment(
        self, issuer: Issuer, cohort: Cohort, version: FrameworkVersion, users: dict[str, User]
    ) -> None:
        if Assessment.objects.filter(issuer=issuer, cohort=cohort).exists():
            return
        assessment = assessment_create(
            issuer=issuer, framework=version, user=users[Role.ISSUER_LEAD], cohort=cohort
        )
        fw = framework_of(version)
        rng = random.Random(2026)
        first = fw.shifts[0]
        # About half of the first step answered, by two people, so "who changed it" shows.
        chosen = [i.code for i in first.items[: len(first.items) // 2]]
        answers = synthetic_answers(fw, random_profile(rng), rng)
        now = timezone.now()
        _fill(assessment, answers, user=users[Role.ISSUER_LEAD], only=set(chosen[0::2]), at=now)
        _fill(
            assessment, answers, user=users[Role.ISSUER_CONTRIBUTOR], only=set(chosen[1::2]), at=now
        )

    def _peers(self, count: int, cohort: Cohort, version: FrameworkVersion) -> int:
        fw = framework_of(version)
        codes = [str(FIRST_SYNTHETIC + n).zfill(5) for n in range(count)]
        existing = set(
            Issuer.objects.filter(stock_code__in=codes).values_list("stock_code", flat=True)
        )
        created = 0
        for n, code in enumerate(codes):
            if code in existing:
                continue
            rng = random.Random(f"peer-{code}")
            place, sector, suffix = (
                PLACES[n % len(PLACES)],
                SECTORS[(n * 5) % len(SECTORS)],
                rng.choice(SUFFIXES),
            )
            issuer = Issuer.objects.create(
                stock_code=code,
                name_en=f"{place[0]} {sector[0]} {suffix[0]} Limited",
                name_zh=f"{place[1]}{sector[1]}{suffix[1]}有限公司",
                board=Board.GEM if rng.random() < 0.25 else Board.MAIN,
                industry=sector[2],
                market_cap_band=rng.choice(MarketCapBand.values),
                revenue_band=rng.choice(RevenueBand.values),
                employee_band=rng.choice(EmployeeBand.values),
                profile_confirmed_at=timezone.now(),
            )
            assessment = assessment_create(
                issuer=issuer, framework=version, user=None, cohort=cohort
            )
            answers = synthetic_answers(fw, random_profile(rng), rng)
            rows = _fill(assessment, answers)
            submitted = timezone.now() - timedelta(days=rng.randint(1, 120))
            snapshot_create(assessment=assessment, answers=rows, user=None, at=submitted)
            Assessment.objects.filter(pk=assessment.pk).update(
                status=AssessmentStatus.SUBMITTED, submitted_at=submitted, updated_at=submitted
            )
            created += 1
        return created
