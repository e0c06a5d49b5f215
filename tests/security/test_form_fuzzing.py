"""Every form and parameter, fed junk: never a 500, and a refusal always says why.

Property-based (hypothesis) runs over each form POST and GET parameter, then explicit
examples that assert the message a person sees for over-long input, wrong encodings,
wrong types and missing fields. Each example runs in a rolled-back savepoint on the
module's shared world, so examples cannot affect each other. The test client re-raises
any exception a view lets escape, so a would-be 500 fails the test with its traceback.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import (
    Board,
    EmployeeBand,
    Industry,
    Issuer,
    MarketCapBand,
    RevenueBand,
    User,
)
from assessments import selectors
from assessments.models import Answer, Assessment
from cohorts.enrolment import COLUMNS
from reports.models import ReportLanguage

from .corpus import CORPUS
from .world import World, rolled_back

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    # The world is module-scoped and each example rolls itself back (rolled_back()).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ------------------------------------------------------------------------

# Anything a browser could send in a field: the test client cannot encode lone surrogates
# (they are sent as raw bytes in test_lone_surrogates_are_replaced_not_fatal).
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from([*CORPUS, "", " ", "\x00", "a\x00b", "0", "-1", "1e309", "NaN", "dk"]),
    st.builds(lambda c, n: c * n, st.characters(exclude_categories=["Cs"]), st.integers(0, 4100)),
)
number_text = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    text,
)


def field(valid: list[str] | st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """A valid value, junk, or several values for the one name (a list)."""
    good = st.sampled_from(valid) if isinstance(valid, list) else valid
    one = st.one_of(good, text)
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))


def form(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Any subset of the fields (missing fields), plus now and then an unknown one."""
    return st.fixed_dictionaries(
        {}, optional={**fields, "unexpected": text, "csrfmiddlewaretoken": text}
    )


# --- what a refusal must look like -----------------------------------------------------


class Messages(HTMLParser):
    """The text of every error a page shows (form errors, error alerts, item errors)."""

    CLASSES = ("invalid-feedback", "alert-danger", "errorlist", "text-danger")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._depth: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            return
        cls = dict(attrs).get("class") or ""
        is_error = any(c in cls.split() for c in self.CLASSES) or (
            dict(attrs).get("role") == "alert"
        )
        if is_error:
            self.texts.append("")
        self._depth.append(is_error)

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in ("br", "input", "img", "meta", "link", "hr"):
            self._depth.pop()

    def handle_data(self, data: str) -> None:
        if any(self._depth):
            self.texts[-1] += data


def error_messages(html: str) -> list[str]:
    parser = Messages()
    parser.feed(html)
    # A bare "*" is the required-field marker, not a message.
    return [t.strip() for t in parser.texts if len(t.strip()) > 1]


def refused_with_a_message(response: Any) -> None:
    assert response.status_code == 200
    assert error_messages(response.content.decode()), response.content.decode()[-1500:]


def redirect_or_message(response: Any, redirect: tuple[int, ...] = (302,)) -> None:
    if response.status_code in redirect:
        return
    refused_with_a_message(response)


# --- the forms -------------------------------------------------------------------------


@FUZZ
@given(data=form({"username": field(["nobody@example.org"]), "password": text, "next": text}))
def test_login(world, data):
    with rolled_back():
        response = world.client("anon").post(reverse("login"), data)
        if response.status_code == 302:
            pytest.fail("a random password logged in")
        if response.status_code == 429:  # locked out after repeated failures: a page says so
            assert "minutes" in response.content.decode()
            return
        refused_with_a_message(response)


@FUZZ
@given(data=form({"email": field(["lead@example.org", "a@b.c"])}))
def test_password_reset(world, data):
    with rolled_back():
        response = world.client("anon").post(reverse("password_reset"), data)
        redirect_or_message(response)


@FUZZ
@given(data=form({"new_password1": field(["Sturdy-pass-2026"]), "new_password2": text}))
def test_set_password(world, data):
    # The token hashes last_login, which logging the world's clients in has changed.
    user = User.objects.get(pk=world.users["contributor_a"].pk)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    with rolled_back():
        client = world.client("anon")
        start = client.get(reverse("password_reset_confirm", args=[uid, token]))
        assert start.status_code == 302  # to the set-password form, token kept in the session
        response = client.post(start["Location"], data)
        redirect_or_message(response)


@FUZZ
@given(data=form({"email": field(["new@example.org"]), "full_name": field(["New Person"])}))
def test_team_invite(world, data):
    with rolled_back():
        response = world.client("lead_a").post(reverse("team"), data)
        redirect_or_message(response)


def choices(values: Any) -> list[str]:
    return [v for v, _ in values.choices]


@FUZZ
@given(
    data=form(
        {
            "name_en": field(["Harbour Holdings"]),
            "name_zh": field(["海港控股"]),
            "board": field(choices(Board)),
            "industry": field(choices(Industry)),
            "market_cap_band": field(choices(MarketCapBand)),
            "revenue_band": field(choices(RevenueBand)),
            "employee_band": field(choices(EmployeeBand)),
        }
    )
)
def test_profile_step(world, data):
    with rolled_back():
        response = world.client("lead_a").post(
            reverse("assessments:profile", args=[world.a.pk]), data
        )
        redirect_or_message(response)


def item_fields(world: World, shift: str) -> dict[str, st.SearchStrategy[Any]]:
    """Strategies for the fields of a few items of the step, valid and otherwise."""
    fw = selectors.framework_of(world.framework)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for item in list(fw.shift(shift).items)[:4]:
        if item.kind == "maturity":
            valid = [str(n) for n in range(1, 6)] + ["dk"]
        elif item.kind == "choice":
            valid = [o.code for o in item.options] + ["dk"]
        else:
            valid = ["0", "12.5", "1e3"]
        fields[f"{item.code}__value"] = field(valid)
        fields[f"{item.code}__dk"] = field(["on"])
        fields[f"{item.code}__note"] = field(["Board minutes"])
        fields[f"{item.code}__confidence"] = field(["", "self", "documented", "verified"])
        fields[f"{item.code}__base"] = st.one_of(st.sampled_from(["0", "1", "2"]), number_text)
    fields["go"] = field(["next", "prev", "stay"])
    return fields


STEP_MESSAGES = ("Some answers need attention", "were changed by a colleague")


@pytest.mark.parametrize("shift", ["profit", "growth", "intangibles", "governance"])
def test_wizard_step(shift, world):
    @FUZZ
    @given(data=form(item_fields(world, shift)))
    def run(data):
        with rolled_back():
            response = world.client("contributor_a").post(
                reverse("assessments:step", args=[world.a.pk, shift]), data
            )
            if response.status_code != 302:
                assert response.status_code == 200
                html = response.content.decode()
                assert any(m in html for m in STEP_MESSAGES), error_messages(html)

    run()


def test_autosave(world):
    @FUZZ
    @given(data=form(item_fields(world, "profit")))
    def run(data):
        with rolled_back():
            response = world.client("contributor_a").post(
                reverse("assessments:autosave", args=[world.a.pk, "profit"]),
                data,
                headers={"Accept": "application/json"},
            )
            payload = json.loads(response.content)
            assert response.status_code in (200, 400, 409), payload
            if response.status_code == 400:
                assert payload["status"] == "invalid"
                assert all(e["message"] for es in payload["errors"].values() for e in es)
            if response.status_code == 409:
                assert payload["status"] == "conflict" and payload["conflicts"]

    run()


@FUZZ
@given(data=form({"status": text, "overall_score": text, "assessment": text}))
def test_submit(world, data):
    with rolled_back():
        response = world.client("lead_a").post(
            reverse("assessments:submit", args=[world.a.pk]), data
        )
        assert response.status_code == 302


@FUZZ
@given(
    data=form(
        {
            "action": field(["comment", "approve", "return"]),
            "text": field(["Please attach the minutes."]),
            "item": field(["", "profit.core_processes.coverage"]),
        }
    )
)
def test_review_submission(world, data):
    with rolled_back():
        response = world.client("reviewer_a").post(
            reverse("assessments:review_submission", args=[world.a.pk]), data
        )
        redirect_or_message(response)


@FUZZ
@given(
    data=form({"language": field(ReportLanguage.values), "force": field(["1"])}),
    wants_json=st.booleans(),
)
def test_report_request(world, data, wants_json):
    headers = {"Accept": "application/json"} if wants_json else {}
    with rolled_back():
        response = world.client("lead_a").post(
            reverse("reports:request", args=[world.a.pk]), data, headers=headers
        )
        if wants_json:
            assert response.status_code in (200, 400)
            if response.status_code == 400:
                assert json.loads(response.content)["error"]
        else:
            assert response.status_code == 302


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or list(COLUMNS))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


cells = st.one_of(
    text,
    st.sampled_from(["700", "08123", "industrials", "Main Board", "gem", "x@example.org"]),
)


@FUZZ
@given(
    upload=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(cells, min_size=0, max_size=8), min_size=0, max_size=4).map(csv_bytes),
    ),
    skip=st.booleans(),
)
def test_enrolment_upload_and_import(world, upload, skip):
    path = reverse("cohorts:enrol", args=[world.cohort_a.slug])
    with rolled_back():
        admin = world.client("admin")
        response = admin.post(path, {"file": SimpleUploadedFile("f.csv", upload, "text/csv")})
        assert response.status_code == 200
        html = response.content.decode()
        if 'id="enrol-preview"' not in html:
            assert error_messages(html), html[-1500:]
            return
        data = {"action": "import", **({"skip_invalid": "1"} if skip else {})}
        response = admin.post(path, data)
        if response.status_code != 302:
            refused_with_a_message(response)


@FUZZ
@given(
    data=form(
        {
            "action": st.just("one"),
            "stock_code": field(["700", "8123"]),
            "name_en": field(["Lantau Foods Limited"]),
            "name_zh": field(["大嶼食品"]),
            "industry": field(choices(Industry)),
            "board": field(choices(Board)),
            "email": field(["lead@lantau.example"]),
        }
    )
)
def test_enrol_one(world, data):
    data["action"] = "one"
    with rolled_back():
        response = world.client("admin").post(
            reverse("cohorts:enrol", args=[world.cohort_a.slug]), data
        )
        redirect_or_message(response)


@FUZZ
@given(
    data=form(
        {
            "name_en": field(["Members 2027"]),
            "name_zh": field(["會員 2027"]),
            "slug": field(["members-2027", "new"]),
            "year": field(["2027", "1999"]),
            "opens_on": field(["2027-01-01"]),
            "closes_on": field(["2027-12-31", "2026-01-01"]),
            "status": field(["planned", "open", "closed"]),
        }
    )
)
def test_cohort_form(world, data):
    data = {**data, "framework": str(world.framework.pk)}
    with rolled_back():
        response = world.client("admin").post(reverse("cohorts:create"), data)
        redirect_or_message(response)


@FUZZ
@given(language=field(["en", "zh-hant"]), next_url=field(["/", "//evil.example/", "https://x"]))
def test_language_switch(world, language, next_url):
    with rolled_back():
        response = world.client("lead_a").post(
            reverse("set_language"), {"language": language, "next": next_url}
        )
        assert response.status_code == 302
        location = response["Location"]
        parts = urlsplit(location)
        # Same site: a path (absolute or relative), never another host or scheme.
        assert parts.scheme in ("", "http") and parts.netloc in ("", "testserver"), location
        assert "\\" not in location


# --- GET parameters --------------------------------------------------------------------


@FUZZ
@given(
    params=form(
        {
            "status": field(["submitted", "draft"]),
            "industry": field(choices(Industry)),
            "sort": field(["code", "-score", "activity"]),
            "page": number_text,
        }
    )
)
def test_dashboard_filters(world, params):
    path = reverse("cohorts:dashboard", args=[world.cohort_a.slug])
    response = world.client("reviewer_a").get(path + "?" + urlencode(params, doseq=True))
    assert response.status_code == 200


@FUZZ
@given(fmt=field(["csv", "xlsx"]), kind=field(["summary", "answers"]), lang=field(["en"]))
def test_export_parameters(world, fmt, kind, lang):
    fmt = fmt[0] if isinstance(fmt, list) else fmt
    path = reverse("cohorts:export", args=[world.cohort_a.slug, "csv"]).replace(
        "export.csv", "export." + quote(fmt, safe="")
    )
    response = world.client("reviewer_a").get(
        path + "?" + urlencode({"kind": kind, "lang": lang}, doseq=True)
    )
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        response.getvalue()


@FUZZ
@given(lang=field(["en", "zh-hant"]))
def test_bulk_reports_language(world, lang):
    path = reverse("cohorts:bulk_reports", args=[world.cohort_a.slug])
    response = world.client("reviewer_a").get(path + "?" + urlencode({"lang": lang}, doseq=True))
    assert response.status_code in (200, 404)


# --- clear messages for the classic mistakes -------------------------------------------


def post(world: World, role: str, path: str, data: dict[str, Any]) -> str:
    with rolled_back():
        response = world.client(role).post(path, data)
        assert response.status_code == 200, (path, response.status_code)
        return response.content.decode()


def note_field(world: World) -> tuple[str, Answer]:
    answer = (
        Answer.objects.filter(assessment=world.a, item__shift_code="profit", item__kind="maturity")
        .select_related("item")
        .first()
    )
    assert answer is not None
    return answer.item.code, answer


def test_over_long_input_is_refused_with_the_limit(world):
    code, answer = note_field(world)
    step = reverse("assessments:step", args=[world.a.pk, "profit"])
    html = post(
        world,
        "lead_a",
        step,
        {f"{code}__value": "3", f"{code}__note": "n" * 4001, f"{code}__base": answer.version},
    )
    assert "Ensure this value has at most 4000 characters (it has 4001)." in html
    html = post(
        world,
        "reviewer_a",
        reverse("assessments:review_submission", args=[world.a.pk]),
        {"action": "comment", "text": "c" * 4001},
    )
    assert "Ensure this value has at most 4000 characters (it has 4001)." in html
    html = post(
        world, "lead_a", reverse("team"), {"email": "x@example.org", "full_name": "f" * 151}
    )
    assert "Ensure this value has at most 150 characters (it has 151)." in html
    profile = {
        "name_en": "n" * 201,
        "board": "main",
        "industry": "industrials",
        "market_cap_band": "lt_500m",
        "revenue_band": "lt_100m",
        "employee_band": "lt_50",
    }
    html = post(world, "lead_a", reverse("assessments:profile", args=[world.a.pk]), profile)
    assert "Ensure this value has at most 200 characters (it has 201)." in html
    html = post(
        world, "anon", reverse("login"), {"username": "u" * 250 + "@x.org", "password": "p"}
    )
    assert "Ensure this value has at most 254 characters" in html


def upload(world: World, content: bytes) -> str:
    return post(
        world,
        "admin",
        reverse("cohorts:enrol", args=[world.cohort_a.slug]),
        {"file": SimpleUploadedFile("issuers.csv", content, "text/csv")},
    )


def test_enrolment_rows_that_the_database_would_refuse_are_errors_in_the_preview(world):
    """Over-long names or e-mail addresses and NUL characters are caught in the preview,
    and skipping the bad rows imports the rest."""
    rows = [
        ["700", "N" * 201, "", "industrials", "main", "long.name@example.org"],
        ["701", "Long Mail Ltd", "", "industrials", "main", "m" * 250 + "@example.org"],
        ["702", "Nul\x00 Ltd", "", "industrials", "main", "nul@example.org"],
        ["703", "Nul In Chinese Ltd", "零\x00", "industrials", "main", "nul.zh@example.org"],
        ["704", "Good Ltd", "好", "industrials", "main", "good@example.org"],
    ]
    path = reverse("cohorts:enrol", args=[world.cohort_a.slug])
    with rolled_back():
        admin = world.client("admin")
        response = admin.post(path, {"file": SimpleUploadedFile("f.csv", csv_bytes(rows))})
        html = response.content.decode()
        assert "4 rows have errors" in html
        assert "Names may have at most 200 characters." in html
        assert "Enter a valid e-mail address." in html
        assert html.count("Null characters are not allowed.") == 2
        response = admin.post(path, {"action": "import", "skip_invalid": "1"})
        assert response.status_code == 302
        assert set(Issuer.objects.filter(stock_code__startswith="007").values_list("name_en")) == {
            ("Good Ltd",)
        }


def test_enrolment_files_in_the_wrong_shape_get_a_clear_message(world):
    good_row = "700,Victoria Harbour Tech Limited,,industrials,main,cfo@vht.example\n"
    header = ",".join(COLUMNS) + "\n"
    # Invalid UTF-8 that is not Big5 either, and Latin-1 (é before a space or comma).
    for content in (
        b"\xff\xfe\x00garbage\x81",
        (
            header + "700,Soci\u00e9t\u00e9 G\u00e9n\u00e9rale Caf\u00e9,,industrials,main,a@b.c\n"
        ).encode("latin-1"),
        header.encode() + b"700,\xed\xa0\x80 Lone Surrogate,,industrials,main,a@b.c\n",
    ):
        assert "Save it as “CSV UTF-8”" in upload(world, content), content[:40]
    assert "Missing column(s): English name, Industry, Board, Lead&#x27;s e-mail" in upload(
        world, b"stock_code\n1\n"
    )
    # Excel's "Unicode Text" (UTF-16 with its byte-order mark) is read.
    assert "Victoria Harbour Tech Limited" in upload(world, (header + good_row).encode("utf-16"))
    assert "The file has a header but no rows." in upload(world, header.encode())
    assert "The submitted file is empty." in upload(world, b"")
    # A single field longer than the csv module's limit (128 KiB).
    huge = (header + '700,"' + "x" * 140_000 + '",,industrials,main,a@b.c\n').encode()
    assert "cannot be read as CSV" in upload(world, huge)
    html = post(world, "admin", reverse("cohorts:enrol", args=[world.cohort_a.slug]), {})
    assert "This field is required." in html


def test_missing_and_mistyped_fields_get_a_clear_message(world):
    code, answer = note_field(world)
    step = reverse("assessments:step", args=[world.a.pk, "profit"])
    base = {f"{code}__base": answer.version}
    html = post(world, "lead_a", step, {**base, f"{code}__value": "7"})
    assert "Choose one of the options shown." in html
    html = post(world, "lead_a", step, {**base, f"{code}__value": "3", f"{code}__confidence": "x"})
    assert "Choose one of the options shown." in html
    html = post(world, "lead_a", step, {**base, f"{code}__value": "3", f"{code}__note": "a\x00"})
    assert "Null characters are not allowed." in html
    figure = Answer.objects.filter(assessment=world.a, item__kind="figure").select_related("item")
    fig = figure.first()
    assert fig is not None
    fig_step = reverse("assessments:step", args=[world.a.pk, fig.item.shift_code])
    f = fig.item.code
    for bad in ("abc", "NaN", "Infinity", "1,5"):
        html = post(world, "lead_a", fig_step, {f"{f}__base": fig.version, f"{f}__value": bad})
        assert "Enter a number." in html, bad

    review = reverse("assessments:review_submission", args=[world.a.pk])
    assert "Write the comment first." in post(world, "reviewer_a", review, {"action": "comment"})
    for data in ({}, {"action": "delete", "text": "x"}):
        html = post(world, "reviewer_a", review, data)
        assert "Choose what to do: add a comment, approve or return." in html, data
    html = post(world, "reviewer_a", review, {"action": "comment", "text": "x", "item": "nope"})
    assert "Select a valid choice. nope is not one of the available choices." in html

    html = post(world, "lead_a", reverse("team"), {"full_name": "No Mail"})
    assert "This field is required." in html
    html = post(world, "lead_a", reverse("team"), {"email": "not-an-address", "full_name": "X"})
    assert "Enter a valid email address." in html
    html = post(world, "lead_a", reverse("assessments:profile", args=[world.a.pk]), {"board": "x"})
    assert "Select a valid choice. x is not one of the available choices." in html
    assert "This field is required." in html
    html = post(world, "anon", reverse("login"), {"username": "lead@example.org"})
    assert "This field is required." in html


def test_lone_surrogates_are_replaced_not_fatal(world):
    """A browser cannot send them, a script can: the bytes decode to U+FFFD and are saved."""
    code, answer = note_field(world)
    body = urlencode({f"{code}__value": "3", f"{code}__base": answer.version}) + (
        f"&{quote(code)}__note=%ED%A0%80x%ED%B0%80"
    )
    with rolled_back():
        response = world.client("lead_a").generic(
            "POST",
            reverse("assessments:step", args=[world.a.pk, "profit"]),
            body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 302
        answer.refresh_from_db()
        assert "x" in answer.note and "\ufffd" in answer.note


def test_issuer_names_with_line_breaks_or_ampersands_do_not_break_invitations(world, oncommit):
    """The invitation's subject carries the issuer's name: a header may not span lines,
    and a plain-text subject must not show HTML entities."""
    profile = {
        "name_en": "Smith & Sons\r\nHoldings",
        "board": "main",
        "industry": "industrials",
        "market_cap_band": "lt_500m",
        "revenue_band": "lt_100m",
        "employee_band": "lt_50",
    }
    with rolled_back():
        lead = world.client("lead_a")
        assert (
            lead.post(reverse("assessments:profile", args=[world.a.pk]), profile).status_code == 302
        )
        mail.outbox = []
        with oncommit(execute=True):
            response = lead.post(
                reverse("team"), {"email": "invitee@example.org", "full_name": "In Vitee"}
            )
        assert response.status_code == 302
        (message,) = mail.outbox
        assert "Smith & Sons Holdings" in message.subject
        assert "\n" not in message.subject and "&amp;" not in message.subject


def test_dashboard_page_links_keep_filter_values_inside_their_parameter(world):
    """A filter value with & or # must not add parameters to (or cut) the page links."""
    issuers = Issuer.objects.bulk_create(
        Issuer(stock_code=f"{70000 + n}", name_en=f"Paged {n}", board="main", industry="energy")
        for n in range(51)
    )
    Assessment.objects.bulk_create(
        Assessment(issuer=i, framework=world.framework, cohort=world.cohort_a) for i in issuers
    )
    path = reverse("cohorts:dashboard", args=[world.cohort_a.slug])
    query = urlencode({"status": "x&page=9", "industry": "y#top", "sort": "-code"})
    html = world.client("reviewer_a").get(f"{path}?{query}").content.decode()
    # Unknown values are dropped (cohorts.dashboard.DashboardFilters), the valid one kept.
    assert 'href="?sort=-code&amp;page=2"' in html and "page=9" not in html
