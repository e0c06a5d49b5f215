"""Every page each role reaches, in Traditional Chinese and in English, says everything in
that language: no English UI text in zh-Hant, no Chinese in English, no Simplified
characters and no Python repr anywhere (tests/i18n/crawl.py says exactly what counts).

The data is the demo seed (`seed_demo`: the demo issuer with last year's submitted
assessment and this year's in progress, a cohort with its reviewer and peers) plus what
the seed leaves out: published peer releases, ready reports, a review comment on a peer's
submission that was then returned, and an account event. Each role starts at home (the
association admin also at the Django admin's index) and follows every same-site link and
redirect, GET only; logging out, switching language and downloads are not followed, and
at most two pages of one path shape (ids and query strings aside) are read: the admin's
index, every changelist and change pages of each registered model are among them.
"""

from __future__ import annotations

import io
import re

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import translation

from accounts.mfa import required_for
from accounts.models import AccountEventKind, Issuer, Role, User
from accounts.services import account_event_record
from assessments import services
from assessments.models import Answer, Assessment, FrameworkVersion
from assessments.tests.factories import login_request, second_factor_given
from cohorts.models import Cohort
from core.models import SentEmail
from devdata.management.commands.seed_demo import DEMO_PASSWORD
from reports.models import Report, ReportStatus
from reports.releases import peer_releases_publish

from .crawl import crawl, page_problems

pytestmark = pytest.mark.django_db

SKIP = re.compile(
    r"^/(static|media)/"
    r"|/logout/|/i18n/setlang/|/admin/jsi18n/"
    r"|/download/|/export\.|\.zip$|/template-|/autosave/|/status/$"
    r"|/delete/(\?|$)"  # a GET, but only a confirmation of what is never done here
    r"|^/api/"  # the JSON API and its reference, for programs and developers, in English
)
# Reports in the browser are in the language their address names, whatever the UI's.
REPORT_VIEW = re.compile(r"^/reports/\d+/(en|zh-hant)/view/|/index-report/(en|zh-hant)\.html$")
MAX_PAGES = 160


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seeded once for the module (about 25 s) inside a transaction rolled back at the end;
    each test runs in a savepoint within it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(
            DEBUG=True, MEDIA_ROOT=tmp_path_factory.mktemp("media")
        ):  # seed_demo refuses to run without DEBUG (known passwords)
            yield _seed()
        transaction.set_rollback(True)


def _seed() -> dict[str, User]:
    call_command("seed_demo", peers=10, stdout=io.StringIO())
    peer_releases_publish()
    users = {u.role: u for u in User.objects.filter(email__endswith="@example.org")}
    lead = users[Role.ISSUER_LEAD]
    submitted = Assessment.objects.filter(issuer=lead.issuer, submitted_at__isnull=False).first()
    assert submitted is not None
    snapshot = submitted.snapshots.order_by("-created_at").first()
    for language in ("en", "zh-hant"):
        report = Report(
            assessment=submitted,
            snapshot=snapshot,
            language=language,
            status=ReportStatus.READY,
            requested_by=lead,
            checksum="0" * 64,
            size=9,
        )
        report.file.save(f"report-{language}.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
        report.save()
    reviewer = users[Role.ASSOCIATION_REVIEWER]
    peer = Assessment.objects.filter(cohort__slug="demo-2026", status="submitted").first()
    assert peer is not None
    services.review_comment_add(
        assessment=peer, author=reviewer, text="Please add the board minutes.", item_code=""
    )
    services.assessment_review(
        assessment=peer, reviewer=reviewer, approve=False, note="Evidence missing."
    )
    account_event_record(user=lead, kind=AccountEventKind.LANGUAGE_CHANGED)
    return users


def user_data() -> tuple[str, ...]:
    """The values people typed or imported: shown as they are, in whatever language."""
    values: set[str] = set()
    for i in Issuer.objects.all():
        values |= {i.name_en, i.name_zh, i.stock_code}
    for u in User.objects.all():
        values |= {u.full_name, u.email, u.get_username()}
    for c in Cohort.objects.all():
        values |= {c.name_en, c.name_zh, c.slug}
    for f in FrameworkVersion.objects.all():
        values |= {f.version, f.source_name, f.checksum}
    values |= set(Answer.objects.exclude(note="").values_list("note", flat=True))
    values |= {"Please add the board minutes.", "Evidence missing."}
    values |= set(SentEmail.objects.values_list("subject", flat=True))
    # Django names permissions in the database, in English, when it migrates ("Can add
    # answer"); the group page lists them as stored.
    for language in ("en", "zh-hant"):
        with translation.override(language):
            values |= {str(p) for p in Permission.objects.select_related("content_type")}
    # django-axes's log rows: what the client sent, and their names, which axes writes in
    # English ("Access Log for <e-mail> @ <time>", no gettext in its code).
    for log in AccessLog.objects.all():
        values |= {str(log), log.user_agent, log.path_info}
    for attempt in AccessAttempt.objects.all():
        values |= {str(attempt), attempt.user_agent, attempt.path_info}
    # Longest first, so a name is removed before a shorter value inside it.
    return tuple(sorted((v for v in values if v), key=len, reverse=True))


def client_as(user: User, language: str) -> Client:
    user.language = language  # the stored choice wins over any cookie
    user.save(update_fields=["language"])
    client = Client()
    assert client.login(request=login_request(), username=user.email, password=DEMO_PASSWORD)
    if required_for(user):  # association staff sign in with a second factor
        second_factor_given(client, user)
    return client


def run(client: Client, start: list[str], language: str) -> list[str]:
    data = user_data()
    expect = "zh" if language == "zh-hant" else "en"

    def get(url: str) -> tuple[int, str, str]:
        response = client.get(url, follow=True)  # e.g. an assessment's page → its step
        content_type = response.get("Content-Type", "")
        if getattr(response, "streaming", False) or not content_type.startswith("text/html"):
            return response.status_code, content_type, ""
        return response.status_code, content_type, response.content.decode()

    def check(url: str, html: str) -> list[str]:
        m = REPORT_VIEW.search(url)
        lang = ("zh" if "zh-hant" in m.group(0) else "en") if m else expect
        return page_problems(html, data=data, expect_lang=lang)

    result = crawl(
        get, start, skip=lambda u: bool(SKIP.search(u)), check=check, max_pages=MAX_PAGES
    )
    assert len(result.pages) > 5, result.pages  # it did get past the home page
    print(f"{len(result.pages)} pages:", *result.pages, sep="\n  ")
    return result.report()


ROLES = {
    "issuer lead": (Role.ISSUER_LEAD, ["/"]),
    "contributor": (Role.ISSUER_CONTRIBUTOR, ["/"]),
    "reviewer": (Role.ASSOCIATION_REVIEWER, ["/"]),
    "association admin": (Role.ASSOCIATION_ADMIN, ["/", "/admin/"]),
}


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_speaks_one_language(world, role, language):
    role_code, start = ROLES[role]
    problems = run(client_as(world[role_code], language), start, language)
    assert not problems, f"{role}, {language}: {len(problems)} problems\n" + "\n".join(problems)
