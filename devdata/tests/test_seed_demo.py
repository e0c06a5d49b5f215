from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import Issuer, User
from assessments.models import Assessment, AssessmentStatus, ScoreSnapshot
from cohorts.models import Cohort

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seed_demo_is_idempotent_and_realistic():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (
        User.objects.count(),
        Issuer.objects.count(),
        Assessment.objects.count(),
        ScoreSnapshot.objects.count(),
    )
    call_command("seed_demo", stdout=out)
    assert counts == (
        User.objects.count(),
        Issuer.objects.count(),
        Assessment.objects.count(),
        ScoreSnapshot.objects.count(),
    )
    assert "lead@example.org" in out.getvalue() and "demo-pass-2026" in out.getvalue()
    cohort = Cohort.objects.get(slug="demo-2026")
    submitted = Assessment.objects.filter(cohort=cohort, status=AssessmentStatus.SUBMITTED)
    assert submitted.count() >= 60
    assert Issuer.objects.filter(stock_code="90001").exists()
    assert Assessment.objects.filter(
        issuer__stock_code="90000", status=AssessmentStatus.DRAFT
    ).exists()
    assert len(set(Issuer.objects.values_list("industry", flat=True))) >= 8
    # Answers vary: overall and per-shift scores spread out, and profiles differ by shift.
    overall = [float(s) for s in ScoreSnapshot.objects.values_list("overall_score", flat=True)]
    assert max(overall) - min(overall) > 30
    strong_gov_weak_growth = 0
    for snap in ScoreSnapshot.objects.all():
        shifts = {s["code"]: s["score"] for s in snap.result["shifts"]}
        if (
            shifts["governance"]
            and shifts["growth"]
            and shifts["governance"] - shifts["growth"] > 20
        ):
            strong_gov_weak_growth += 1
    assert strong_gov_weak_growth >= 3


@override_settings(DEBUG=False)
def test_seed_demo_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


@override_settings(DEBUG=True)
def test_seed_demo_rejects_a_silly_peer_count():
    with pytest.raises(CommandError, match="--peers"):
        call_command("seed_demo", "--peers", "-4", stdout=StringIO())


@override_settings(DEBUG=True)
def test_render_report_works_on_the_demo_data(tmp_path):
    call_command("seed_demo", "--peers", "8", stdout=StringIO())
    for language in ("en", "zh-hant"):
        out = tmp_path / f"90001-{language}.pdf"
        call_command(
            "render_report",
            "--issuer",
            "90001",
            "--lang",
            language,
            "--out",
            str(out),
            stdout=StringIO(),
        )
        assert out.read_bytes().startswith(b"%PDF")


@override_settings(DEBUG=True)
def test_the_demo_staff_sign_in_with_the_printed_second_factor():
    """The printed demo logins still work: the admin (and reviewer) type the code that
    `demo_totp` prints, as the demo's authenticator app would show it."""
    from django.test import Client
    from django.urls import reverse

    out = StringIO()
    call_command("seed_demo", "--peers", "0", stdout=out)
    assert "demo_totp" in out.getvalue() and "DEMODEMO" in out.getvalue()
    for email in ("admin@example.org", "reviewer@example.org"):
        client = Client()
        response = client.post(reverse("login"), {"username": email, "password": "demo-pass-2026"})
        assert response.status_code == 302
        assert client.get("/")["Location"].startswith(reverse("mfa_verify"))
        code = StringIO()
        call_command("demo_totp", stdout=code)
        response = client.post(reverse("mfa_verify"), {"code": code.getvalue().split()[0]})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
