from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assessments.selectors import framework_latest
from assessments.services import framework_load_all
from devdata import market


class Command(BaseCommand):
    help = (
        "Generate a synthetic market for performance work: ISSUERS issuers (stock codes "
        f"{market.FIRST_CODE} upwards, names ending in '{market.SYNTHETIC_TAG}'), one cohort "
        f"per programme year (slugs '{market.SLUG_PREFIX}<year>') holding every issuer, with "
        "answers, submissions, reviews and score snapshots computed by the scoring code. "
        "The same --seed and --year give the same data. If an earlier run's data exists the "
        "command refuses, unless --replace is given: then it deletes exactly that generated "
        "data first (never anything else) and generates afresh, in one transaction. "
        "DEBUG only: synthetic snapshots count in peer statistics."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--issuers",
            type=int,
            default=2600,
            help=f"number of issuers, 1 to {market.MAX_ISSUERS:,} (default 2600)",
        )
        parser.add_argument(
            "--cohorts",
            type=int,
            default=5,
            help=f"programme years, 1 to {market.MAX_COHORTS}, at most --issuers (default 5)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--year", type=int, default=None, help="the latest (open) year (default: this year)"
        )
        parser.add_argument(
            "--replace",
            action=argparse.BooleanOptionalAction,
            default=False,
            help="delete the previously generated market first instead of refusing",
        )

    def handle(
        self,
        *args: Any,
        issuers: int,
        cohorts: int,
        seed: int,
        year: int | None,
        replace: bool,
        **options: Any,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "generate_market only runs with DEBUG=true: its synthetic snapshots would "
                "count in real issuers' peer statistics."
            )
        last_year = year if year is not None else timezone.now().year
        try:
            market.market_check_arguments(
                issuers=issuers, cohorts=cohorts, seed=seed, last_year=last_year
            )
        except market.MarketError as exc:
            raise CommandError(str(exc)) from exc
        framework_load_all()
        version = framework_latest()
        if version is None:
            raise CommandError("No framework version is loaded.")
        self.stdout.write(
            f"Generating {issuers} issuers × {cohorts} programme year(s) "
            f"(seed {seed}, latest year {last_year}, framework {version.version})…"
        )
        try:
            summary = market.market_generate(
                framework=version,
                issuers=issuers,
                cohorts=cohorts,
                seed=seed,
                last_year=last_year,
                replace=replace,
                progress=self.stdout.write,
            )
        except market.MarketError as exc:
            raise CommandError(str(exc)) from exc
        if summary.replaced:
            self.stdout.write(f"Deleted from the earlier run ({summary.delete_seconds:.1f} s):")
            for label, n in sorted(summary.replaced.items()):
                self.stdout.write(f"  {label:<30}{n:>12,}")
        self.stdout.write("Rows written:")
        for label, n in sorted(summary.rows.items()):
            self.stdout.write(f"  {label:<30}{n:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated in {summary.seconds:.1f} s; cohorts: {', '.join(summary.cohort_slugs)}"
            )
        )
