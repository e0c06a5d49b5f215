"""The code the demo's authenticator app would show now (seed_demo's DEMO_TOTP_SECRET), so
the demo admin and reviewer can sign in without setting up an app. DEBUG only."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from .seed_demo import demo_totp_key


class Command(BaseCommand):
    help = "Print the demo staff's current second-factor code (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DEBUG=true.")
        totp = TOTP(bytes.fromhex(demo_totp_key()))
        totp.time = time.time()
        left = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}  (valid for about {left} more seconds)")
