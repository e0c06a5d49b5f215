"""The round's e-mails: each notification to the right people, in their language, with
text and HTML parts, logged and sent once; reminders picked for a given day."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts.models import Role
from assessments import services
from assessments.models import Assessment, AssessmentStatus, StatusChange
from assessments.tests.factories import (
    CohortFactory,
    IssuerFactory,
    UserFactory,
    association_admin,
    contributor,
    lead,
    reviewer,
    submit_answered,
)
from cohorts import enrolment, notifications, tasks
from cohorts.models import CohortStatus
from core.models import EmailKind, EmailStatus, SentEmail

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


class RefusingBackend(BaseEmailBackend):
    """The mail server refuses the recipient: a permanent failure."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})


class UnreachableBackend(BaseEmailBackend):
    """The mail server hung up: worth retrying."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def round_(framework, eager, oncommit):
    """An open cohort with a Chinese-speaking lead, an English contributor and two
    reviewers (one English, one whose language is unknown)."""
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=TODAY - datetime.timedelta(days=30),
        closes_on=TODAY + datetime.timedelta(days=30),
        name_en="Members survey 2026",
        name_zh="二〇二六年會員調查",
    )
    issuer = IssuerFactory(name_en="Harbour & Sons Limited", name_zh="港灣父子有限公司")
    boss = lead(issuer, language="zh-hant", full_name="陳大文")
    helper = contributor(issuer, language="en")
    reviewers = [reviewer(language="en"), reviewer(language="")]
    cohort.reviewers.add(*reviewers)
    assessment = services.assessment_create(
        issuer=issuer, framework=framework, user=boss, cohort=cohort
    )
    return cohort, issuer, boss, helper, reviewers, assessment


def _mails(kind: str):
    subjects = set(SentEmail.objects.filter(kind=kind).values_list("subject", flat=True))
    return [m for m in mail.outbox if m.subject in subjects]


def _html(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def _submit(assessment, user, oncommit):
    with oncommit(execute=True):
        submit_answered(assessment, user)


def _review(assessment, who, oncommit, *, approve, note=""):
    with oncommit(execute=True):
        services.assessment_review(assessment=assessment, reviewer=who, approve=approve, note=note)


def test_returned_tells_the_lead_in_chinese_once(round_, oncommit):
    cohort, _issuer, boss, _helper, reviewers, assessment = round_
    _submit(assessment, boss, oncommit)
    mail.outbox = []
    _review(assessment, reviewers[0], oncommit, approve=False, note="請補充證據 & 數據")
    (message,) = mail.outbox  # the lead only: not the contributor, not the reviewers
    assert message.to == [boss.email]
    assert message.subject == "需要修改：港灣父子有限公司，二〇二六年會員調查"
    deadline = cohort.closes_on
    for text in (message.body, _html(message)):
        assert settings.ASSOCIATION_NAME_ZH in text
        assert "二〇二六年會員調查" in text
        assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in text
        assert f"/assessments/{assessment.pk}/" in text
        assert "Members survey" not in text  # Chinese only: the lead's language is known
    assert "請補充證據 & 數據" in message.body
    assert "請補充證據 &amp; 數據" in _html(message)
    row = SentEmail.objects.get(kind=EmailKind.RETURNED)
    assert (row.status, row.language, row.user_id) == (EmailStatus.SENT, "zh-hant", boss.pk)
    assert row.scope == notifications.cohort_scope(cohort.pk)

    # The same event again (a duplicated or retried task) sends nothing more.
    change = StatusChange.objects.filter(assessment=assessment).latest("pk")
    tasks.notify_returned_task.delay(assessment.pk, change.pk)
    outcome = notifications.returned_notify(assessment_id=assessment.pk, change_id=change.pk)
    assert (outcome.sent, outcome.skipped) == (0, 1)
    assert len(mail.outbox) == 1
    assert SentEmail.objects.filter(kind=EmailKind.RETURNED).count() == 1


def test_resubmitted_tells_each_reviewer_in_their_language(round_, oncommit):
    _cohort, _issuer, boss, _helper, reviewers, assessment = round_
    _submit(assessment, boss, oncommit)
    assert SentEmail.objects.count() == 0  # a first submission tells nobody
    _review(assessment, reviewers[0], oncommit, approve=False, note="Add evidence")
    mail.outbox = []
    assessment.refresh_from_db()
    with oncommit(execute=True):
        services.assessment_submit(assessment=assessment, user=boss)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {r.email for r in reviewers}
    english = by_address[reviewers[0].email]
    assert english.subject == "Resubmitted for review: Harbour & Sons Limited, Members survey 2026"
    assert "港灣" not in english.body
    assert f"/assessments/{assessment.pk}/review-submission/" in english.body
    assert f"/assessments/{assessment.pk}/review-submission/" in _html(english)
    both = by_address[reviewers[1].email]  # language unknown: English first, then Chinese
    assert both.subject == (
        "Resubmitted for review: Harbour & Sons Limited, Members survey 2026"
        " / 重新提交待審閱：港灣父子有限公司，二〇二六年會員調查"
    )
    assert both.body.index(settings.ASSOCIATION_NAME_EN) < both.body.index(
        settings.ASSOCIATION_NAME_ZH
    )
    assert 'lang="en"' in _html(both) and 'lang="zh-hant"' in _html(both)
    assert set(
        SentEmail.objects.filter(kind=EmailKind.RESUBMITTED).values_list("language", flat=True)
    ) == {"en", ""}


def test_approved_tells_the_lead_where_the_results_are(round_, oncommit):
    _cohort, _issuer, boss, _helper, reviewers, assessment = round_
    boss.language = "en"
    boss.save()
    _submit(assessment, boss, oncommit)
    _review(assessment, reviewers[1], oncommit, approve=True)
    (message,) = _mails(EmailKind.APPROVED)
    assert message.to == [boss.email]
    assert message.subject == "Approved: Harbour & Sons Limited, Members survey 2026"
    assert f"/assessments/{assessment.pk}/results/" in message.body
    assert f"/assessments/{assessment.pk}/results/" in _html(message)
    assert settings.ASSOCIATION_NAME_EN in message.body


def test_enrolment_tells_existing_contacts_and_invites_new_ones(framework, eager, oncommit):
    old = CohortFactory(framework=framework, status=CohortStatus.CLOSED)
    new = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        name_en="Members survey 2027",
        name_zh="二〇二七年會員調查",
        closes_on=datetime.date(2026, 12, 31),
    )
    member = IssuerFactory(stock_code="00700")
    services.assessment_create(issuer=member, framework=framework, user=None, cohort=old)
    existing = lead(member, language="zh-hant")
    pending = contributor(member, language="en")  # invited, never accepted
    pending.set_unusable_password()
    pending.save()
    csv = (
        "stock_code,name_en,name_zh,industry,board,email\n"
        f"700,{member.name_en},{member.name_zh},industrials,main,{existing.email}\n"
        "8888,New Co Limited,,industrials,main,new.lead@example.org\n"
    ).encode()
    with oncommit(execute=True):
        enrolment.import_rows(
            cohort=new,
            rows=enrolment.parse(csv).rows,
            user=association_admin(),
            base_url="http://testserver/",
        )
    (told,) = _mails(EmailKind.ENROLLED)
    assert told.to == [existing.email]
    assert told.subject == "閣下獲邀參加二〇二七年會員調查"
    assert "2026年12月31日" in told.body and "2026年12月31日" in _html(told)
    assert settings.ASSOCIATION_NAME_ZH in told.body
    # The new company's new lead got the invitation, not this notice; the contact who never
    # accepted got neither.
    addresses = [m.to[0] for m in mail.outbox]
    assert addresses.count("new.lead@example.org") == 1
    assert pending.email not in addresses
    enrolled = Assessment.objects.get(issuer=member, cohort=new)
    assert notifications.enrolled_notify(assessment_id=enrolled.pk).skipped == 1


def test_a_refused_address_is_logged_as_failed_and_not_retried(round_, oncommit, settings):
    _cohort, _issuer, boss, _helper, reviewers, assessment = round_
    _submit(assessment, boss, oncommit)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    _review(assessment, reviewers[0], oncommit, approve=True)  # the task does not raise
    row = SentEmail.objects.get(kind=EmailKind.APPROVED)
    assert row.status == EmailStatus.FAILED
    assert "SMTPRecipientsRefused" in row.error
    assert row.recipient == boss.email and row.subject


def test_an_unreachable_server_is_logged_and_the_task_retries(round_, oncommit, settings):
    _cohort, _issuer, boss, _helper, reviewers, assessment = round_
    _submit(assessment, boss, oncommit)
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    _review(assessment, reviewers[0], oncommit, approve=True)
    row = SentEmail.objects.get(kind=EmailKind.APPROVED)
    assert row.status == EmailStatus.FAILED
    change = StatusChange.objects.filter(assessment=assessment).latest("pk")
    outcome = notifications.approved_notify(assessment_id=assessment.pk, change_id=change.pk)
    assert outcome.retry and outcome.failed == 1
    # The retry, once the server is back, takes the failed row over: sent once in all.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.approved_notify(assessment_id=assessment.pk, change_id=change.pk).sent
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT and row.attempts == 3
    assert len(_mails(EmailKind.APPROVED)) == 1


# --- reminders --------------------------------------------------------------------------------


@pytest.fixture
def reminder_world(framework, settings):
    settings.REMINDER_DAYS_BEFORE = [14, 7, 2, 0]
    deadline = datetime.date(2026, 6, 30)
    open_ = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=datetime.date(2026, 3, 1),
        closes_on=deadline,
        name_en="Survey 2026",
        name_zh="二〇二六年調查",
    )
    opens_on = datetime.date(2026, 3, 1)
    planned = CohortFactory(
        framework=framework, status=CohortStatus.PLANNED, opens_on=opens_on, closes_on=deadline
    )
    closed = CohortFactory(
        framework=framework, status=CohortStatus.CLOSED, opens_on=opens_on, closes_on=deadline
    )

    def enrol(cohort, status=AssessmentStatus.DRAFT, **fields):
        issuer = IssuerFactory()
        lead(issuer, language="zh-hant")
        contributor(issuer, language="")
        a = services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
        if status != AssessmentStatus.DRAFT:
            fields["submitted_at"] = timezone.now()
        Assessment.objects.filter(pk=a.pk).update(status=status, **fields)
        return a

    world = {
        "draft": enrol(open_),
        "returned": enrol(open_, AssessmentStatus.RETURNED),
        "submitted": enrol(open_, AssessmentStatus.SUBMITTED),
        "approved": enrol(open_, AssessmentStatus.APPROVED),
        "extended": enrol(open_, extended_until=deadline + datetime.timedelta(days=5)),
        "planned": enrol(planned),
        "closed": enrol(closed),
        # Withdrawn from the cohort: no reminder (until reinstated).
        "withdrawn": enrol(open_, withdrawn_at=timezone.now()),
    }
    nobody = IssuerFactory()  # enrolled, but no contact yet
    world["no_contact"] = services.assessment_create(
        issuer=nobody, framework=framework, user=None, cohort=open_
    )
    return open_, deadline, world


def _due(on, **kwargs):
    return {(row.assessment.pk, row.due) for row in notifications.reminders_due(on=on, **kwargs)}


def test_reminders_due_on_a_given_day(reminder_world):
    cohort, deadline, w = reminder_world
    days = datetime.timedelta
    not_submitted = {w["draft"].pk, w["returned"].pk, w["no_contact"].pk}
    assert _due(deadline - days(7)) == {(pk, 7) for pk in not_submitted}
    assert _due(deadline - days(6)) == set()
    assert _due(deadline - days(14)) == {(pk, 14) for pk in not_submitted}
    assert _due(deadline) == {(pk, 0) for pk in not_submitted}
    # The extension moves that issuer's reminders: 7 days before its own deadline.
    assert _due(deadline - days(2)) == {(pk, 2) for pk in not_submitted} | {(w["extended"].pk, 7)}
    assert _due(deadline + days(5)) == {(w["extended"].pk, 0)}
    # None before the cohort opens.
    cohort.opens_on = deadline - days(10)
    cohort.save()
    assert _due(deadline - days(14)) == set()
    assert {pk for pk, _ in _due(deadline - days(7))} == not_submitted
    cohort.opens_on = datetime.date(2026, 3, 1)
    cohort.save()
    (row,) = [
        r for r in notifications.reminders_due(on=deadline) if r.assessment.pk == w["draft"].pk
    ]
    assert [r.language for r in row.recipients] == ["zh-hant", ""]
    assert _due(deadline, cohort=cohort) == _due(deadline)


def test_reminders_are_sent_once_a_day_in_each_contacts_language(reminder_world, settings):
    settings.REMINDER_DAYS_BEFORE = [7]
    _cohort, deadline, _w = reminder_world
    on = deadline - datetime.timedelta(days=7)
    outcome = notifications.reminders_send(on=on)
    assert (outcome.sent, outcome.failed) == (4, 0)  # draft and returned: lead + contributor
    chinese = next(m for m in mail.outbox if m.subject.startswith("提示"))
    assert chinese.subject == "提示：距離提交限期尚餘7日，二〇二六年調查"
    assert "2026年6月30日" in chinese.body and "2026年6月30日" in _html(chinese)
    both = next(m for m in mail.outbox if m.subject.startswith("Reminder"))
    assert both.subject == (
        "Reminder: 7 days left to submit, Survey 2026 / 提示：距離提交限期尚餘7日，二〇二六年調查"
    )
    assert "30 Jun 2026" in both.body
    # The beat runs every hour: the second run the same day sends nothing.
    again = notifications.reminders_send(on=on)
    assert (again.sent, again.skipped) == (0, 4)
    assert len(mail.outbox) == 4
    assert SentEmail.objects.filter(kind=EmailKind.REMINDER, on_date=on).count() == 4


def test_the_beat_task_sends_todays_reminders(framework, eager, settings):
    settings.REMINDER_DAYS_BEFORE = [14, 7, 2, 0]
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=TODAY - datetime.timedelta(days=10),
        closes_on=TODAY + datetime.timedelta(days=2),
    )
    issuer = IssuerFactory()
    person = lead(issuer, language="en")
    services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
    tasks.send_reminders_task.delay()
    tasks.send_reminders_task.delay()
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert message.subject == f"Reminder: 2 days left to submit, {cohort.name_en}"
    assert (
        settings.CELERY_BEAT_SCHEDULE["send-cohort-reminders"]["task"]
        == "cohorts.tasks.send_reminders_task"
    )


def test_on_the_day_the_reminder_says_today(framework):
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=datetime.date(2026, 1, 1),
        closes_on=datetime.date(2026, 3, 31),
        name_zh="季度調查",
    )
    issuer = IssuerFactory()
    lead(issuer, language="zh-hant")
    services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
    notifications.reminders_send(on=datetime.date(2026, 3, 31))
    (message,) = mail.outbox
    assert message.subject == "今日截止：季度調查"
    assert "今日" in message.body


def test_inactive_contacts_and_other_roles_get_no_reminder(framework):
    cohort = CohortFactory(
        framework=framework,
        status=CohortStatus.OPEN,
        opens_on=datetime.date(2026, 1, 1),
        closes_on=datetime.date(2026, 3, 31),
    )
    issuer = IssuerFactory()
    active = lead(issuer)
    UserFactory(role=Role.ISSUER_CONTRIBUTOR, issuer=issuer, is_active=False)
    services.assessment_create(issuer=issuer, framework=framework, user=None, cohort=cohort)
    notifications.reminders_send(on=datetime.date(2026, 3, 31))
    assert [m.to for m in mail.outbox] == [[active.email]]
