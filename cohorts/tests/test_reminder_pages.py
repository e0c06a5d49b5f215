"""The cohort's e-mail log page, the admin's "remind those not submitted" and the
`cohort_reminders` command (on the demo data that `make run` serves)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, AssessmentStatus
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    association_admin,
    client_for,
    lead,
    reviewer,
)
from cohorts.models import Cohort, CohortStatus
from core.models import EmailKind, EmailStatus, SentEmail

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def cohort(framework):
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=TODAY - datetime.timedelta(days=20),
        closes_on=TODAY + datetime.timedelta(days=20),
        name_en="Members survey",
    )
    for n in range(3):
        issuer = IssuerFactory(name_en=f"Company {n} Limited")
        lead(issuer, language="en", email=f"lead{n}@example.org")
        a = services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
        if n == 2:
            Assessment.objects.filter(pk=a.pk).update(
                status=AssessmentStatus.SUBMITTED, submitted_at=timezone.now()
            )
    return cohort


def test_admin_reminds_those_not_submitted_once_a_day(cohort, eager, oncommit):
    admin = client_for(association_admin())
    page = admin.get(f"/cohorts/{cohort.slug}/emails/").content.decode()
    assert "2 issuers have not submitted" in page
    assert "No e-mail has been sent for this cohort yet." in page
    with oncommit(execute=True):
        response = admin.post(f"/cohorts/{cohort.slug}/remind/")
    assert response["Location"] == f"/cohorts/{cohort.slug}/emails/"
    assert sorted(m.to[0] for m in mail.outbox) == ["lead0@example.org", "lead1@example.org"]
    page = admin.get(f"/cohorts/{cohort.slug}/emails/").content.decode()
    assert "A reminder is being sent to 2 issuers" in page
    assert page.count("lead0@example.org") == 1
    assert "Deadline reminder" in page and "Delivered to the mail server" in page
    # Clicked again the same day: nothing more is sent.
    with oncommit(execute=True):
        admin.post(f"/cohorts/{cohort.slug}/remind/")
    assert len(mail.outbox) == 2
    assert SentEmail.objects.filter(kind=EmailKind.REMINDER, status=EmailStatus.SENT).count() == 2


def test_a_cohort_that_is_not_open_sends_no_reminder(cohort, eager, oncommit):
    Cohort.objects.filter(pk=cohort.pk).update(status=CohortStatus.CLOSED)
    admin = client_for(association_admin())
    with oncommit(execute=True):
        response = admin.post(f"/cohorts/{cohort.slug}/remind/", follow=True)
    assert "Reminders go only to an open cohort" in response.content.decode()
    assert mail.outbox == []


def test_the_log_shows_failures_in_the_admins_language(cohort):
    SentEmail.objects.create(
        recipient="lead0@example.org",
        kind=EmailKind.RETURNED,
        reason="returned:a1:s1",
        scope=f"cohort:{cohort.pk}",
        on_date=TODAY,
        subject="Changes requested",
        language="",
        status=EmailStatus.FAILED,
        error="SMTPRecipientsRefused: no such user",
    )
    SentEmail.objects.create(  # another cohort's: not listed
        recipient="elsewhere@example.org",
        kind=EmailKind.REMINDER,
        scope=f"cohort:{cohort.pk + 1000}",
        on_date=TODAY,
    )
    admin = association_admin(language="zh-hant")
    page = client_for(admin).get(f"/cohorts/{cohort.slug}/emails/").content.decode()
    assert "已退回修改" in page and "失敗" in page and "英文及中文" in page
    assert "SMTPRecipientsRefused: no such user" in page
    assert "elsewhere@example.org" not in page


def test_the_log_page_reads_a_constant_number_of_queries(cohort, django_assert_max_num_queries):
    for n in range(60):
        SentEmail.objects.create(
            recipient=f"p{n}@example.org",
            kind=EmailKind.REMINDER,
            scope=f"cohort:{cohort.pk}",
            on_date=TODAY,
            status=EmailStatus.SENT,
        )
    admin = client_for(association_admin())
    with django_assert_max_num_queries(14):
        page = admin.get(f"/cohorts/{cohort.slug}/emails/?page=2").content.decode()
    assert "2 / 2" in page


def test_only_admins_see_the_log_or_send_reminders(cohort):
    assigned = reviewer()
    cohort.reviewers.add(assigned)
    as_reviewer = client_for(assigned)
    assert as_reviewer.get(f"/cohorts/{cohort.slug}/emails/").status_code == 403
    assert as_reviewer.post(f"/cohorts/{cohort.slug}/remind/").status_code == 403
    as_lead = client_for(lead(language="en"))
    assert as_lead.get(f"/cohorts/{cohort.slug}/emails/").status_code == 404
    assert as_lead.post(f"/cohorts/{cohort.slug}/remind/").status_code == 404
    assert mail.outbox == []
    dashboard = as_reviewer.get(f"/cohorts/{cohort.slug}/").content.decode()
    assert "E-mails and reminders" not in dashboard
    dashboard = client_for(association_admin()).get(f"/cohorts/{cohort.slug}/").content.decode()
    assert f"/cohorts/{cohort.slug}/emails/" in dashboard


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo", peers=6, stdout=StringIO())
    settings.DEBUG = False
    settings.REMINDER_DAYS_BEFORE = [14, 7, 2, 0]


def _run(*args):
    out = StringIO()
    call_command("cohort_reminders", *args, stdout=out)
    return out.getvalue()


def test_dry_run_on_the_demo_data_lists_the_issuers_not_submitted(demo):
    closes_on = Cohort.objects.get(slug="demo-2026").closes_on  # the demo is open around today
    due = closes_on - datetime.timedelta(days=14)
    out = _run("--cohort", "demo-2026", "--dry-run", "--date", f"{due}")
    not_submitted = Assessment.objects.filter(
        cohort__slug="demo-2026", status__in=[AssessmentStatus.DRAFT, AssessmentStatus.RETURNED]
    ).select_related("issuer")
    assert not_submitted.exists()
    for a in not_submitted:
        line = next(line for line in out.splitlines() if line.startswith(a.issuer.stock_code))
        assert a.issuer.name_en in line
        assert "14 days before" in line and "lead@example.org" in line
    submitted = Assessment.objects.filter(
        cohort__slug="demo-2026", status=AssessmentStatus.SUBMITTED
    ).select_related("issuer")
    assert submitted.count() >= 6
    for a in submitted:
        assert a.issuer.name_en not in out
    assert f"{not_submitted.count()} issuer(s) have not submitted; 1 due" in out
    assert mail.outbox == [] and not SentEmail.objects.exists()


def test_dry_run_without_a_date_uses_today(demo):
    out = _run("--cohort", "demo-2026", "--dry-run")
    assert f"on {TODAY:%Y-%m-%d}" in out
    assert "Harbour Precision Holdings Limited" in out


def test_without_dry_run_todays_reminders_are_sent_once(framework, settings):
    settings.REMINDER_DAYS_BEFORE = [7]
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=TODAY - datetime.timedelta(days=1),
        closes_on=TODAY + datetime.timedelta(days=7),
    )
    issuer = IssuerFactory()
    lead(issuer, language="en")
    services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
    assert "Sent 1; 0 already sent today" in _run("--cohort", cohort.slug)
    assert "Sent 0; 1 already sent today" in _run("--cohort", cohort.slug)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cohort", "nope", "--dry-run"], "No cohort with slug 'nope'"),
        (["--cohort", "{slug}", "--dry-run", "--date", "2026-13-01"], "is not a date"),
        (["--cohort", "{slug}", "--dry-run", "--date", "tomorrow"], "YYYY-MM-DD"),
        (["--cohort", "{slug}", "--date", "2026-12-01"], "only works with --dry-run"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_status_2(cohort, args, message):
    with pytest.raises(CommandError, match=message) as caught:
        _run(*(a.format(slug=cohort.slug) for a in args))
    assert caught.value.returncode == 2


def test_the_django_admin_action_reminds_once_a_day(cohort, eager, oncommit):
    admin = client_for(association_admin())
    data = {"action": "remind_not_submitted", "_selected_action": [cohort.pk]}
    with oncommit(execute=True):
        response = admin.post("/admin/cohorts/cohort/", data, follow=True)
    assert "a reminder is being sent to 2 issuers" in response.content.decode()
    with oncommit(execute=True):
        admin.post("/admin/cohorts/cohort/", data)
    assert sorted(m.to[0] for m in mail.outbox) == ["lead0@example.org", "lead1@example.org"]
