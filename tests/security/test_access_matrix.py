"""Who may do what: every URL of the project × every role × GET and POST.

The table below is the access policy. Each row is one URL name (resolved, never typed
by hand); each cell the outcome for a role:

    200 / 302 / 401 / 403 / 404 / 405 / 409   the status code
    login                                      302 to the login page with ?next=
    +w                                         the request changed stored state (answers,
                                               statuses, users, issuers, reports, cohorts,
                                               mail); without it the state must be unchanged

Object URLs point at issuer A's assessment (cohort A: submitted, then returned by
reviewer A, so both the wizard and the results exist) and at cohort A. Lead B and
reviewer B therefore stand for "another issuer" and "another cohort's reviewer".

A URL pattern without a row fails `test_every_url_has_a_row`. The Django admin is one
row group: only association admins (staff) get past its login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Issuer, Membership, RecoveryCode, User
from api import services as api_services
from api.models import ApiToken
from assessments.models import (
    Answer,
    AnswerRevision,
    Assessment,
    CalendarChange,
    ReviewComment,
    ScoreSnapshot,
    StatusChange,
)
from cohorts.models import Cohort, CohortIndexReport
from reports.models import Report

from .world import ROLES, World, fresh, rolled_back

pytestmark = pytest.mark.django_db

Kwargs = Callable[[World], dict[str, Any]]
Data = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    kwargs: Kwargs
    get: str
    post: str
    data: Data = lambda w: {}
    headers: dict[str, str] = field(default_factory=dict)

    def expected(self, method: str) -> dict[str, str]:
        cells = (self.get if method == "GET" else self.post).split()
        assert len(cells) == len(ROLES), cells
        return dict(zip(ROLES, cells, strict=True))


def none(w: World) -> dict[str, Any]:
    return {}


def a_pk(w: World) -> dict[str, Any]:
    return {"pk": w.a.pk}


def a_step(w: World) -> dict[str, Any]:
    return {"pk": w.a.pk, "shift": "profit"}


def a_lang(w: World) -> dict[str, Any]:
    return {"pk": w.a.pk, "language": "en"}


def cohort_a(w: World) -> dict[str, Any]:
    return {"slug": w.cohort_a.slug}


def person_c(w: World) -> dict[str, Any]:
    """Issuer A's contributor, as the personal-data pages look them up."""
    return {"pk": w.users["contributor_a"].pk}


def step_data(w: World) -> dict[str, Any]:
    """One changed maturity answer of the profit step, stated against its current version."""
    answer = w.extra["step_answer"]
    assert isinstance(answer, Answer)
    code = answer.item.code
    return {
        f"{code}__value": str((answer.level or 0) % 5 + 1),
        f"{code}__note": answer.note,
        f"{code}__confidence": answer.confidence,
        f"{code}__base": str(answer.version),
        "go": "stay",
    }


def profile_data(w: World) -> dict[str, Any]:
    i = w.issuer_a
    return {
        "name_en": i.name_en + " (renamed)",
        "name_zh": i.name_zh,
        "board": i.board,
        "industry": i.industry,
        "market_cap_band": i.market_cap_band,
        "revenue_band": i.revenue_band,
        "employee_band": i.employee_band,
    }


NEW_PASSWORD = "x-Very-long-pass-42"


def cohort_data(w: World, slug: str) -> dict[str, Any]:
    return {
        "name_en": "Members 2027",
        "name_zh": "會員 2027",
        "slug": slug,
        "year": "2027",
        "framework": str(w.framework.pk),
        "opens_on": "2027-01-01",
        "closes_on": "2027-12-31",
        "status": "planned",
        "reviewers": [str(w.users["reviewer_a"].pk)],
    }


def enrol_file(w: World) -> dict[str, Any]:
    csv = "stock_code,name_en,name_zh,industry,board,email\n8888,New Co,,industrials,main,n@x.org\n"
    return {"file": SimpleUploadedFile("issuers.csv", csv.encode(), "text/csv")}


# fmt: off
#                 anon   contrib lead_a lead_b rev_a  rev_b  admin
TABLE: dict[str, Row] = {
    "home": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "reports:peer_method": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "reports:framework": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "reports:framework_version": Row(lambda w: {"version": w.framework.version},
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "healthz": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    # Loopback callers no proxy relayed, or the HEALTHZ_TOKEN; a login changes nothing.
    # (Allowed callers: config/tests/test_ready.py.)
    "healthz_ready": Row(none,
        get=     "403    403    403    403    403    403    403",
        post=    "405    405    405    405    405    405    405",
        headers={"X-Forwarded-For": "203.0.113.9"}),
    "set_language": Row(none,
        get=     "405    405    405    405    405    405    405",
        post=    "302    302+w  302+w  302+w  302+w  302+w  302+w",
        data=lambda w: {"language": "zh-hant", "next": "/"}),
    "team": Row(none,
        get=     "login  200    200    200    404    404    404",
        post=    "login  403    302+w  302+w  404    404    404",
        data=lambda w: {"email": "new.colleague@example.org", "full_name": "New Colleague"}),
    "account": Row(none,
        get=     "login  200    200    200    200    200    200",
        post=    "login  405    405    405    405    405    405"),
    "memberships": Row(none,
        get=     "login  200    200    200    200    200    200",
        post=    "login  404    404    404    404    404    404",
        data=lambda w: {"accept": "0"}),
    "issuer_select": Row(none,
        get=     "login  405    405    405    405    405    405",
        post=    "login  302    302    302    302    302    302",
        data=lambda w: {"issuer": w.a.issuer_id}),
    "login": Row(none,
        get=     "200    302    302    302    302    302    302",
        post=    "200    302    302    302    302    302    302"),
    "logout": Row(none,
        get=     "405    405    405    405    405    405    405",
        post=    "302    302    302    302    302    302    302"),
    # The second factor. These sessions owe nothing (issuer staff without a device) or have
    # given it (association staff): the code page sends them on; pages before it are
    # tested in accounts/tests/test_mfa.py.
    "mfa_verify": Row(none,
        get=     "login  302    302    302    302    302    302",
        post=    "login  302    302    302    302    302    302",
        data=lambda w: {"code": "123456"}),
    "mfa_enrol": Row(none,
        get=     "login  200    200    200    200    200    200",
        post=    "login  200    200    200    200    200    200",
        data=lambda w: {"code": "000000"}),
    "mfa_recovery_codes": Row(none,
        get=     "login  405    405    405    405    405    405",
        post=    "login  302    302    302    200+w  200+w  200+w"),
    "mfa_remove": Row(none,
        get=     "login  405    405    405    405    405    405",
        post=    "login  404    404    404    404    404    404",
        data=lambda w: {"device": "otp_totp.totpdevice/987654321"}),
    "mfa_key_register_begin": Row(none,
        get=     "403    405    405    405    405    405    405",
        post=    "403    200    200    200    200    200    200"),
    "mfa_key_register_complete": Row(none,
        get=     "403    405    405    405    405    405    405",
        post=    "403    400    400    400    400    400    400"),
    "mfa_key_verify_begin": Row(none,
        get=     "403    405    405    405    405    405    405",
        post=    "403    200    200    200    200    200    200"),
    # A key's answer without the ceremony's start is refused (and counted as a failure:
    # accounts/tests/test_mfa.py; the audit trail is not among the counted tables).
    "mfa_key_verify_complete": Row(none,
        get=     "403    405    405    405    405    405    405",
        post=    "403    400    400    400    400    400    400"),
    "password_reset": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "302+w  302+w  302+w  302+w  302+w  302+w  302+w",
        data=lambda w: {"email": w.users["lead_a"].email}),
    "password_reset_done": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "password_reset_confirm": Row(lambda w: {"uidb64": "MQ", "token": "bad-token"},
        get=     "200    200    200    200    200    200    200",
        post=    "200    200    200    200    200    200    200",
        data=lambda w: {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
    "password_reset_complete": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "assessments:start": Row(none,
        get=     "login  405    405    405    405    405    405",
        post=    "login  302    302    302+w  302    302    302"),
    "assessments:current": Row(none,
        get=     "login  302    302    302    302    302    302",
        post=    "login  405    405    405    405    405    405"),
    "assessments:detail": Row(a_pk,
        get=     "login  302    302    404    302    404    302",
        post=    "login  405    405    405    405    405    405"),
    "assessments:profile": Row(a_pk,
        get=     "login  200    200    404    200    404    200",
        post=    "login  403    302+w  404    403    404    403",
        data=profile_data),
    "assessments:step": Row(a_step,
        get=     "login  200    200    404    200    404    200",
        post=    "login  302+w  302+w  404    302    404    302",
        data=step_data),
    "assessments:autosave": Row(a_step,
        get=     "401    405    405    405    405    405    405",
        post=    "401    200+w  200+w  404    409    404    409",
        data=step_data, headers={"Accept": "application/json"}),
    "assessments:review": Row(a_pk,
        get=     "login  200    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "assessments:submit": Row(a_pk,
        get=     "login  405    405    405    405    405    405",
        post=    "login  302    302+w  404    302    404    302"),
    "reports:results": Row(a_pk,
        get=     "login  200    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "assessments:review_submission": Row(a_pk,
        get=     "login  404    404    404    200    404    200",
        post=    "login  404    404    404    302+w  404    302+w",
        data=lambda w: {"action": "comment", "text": "Looks complete.", "item": ""}),
    "assessments:history": Row(a_pk,
        get=     "login  403    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "assessments:calendar": Row(a_pk,
        get=     "login  403    403    404    403    404    200",
        post=    "login  403    403    404    403    404    302+w",
        data=lambda w: {"action": "withdraw", "reason": "Enrolled by mistake"}),
    "reports:request": Row(a_pk,
        get=     "login  405    405    405    405    405    405",
        post=    "login  302+w  302+w  404    302+w  404    302+w",
        data=lambda w: {"language": "zh-hant"}),
    "reports:status": Row(a_pk,
        get=     "login  200    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "reports:download": Row(a_lang,
        get=     "login  200    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "reports:view": Row(a_lang,
        get=     "login  200    200    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:list": Row(none,
        get=     "login  403    403    403    200    200    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:dashboard": Row(cohort_a,
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:export": Row(lambda w: {"slug": w.cohort_a.slug, "fmt": "csv"},
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:bulk_reports": Row(cohort_a,
        get=     "login  404    404    404    200    404    200",
        post=    "login  404    404    404    302+w  404    302+w",
        data=lambda w: {"lang": "zh-hant"}),
    "cohorts:enrol": Row(cohort_a,
        get=     "login  404    404    404    403    404    200",
        post=    "login  404    404    404    403    404    200",
        data=enrol_file),
    "cohorts:invitations": Row(cohort_a,
        get=     "login  404    404    404    404    404    200",
        post=    "login  404    404    404    404    404    302",
        data=lambda w: {"all": "1"}),
    "cohorts:enrol_template": Row(
        lambda w: {"slug": w.cohort_a.slug, "language": "zh-hant", "fmt": "xlsx"},
        get=     "login  404    404    404    403    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:create": Row(none,
        get=     "login  403    403    403    403    403    200",
        post=    "login  403    403    403    403    403    302+w",
        data=lambda w: cohort_data(w, "members-2027")),
    "cohorts:edit": Row(cohort_a,
        get=     "login  404    404    404    403    404    200",
        post=    "login  404    404    404    403    404    302+w",
        data=lambda w: cohort_data(w, w.cohort_a.slug)),
    "cohorts:bulk_zip": Row(cohort_a,
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:emails": Row(cohort_a,
        get=     "login  404    404    404    403    404    200",
        post=    "login  405    405    405    405    405    405"),
    # The JSON API (api/): the token page is everyone's own; data endpoints answer 401 to
    # anonymous callers and 405 to any write (they are read-only), 404 outside one's scope.
    "api:tokens": Row(none,
        get=     "login  200    200    200    200    200    200",
        post=    "login  200+w  200+w  200+w  200+w  200+w  200+w",
        data=lambda w: {"name": "BI tool", "days": "30"}),
    # Lead B's token: only lead B may revoke it; to everyone else it does not exist.
    "api:token_revoke": Row(lambda w: {"pk": w.extra["api_token"].pk},
        get=     "login  405    405    405    405    405    405",
        post=    "login  404    404    302+w  404    404    404"),
    "api:schema": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "api:docs": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "api:frameworks": Row(none,
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "api:framework": Row(lambda w: {"version": w.framework.version},
        get=     "200    200    200    200    200    200    200",
        post=    "405    405    405    405    405    405    405"),
    "api:issuers": Row(none,
        get=     "401    200    200    200    200    200    200",
        post=    "401    405    405    405    405    405    405"),
    "api:assessments": Row(none,
        get=     "401    200    200    200    200    200    200",
        post=    "401    405    405    405    405    405    405"),
    "api:assessment": Row(a_pk,
        get=     "401    200    200    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:scores": Row(a_pk,
        get=     "401    200    200    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:peers": Row(a_pk,
        get=     "401    200    200    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:reports": Row(a_pk,
        get=     "401    200    200    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:report_download": Row(a_lang,
        get=     "401    200    200    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohorts": Row(none,
        get=     "401    403    403    403    200    200    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohort": Row(cohort_a,
        get=     "401    404    404    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohort_issuers": Row(cohort_a,
        get=     "401    404    404    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohort_aggregates": Row(cohort_a,
        get=     "401    404    404    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohort_answers": Row(cohort_a,
        get=     "401    404    404    404    200    404    200",
        post=    "401    405    405    405    405    405    405"),
    "api:cohort_emails": Row(cohort_a,
        get=     "401    404    404    404    403    404    200",
        post=    "401    405    405    405    405    405    405"),
    # Cohort A is planned: the admin is told reminders wait for it to open; nothing is sent.
    "cohorts:remind": Row(cohort_a,
        get=     "login  405    405    405    405    405    405",
        post=    "login  404    404    404    403    404    302"),
    # Personal data (the privacy app): admins only; the people pages of anyone else are 404.
    "privacy:people": Row(lambda w: {},
        get=     "login  403    403    403    403    403    200",
        post=    "login  405    405    405    405    405    405"),
    "privacy:person": Row(person_c,
        get=     "login  404    404    404    404    404    200",
        post=    "login  405    405    405    405    405    405"),
    "privacy:person_json": Row(person_c,
        get=     "login  404    404    404    404    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:index_report_request": Row(cohort_a,
        get=     "login  405    405    405    405    405    405",
        post=    "login  404    404    404    302+w  404    302+w",
        data=lambda w: {"language": "zh-hant"}),
    "cohorts:index_report_status": Row(cohort_a,
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:index_report_download": Row(lambda w: {"slug": w.cohort_a.slug, "language": "en"},
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    "cohorts:index_report_view": Row(lambda w: {"slug": w.cohort_a.slug, "language": "zh-hant"},
        get=     "login  404    404    404    200    404    200",
        post=    "login  405    405    405    405    405    405"),
    # The admin types the contributor's address: anonymised (a second POST would be refused).
    "privacy:anonymise": Row(person_c,
        get=     "login  404    404    404    404    404    200",
        post=    "login  404    404    404    404    404    302+w",
        data=lambda w: {"confirm": w.users["contributor_a"].email}),
}
# fmt: on

ADMIN_GROUP = "admin:*"


# --- walking the URL configuration -----------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    name: str | None  # "namespace:name", None for an unnamed pattern
    route: str
    namespaces: tuple[str, ...]
    converters: tuple[str, ...]  # argument names the pattern captures


def walk(
    patterns: list[Any], prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[Resolved]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            inner = (*namespaces, p.namespace) if p.namespace else namespaces
            yield from walk(p.url_patterns, route, inner)
        else:
            assert isinstance(p, URLPattern)
            name = ":".join([*namespaces, p.name]) if p.name else None
            converters = tuple(p.pattern.converters) or tuple(p.pattern.regex.groupindex)
            yield Resolved(name, route, namespaces, converters)


def all_patterns() -> list[Resolved]:
    return list(walk(get_resolver().url_patterns))


def table_key(p: Resolved) -> str:
    if p.namespaces[:1] == ("admin",):
        return ADMIN_GROUP
    return p.name or f"(unnamed) {p.route}"


def test_every_url_has_a_row():
    """A new URL fails here until the policy table says who may use it."""
    resolved = {table_key(p) for p in all_patterns()}
    assert resolved == {*TABLE, ADMIN_GROUP}, {
        "URL patterns without a row": sorted(resolved - {*TABLE, ADMIN_GROUP}),
        "rows without a URL pattern": sorted({*TABLE, ADMIN_GROUP} - resolved),
    }


# --- running one cell ------------------------------------------------------------------


COUNTED = (
    Answer,
    AnswerRevision,
    StatusChange,
    ReviewComment,
    ScoreSnapshot,
    CalendarChange,
    TOTPDevice,
    WebAuthnCredential,
    RecoveryCode,
)


def _counts() -> tuple[Any, ...]:
    """Row counts (and the sum of answer versions) in one round trip: this runs per cell.
    Table names come from the models' metadata, never from input."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in COUNTED]
    parts = [f"(SELECT COUNT(*) FROM {t})" for t in tables]  # noqa: S608
    parts.append(f"(SELECT SUM(version) FROM {tables[0]})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone())


def state() -> tuple[Any, ...]:
    """Everything a request could wrongly change, compared before and after each cell."""
    return (
        _counts(),
        list(
            Assessment.objects.order_by("pk").values_list(
                "pk",
                "issuer_id",
                "cohort_id",
                "status",
                "submitted_at",
                "extended_until",
                "withdrawn_at",
            )
        ),
        list(Issuer.objects.order_by("pk").values()),
        list(
            User.objects.order_by("pk").values_list(
                "pk",
                "email",
                "full_name",
                "role",
                "issuer_id",
                "language",
                "is_active",
                "is_staff",
                "is_superuser",
                "password",
            )
        ),
        list(Membership.objects.order_by("pk").values()),
        list(Report.objects.order_by("pk").values_list("pk", "status", "requested_at")),
        list(CohortIndexReport.objects.order_by("pk").values_list("pk", "status", "requested_at")),
        list(Cohort.objects.order_by("pk").values()),
        list(Cohort.reviewers.through.objects.order_by("pk").values_list("cohort_id", "user_id")),
        len(mail.outbox),
        list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    )


def outcome(response: Any) -> str:
    if response.streaming:
        # Consuming the content closes the response; closing it by hand would fire
        # request_finished, whose handler closes the connection inside a transaction.
        response.getvalue()
    code = response.status_code
    if code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")) and "next=" in location:
            return "login"
        if location.startswith(reverse("admin:login")):
            return "admin-login"
    return str(code)


def request(
    client: Client, method: str, path: str, data: dict[str, Any], headers: dict[str, str]
) -> Any:
    if method == "GET":
        return client.get(path, headers=headers)
    return client.post(path, data, headers=headers)


def run_cell(world: World, role: str, method: str, path: str, row: Row, baseline: Any) -> str:
    mail.outbox = []
    with rolled_back():
        response = request(
            world.client(role),
            method,
            path,
            row.data(world) if method == "POST" else {},
            row.headers,
        )
        result = outcome(response)
        if state() != baseline:
            result += "+w"
    return result


@pytest.fixture(scope="module")
def matrix_world(world: World) -> World:
    step_item = world.framework.items.filter(shift_code="profit", kind="maturity").first()
    world.extra["step_answer"] = Answer.objects.select_related("item").get(
        assessment=world.a, item=step_item
    )
    world.extra["api_token"] = api_services.token_create(
        user=world.users["lead_b"], name="Group dashboard", days=30
    ).token
    return world


@pytest.fixture(scope="module")
def baseline(matrix_world: World) -> tuple[Any, ...]:
    mail.outbox = []
    return state()


@pytest.mark.parametrize("name", sorted(TABLE))
def test_access(name, matrix_world, baseline):
    row = TABLE[name]
    path = reverse(name, kwargs=row.kwargs(matrix_world))
    for method in ("GET", "POST"):
        actual = {role: run_cell(matrix_world, role, method, path, row, baseline) for role in ROLES}
        assert actual == row.expected(method), f"{method} {path}"


# --- other issuers' objects, unknown objects -------------------------------------------


def mirror_kwargs(kwargs: dict[str, Any], world: World, unknown: bool) -> dict[str, Any] | None:
    """The same URL pointed at issuer B / cohort B (or at nothing at all)."""
    out = dict(kwargs)
    if "pk" in out:
        out["pk"] = 987654321 if unknown else world.b.pk
    elif "slug" in out:
        out["slug"] = "no-such-cohort" if unknown else world.cohort_b.slug
    else:
        return None
    return out


@pytest.mark.parametrize("unknown", [False, True], ids=["other-issuer", "unknown-id"])
def test_objects_outside_ones_scope_are_404(unknown, matrix_world, baseline):
    """Issuer A's people and cohort A's reviewer see issuer B / cohort B as if it did not
    exist; an id or slug that exists nowhere is 404 for everybody, admins included."""
    roles = (
        ("lead_a", "reviewer_a", "admin") if unknown else ("contributor_a", "lead_a", "reviewer_a")
    )
    failures = []
    for name, row in TABLE.items():
        kwargs = mirror_kwargs(row.kwargs(matrix_world), matrix_world, unknown)
        if kwargs is None:
            continue
        path = reverse(name, kwargs=kwargs)
        for method in ("GET", "POST"):
            for role in roles:
                result = run_cell(matrix_world, role, method, path, row, baseline)
                # 405 comes before any lookup, so it reveals nothing either.
                if result not in ("404", "405"):
                    failures.append((method, path, role, result))
    assert failures == []


@pytest.mark.parametrize("name", ["reports:download", "reports:view"])
def test_report_language_must_be_one_of_ours(name, matrix_world):
    for language in ("fr", "EN", "en ", "zh-hant/../en", "..", "%00"):
        path = reverse(name, kwargs={"pk": matrix_world.a.pk, "language": "en"}).replace(
            "/en/", f"/{language}/"
        )
        for role in ("lead_a", "admin"):
            response = matrix_world.client(role).get(path)
            assert response.status_code == 404, (path, role)


def test_csrf_is_enforced_on_writes(matrix_world):
    """The matrix client skips CSRF checks; a browser without the token is refused."""
    client = Client(enforce_csrf_checks=True)
    client.cookies = fresh(matrix_world.clients["lead_a"]).cookies
    row = TABLE["assessments:step"]
    for name in ("assessments:step", "assessments:autosave", "team", "assessments:submit"):
        path = reverse(name, kwargs=TABLE[name].kwargs(matrix_world))
        with rolled_back():
            response = client.post(path, row.data(matrix_world))
            assert response.status_code == 403, name


# --- the Django admin ------------------------------------------------------------------


def admin_example_path(p: Resolved, world: World) -> str:
    """A concrete URL for an admin pattern (objects need not exist: the login check
    comes first)."""
    values = {
        "object_id": str(world.issuer_a.pk),
        "id": str(world.users["lead_a"].pk),
        "content_type_id": "1",
        "app_label": "accounts",
        "url": "no-such-page/",
    }
    if p.name:
        return reverse(p.name, kwargs={k: values[k] for k in p.converters})
    if p.converters == ("url",):
        return reverse("admin:index") + values["url"]
    # The legacy "<object_id>/" redirect of each model admin.
    return "/" + p.route.replace("<path:object_id>", values["object_id"])


def test_admin_is_for_association_admins_only(matrix_world, baseline):
    """Every admin URL sends anonymous visitors and non-staff users (issuer staff and
    reviewers) to the admin login, and a POST there changes nothing."""
    failures = []
    admin_patterns = [p for p in all_patterns() if table_key(p) == ADMIN_GROUP]
    assert len(admin_patterns) > 40
    no_data = Row(none, get="", post="")
    for p in admin_patterns:
        if p.name == "admin:login":
            continue
        path = admin_example_path(p, matrix_world)
        # The admin's logout sends outsiders to the admin index, which asks them to log in.
        expected = "302 -> /admin/" if p.name == "admin:logout" else "admin-login"
        # One of each kind of outsider: anonymous, issuer staff, reviewer.
        for role in ("anon", "contributor_a", "lead_a", "reviewer_a"):
            response = matrix_world.clients[role].get(path)
            result = outcome(response)
            if result == "302" and response["Location"] == reverse("admin:index"):
                result = "302 -> /admin/"
            if result != expected:
                failures.append(("GET", path, role, result))
        for role in ("reviewer_a",):
            result = run_cell(matrix_world, role, "POST", path, no_data, baseline)
            if result not in (expected.split()[0], "admin-login"):
                failures.append(("POST", path, role, result))
    assert failures == []


def test_admin_pages_open_for_the_association_admin(matrix_world):
    w = matrix_world
    client = w.client("admin")
    pages = {
        reverse("admin:index"): 200,
        reverse("admin:app_list", args=["accounts"]): 200,
        reverse("admin:accounts_user_changelist"): 200,
        reverse("admin:accounts_user_change", args=[w.users["lead_a"].pk]): 200,
        reverse("admin:accounts_issuer_changelist"): 200,
        reverse("admin:accounts_issuer_change", args=[w.issuer_a.pk]): 200,
        reverse("admin:cohorts_cohort_add"): 200,
        reverse("admin:cohorts_cohort_change", args=[w.cohort_a.pk]): 200,
        reverse("admin:assessments_assessment_changelist"): 200,
        reverse("admin:assessments_assessment_change", args=[w.a.pk]): 200,
        reverse("admin:reports_report_changelist"): 200,
        reverse("admin:password_change"): 200,
        # Answers and scores change only through the services: read-only in the admin.
        reverse("admin:assessments_assessment_delete", args=[w.a.pk]): 403,
        reverse("admin:assessments_assessment_add"): 403,
    }
    actual = {path: client.get(path).status_code for path in pages}
    assert actual == pages
    login = reverse("admin:login")
    assert w.client("anon").get(login).status_code == 200
    assert outcome(client.get(login)) == "302"


def test_a_non_staff_user_cannot_post_to_the_admin(matrix_world, baseline):
    """Creating a cohort or promoting oneself through the admin as a reviewer or lead."""
    w = matrix_world
    for role in ("reviewer_a", "lead_a"):
        me = w.users[role]
        for path, data in (
            (
                reverse("admin:cohorts_cohort_add"),
                {"name_en": "X", "name_zh": "X", "slug": "x", "year": "2026"},
            ),
            (
                reverse("admin:accounts_user_change", args=[me.pk]),
                {"email": me.email, "role": "association_admin", "is_staff": "on"},
            ),
        ):
            with rolled_back():
                response = w.client(role).post(path, data)
                assert outcome(response) == "admin-login"
                assert state() == baseline


# --- extra and tampered POST fields ----------------------------------------------------

# Names a forged form might add, hoping a view passes the whole POST on to a model.
FORGED = {
    "issuer": "{issuer_b}",
    "issuer_id": "{issuer_b}",
    "assessment": "{b}",
    "assessment_id": "{b}",
    "pk": "{b}",
    "id": "{b}",
    "cohort": "{cohort_b}",
    "cohort_id": "{cohort_b}",
    "status": "approved",
    "to_status": "approved",
    "submitted_at": "2000-01-01T00:00:00Z",
    "overall_score": "100",
    "score": "100",
    "tier": "tier4",
    "version": "999",
    "updated_by": "{admin}",
    "author": "{lead_a}",
    "user": "{lead_a}",
    "role": "association_admin",
    "is_staff": "on",
    "is_superuser": "on",
    "stock_code": "99999",
    "profile_confirmed_at": "2000-01-01",
}


def forged(w: World) -> dict[str, str]:
    ids = {
        "issuer_b": w.issuer_b.pk,
        "b": w.b.pk,
        "cohort_b": w.cohort_b.pk,
        "admin": w.users["admin"].pk,
        "lead_a": w.users["lead_a"].pk,
    }
    return {k: v.format(**ids) for k, v in FORGED.items()}


def answers_by_code(assessment: Assessment) -> dict[str, tuple[Any, ...]]:
    return {
        a.item.code: (*a.value_tuple(), a.version, a.updated_by_id)
        for a in Answer.objects.filter(assessment=assessment).select_related("item")
    }


def unchanged_elsewhere(w: World, before_b: dict[str, Any]) -> None:
    w.refresh()
    assert answers_by_code(w.b) == before_b
    assert w.b.status == "submitted" and w.issuer_b.stock_code != "99999"
    assert not User.objects.filter(is_staff=True).exclude(pk=w.users["admin"].pk).exists()


def items(w: World, shift: str, kind: str = "maturity") -> list[Answer]:
    return list(
        Answer.objects.filter(assessment=w.a, item__shift_code=shift, item__kind=kind)
        .select_related("item")
        .order_by("item__position")
    )


def item_fields(answer: Answer, level: int, base: int | None = None) -> dict[str, str]:
    code = answer.item.code
    return {
        f"{code}__value": str(level),
        f"{code}__note": "changed",
        f"{code}__base": str(answer.version if base is None else base),
    }


@pytest.mark.parametrize("endpoint", ["assessments:step", "assessments:autosave"])
def test_wizard_saves_ignore_forged_fields(endpoint, matrix_world):
    """Only the step's own items change, each only from its current version, and only the
    answer fields: never the assessment, its status or scores, nor another issuer."""
    w = matrix_world
    mine, stale = items(w, "profit")[:2]
    other_shift = items(w, "growth")[0]
    before_a, before_b = answers_by_code(w.a), answers_by_code(w.b)
    snapshots = ScoreSnapshot.objects.count()
    data = {
        **forged(w),
        **item_fields(mine, (mine.level or 0) % 5 + 1),
        # A base version from the future is a concurrent edit, never an overwrite.
        **item_fields(stale, (stale.level or 0) % 5 + 1, base=stale.version + 7),
        # Another step's item smuggled into this step's POST.
        **item_fields(other_shift, (other_shift.level or 0) % 5 + 1),
        "nonexistent.item__value": "5",
        "nonexistent.item__base": "0",
        "go": "stay",
    }
    with rolled_back():
        path = reverse(endpoint, kwargs={"pk": w.a.pk, "shift": "profit"})
        response = w.client("contributor_a").post(path, data)
        assert response.status_code in (200, 409)
        after = answers_by_code(w.a)
        changed = {code for code in after if after[code] != before_a[code]}
        assert changed == {mine.item.code}
        code = mine.item.code
        assert after[code][-2:] == (before_a[code][-2] + 1, w.users["contributor_a"].pk)
        assert AnswerRevision.objects.filter(
            answer=stale, applied=False, version=stale.version + 7
        ).exists()
        w.a.refresh_from_db()
        assert w.a.status == "returned" and w.a.issuer_id == w.issuer_a.pk
        assert ScoreSnapshot.objects.count() == snapshots
        unchanged_elsewhere(w, before_b)


def test_wizard_refuses_impossible_base_versions(matrix_world):
    w = matrix_world
    answer = items(w, "profit")[0]
    path = reverse("assessments:step", kwargs={"pk": w.a.pk, "shift": "profit"})
    for base in ("-1", "abc", "1.5", "99999999999999999999"):
        with rolled_back():
            data = item_fields(answer, (answer.level or 0) % 5 + 1, base=0) | {
                f"{answer.item.code}__base": base
            }
            response = w.client("lead_a").post(path, data)
            assert response.status_code == 200, base
            assert "This page was out of date" in response.content.decode(), base
            assert answers_by_code(w.a)[answer.item.code][-2] == answer.version


def test_profile_ignores_forged_fields(matrix_world):
    w = matrix_world
    before_b = answers_by_code(w.b)
    issuer = w.issuer_a
    with rolled_back():
        response = w.client("lead_a").post(
            reverse("assessments:profile", kwargs={"pk": w.a.pk}),
            {**forged(w), **profile_data(w), "market_cap_band": "gt_10b"},
        )
        assert response.status_code == 302
        after = Issuer.objects.get(pk=issuer.pk)
        assert after.stock_code == issuer.stock_code
        assert after.market_cap_band == "gt_10b" and after.name_en.endswith("(renamed)")
        assert after.profile_confirmed_at.year >= 2026
        unchanged_elsewhere(w, before_b)


def test_submit_ignores_forged_fields(matrix_world):
    w = matrix_world
    before_b = answers_by_code(w.b)
    with rolled_back():
        response = w.client("lead_a").post(
            reverse("assessments:submit", kwargs={"pk": w.a.pk}), forged(w)
        )
        assert response.status_code == 302
        w.a.refresh_from_db()
        assert w.a.status == "submitted" and w.a.submitted_by_id == w.users["lead_a"].pk
        latest = w.a.snapshots.order_by("-created_at", "-pk").first()
        first = w.a.snapshots.order_by("created_at", "pk").first()
        # Same answers, same score: the forged "overall_score" was not used.
        assert latest.overall_score == first.overall_score != 100
        unchanged_elsewhere(w, before_b)


def test_review_submission_ignores_forged_fields(matrix_world):
    w = matrix_world
    before_b = answers_by_code(w.b)
    path = reverse("assessments:review_submission", kwargs={"pk": w.a.pk})
    with rolled_back():
        services_submit = w.client("lead_a").post(reverse("assessments:submit", args=[w.a.pk]))
        assert services_submit.status_code == 302
        changes = StatusChange.objects.count()
        response = w.client("reviewer_a").post(
            path, {**forged(w), "action": "return", "text": "Fix the figures.", "item": ""}
        )
        assert response.status_code == 302
        change = StatusChange.objects.order_by("-pk").first()
        assert StatusChange.objects.count() == changes + 1
        assert (change.assessment_id, change.user_id, change.to_status) == (
            w.a.pk,
            w.users["reviewer_a"].pk,
            "returned",
        )
        response = w.client("reviewer_a").post(
            path, {**forged(w), "action": "comment", "text": "One more thing.", "item": ""}
        )
        comment = ReviewComment.objects.order_by("-pk").first()
        assert (comment.assessment_id, comment.author_id) == (w.a.pk, w.users["reviewer_a"].pk)
        # An item code that is not in the list is refused, not looked up elsewhere.
        response = w.client("reviewer_a").post(
            path, {"action": "comment", "text": "x", "item": "../../growth"}
        )
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        unchanged_elsewhere(w, before_b)


def test_team_invite_ignores_forged_fields(matrix_world):
    w = matrix_world
    before_b = answers_by_code(w.b)
    with rolled_back():
        response = w.client("lead_a").post(
            reverse("team"),
            {
                **forged(w),
                "email": "Forged.Person@Example.org",
                "full_name": "Forged Person",
                "password": "known-password-123",
                "is_active": "on",
            },
        )
        assert response.status_code == 302
        person = User.objects.get(email="forged.person@example.org")
        assert (person.role, person.issuer_id) == ("issuer_contributor", w.issuer_a.pk)
        assert not (person.is_staff or person.is_superuser or person.has_usable_password())
        unchanged_elsewhere(w, before_b)


def test_enrolment_ignores_forged_columns_and_fields(matrix_world):
    w = matrix_world
    before_b = answers_by_code(w.b)
    path = reverse("cohorts:enrol", kwargs={"slug": w.cohort_a.slug})
    csv = (
        "stock_code,name_en,name_zh,industry,board,email,role,is_staff,issuer_id,cohort\n"
        f"7777,Forged Columns Ltd,,industrials,main,forged.lead@example.org,"
        f"association_admin,1,{w.issuer_b.pk},{w.cohort_b.slug}\n"
    )
    with rolled_back():
        admin = w.client("admin")
        response = admin.post(
            path, {**forged(w), "file": SimpleUploadedFile("f.csv", csv.encode(), "text/csv")}
        )
        assert response.status_code == 200 and "Forged Columns Ltd" in response.content.decode()
        # The import takes the rows kept in the session, never rows sent with the POST.
        response = admin.post(
            path,
            {
                **forged(w),
                "action": "import",
                "values": "stock_code=66666",
                "rows": '[{"line": 2, "values": {"stock_code": "66666"}}]',
            },
        )
        assert response.status_code == 302
        issuer = Issuer.objects.get(stock_code="07777")
        assert not Issuer.objects.filter(stock_code="66666").exists()
        assert list(issuer.assessments.values_list("cohort_id", flat=True)) == [w.cohort_a.pk]
        person = User.objects.get(email="forged.lead@example.org")
        assert (person.role, person.issuer_id, person.is_staff) == ("issuer_lead", issuer.pk, False)
        # The single-issuer form: the same rules, the same cohort.
        response = admin.post(
            path,
            {
                **forged(w),
                "action": "one",
                "stock_code": "7778",
                "name_en": "One By Hand Ltd",
                "industry": "industrials",
                "board": "main",
                "email": "one.lead@example.org",
            },
        )
        assert response.status_code == 302
        issuer = Issuer.objects.get(stock_code="07778")
        assert list(issuer.assessments.values_list("cohort_id", flat=True)) == [w.cohort_a.pk]
        assert User.objects.get(email="one.lead@example.org").role == "issuer_lead"
        unchanged_elsewhere(w, before_b)


def test_report_request_ignores_forged_fields(matrix_world):
    w = matrix_world
    with rolled_back():
        response = w.client("lead_a").post(
            reverse("reports:request", kwargs={"pk": w.a.pk}),
            {**forged(w), "language": "zh-hant"},
        )
        assert response.status_code == 302
        assert not Report.objects.filter(assessment=w.b).exists()
        assert Report.objects.filter(assessment=w.a, language="zh-hant").exists()
