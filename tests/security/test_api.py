"""The JSON API walked as every role with personal tokens: owners get 200, others 401 /
403 / 404 exactly as the URL matrix says for the session, and no answer carries another
issuer's data. Then conditional GET, and junk parameters (never a 500)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from api import services as api_services

from .test_access_matrix import TABLE
from .test_form_fuzzing import FUZZ, text
from .world import ROLES, World, rolled_back

pytestmark = pytest.mark.django_db

# The token page is a page of the site (session only); every other api: URL is the API.
SESSION_ONLY = {"api:tokens", "api:token_revoke"}
ENDPOINTS = sorted(n for n in TABLE if n.startswith("api:") and n not in SESSION_ONLY)


@pytest.fixture(scope="module")
def tokens(world: World) -> dict[str, str]:
    out = {}
    for role in ROLES:
        if role != "anon":
            out[role] = api_services.token_create(user=world.users[role], name=role, days=30).raw
    return out


def get(tokens: dict[str, str], role: str, path: str, **headers: str) -> Any:
    if role != "anon":
        headers["Authorization"] = f"Bearer {tokens[role]}"
    cache.clear()  # throttle counts stay out of the way
    return Client().get(path, headers=headers)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_as_every_role_with_a_token(name, world, tokens):
    path = reverse(name, kwargs=TABLE[name].kwargs(world))
    expected = TABLE[name].expected("GET")
    actual = {}
    for role in ROLES:
        with rolled_back():
            response = get(tokens, role, path)
            actual[role] = str(response.status_code)
            if response.status_code != 200 and response.get("Content-Type") != "text/html":
                body = response.json()
                assert body["detail"] and body["code"], (name, role, body)
    assert actual == expected


def issuer_codes(data: Any) -> set[str]:
    """Every stock code anywhere in a JSON answer."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "stock_code" and isinstance(value, str):
                found.add(value)
            found |= issuer_codes(value)
    elif isinstance(data, list):
        for value in data:
            found |= issuer_codes(value)
    return found


def test_no_cross_issuer_data(world, tokens):
    a, b = world.issuer_a.stock_code, world.issuer_b.stock_code
    for role, mine in (("contributor_a", {a}), ("lead_a", {a}), ("lead_b", {b})):
        for name in ("api:issuers", "api:assessments"):
            data = get(tokens, role, reverse(name)).json()
            assert issuer_codes(data) <= mine, (role, name)
        assert get(tokens, "lead_a", reverse("api:issuers")).json()["count"] == 1
    # Reviewer A sees cohort A's issuer and never cohort B's.
    for name in ("api:assessments", "api:issuers"):
        assert issuer_codes(get(tokens, "reviewer_a", reverse(name)).json()) == {a}
    rows = get(tokens, "reviewer_a", reverse("api:cohort_issuers", args=[world.cohort_a.slug]))
    assert issuer_codes(rows.json()) == {a}
    answers = get(tokens, "admin", reverse("api:cohort_answers", args=[world.cohort_a.slug]))
    assert issuer_codes(answers.json()) == {a} and answers.json()["count"] > 40


def test_scores_and_peers_say_what_the_results_page_says(world, tokens):
    scores = get(tokens, "lead_a", reverse("api:scores", args=[world.a.pk])).json()
    snapshot = world.a.snapshots.order_by("-created_at", "-pk").first()
    assert scores["overall"] == (float(snapshot.overall_score) if snapshot.overall_score else None)
    assert len(scores["shifts"]) == 4 and scores["provisional"] == snapshot.provisional
    peers = get(tokens, "lead_a", reverse("api:peers", args=[world.a.pk])).json()
    # Two issuers in the world: every group is withheld, and says only why.
    assert peers["groups"] and all(not g["shown"] for g in peers["groups"])
    assert all(set(g) == {"key", "name", "n", "shown", "reason"} for g in peers["groups"])
    reports = get(tokens, "lead_a", reverse("api:reports", args=[world.a.pk])).json()["reports"]
    ready = next(r for r in reports if r["language"] == "en")
    pdf = Client().get(
        ready["download_url"], headers={"Authorization": f"Bearer {tokens['lead_a']}"}
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_framework_is_the_export_command(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("export_framework", "--framework-version", world.framework.version, stdout=out)
    response = Client().get(reverse("api:framework", args=[world.framework.version]))
    assert response.json() == json.loads(out.getvalue())
    assert Client().get(reverse("api:framework", args=["latest"])).status_code == 200
    missing = Client().get(reverse("api:framework", args=["no-such-version"]))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize("name", ["api:assessments", "api:cohort_issuers", "api:cohort_emails"])
def test_lists_answer_304_when_unchanged(name, world, tokens):
    path = reverse(name, kwargs=TABLE[name].kwargs(world))
    first = get(tokens, "admin", path)
    assert first.status_code == 200 and first["ETag"]
    again = get(tokens, "admin", path, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    # Another reader, page or filter is another ETag.
    assert get(tokens, "admin", path + "?page_size=7")["ETag"] != first["ETag"]
    if name != "api:cohort_emails":  # the reviewer may not read the e-mail log
        assert get(tokens, "reviewer_a", path)["ETag"] != first["ETag"]
    if first.has_header("Last-Modified"):
        since = get(tokens, "admin", path, **{"If-Modified-Since": first["Last-Modified"]})
        assert since.status_code == 304
    with rolled_back():
        # As the services change an assessment: its status with its change time.
        world.a.__class__.objects.filter(pk=world.a.pk).update(
            status="approved", updated_at=timezone.now()
        )
        changed = get(tokens, "admin", path, **{"If-None-Match": first["ETag"]})
        assert changed.status_code == 200 or name == "api:cohort_emails"


LIST_PARAMS = {
    "api:assessments": ["cohort", "status", "industry", "updated_since", "page", "page_size"],
    "api:cohort_issuers": ["status", "industry", "updated_since", "page", "page_size"],
    "api:cohort_answers": ["stock_code", "updated_since", "page", "page_size"],
    "api:cohort_aggregates": ["industry"],
    "api:issuers": ["industry", "page"],
}


@pytest.mark.parametrize("name", sorted(LIST_PARAMS))
@FUZZ
@given(data=st.data())
def test_junk_parameters_get_a_json_message_never_a_500(name, world, tokens, data):
    params = data.draw(st.dictionaries(st.sampled_from(LIST_PARAMS[name]), text, max_size=4))
    path = reverse(name, kwargs=TABLE[name].kwargs(world))
    with rolled_back():
        cache.clear()
        response = Client().get(
            path, params, headers={"Authorization": f"Bearer {tokens['admin']}"}
        )
        assert response.status_code in (200, 400, 404), (params, response.status_code)
        body = response.json()
        if response.status_code != 200:
            assert body["detail"] and body["code"], body


@pytest.mark.parametrize(
    "name", ["api:cohort_issuers", "api:assessments", "api:cohort_answers", "api:cohort_emails"]
)
def test_a_list_page_costs_a_fixed_number_of_queries(
    name, world, tokens, django_assert_max_num_queries
):
    """Token, scope, the fingerprint (which also counts), the page's ids, then its rows,
    their latest snapshots and answer counts by id: the same whatever the number of rows."""
    path = reverse(name, kwargs=TABLE[name].kwargs(world))
    get(tokens, "admin", path)  # the hourly "token used" audit row is written once
    with django_assert_max_num_queries(7):
        assert get(tokens, "admin", path).status_code == 200
