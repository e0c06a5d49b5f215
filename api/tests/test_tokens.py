"""Personal API tokens: shown once, stored hashed, expiring, revocable, read-only,
throttled, and audited (through the HTTP interface wherever a person would use it)."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent, AccountEventKind
from api import services
from api.models import ApiToken
from assessments.tests.factories import IssuerFactory, client_for, lead

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'value="(air_[0-9a-f]{8}_[A-Za-z0-9_-]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def create_on_page(client: Client, name: str = "BI tool", days: str = "90") -> str:
    response = client.post(reverse("api:tokens"), {"name": name, "days": days})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    found = TOKEN_RE.search(response.content.decode())
    assert found, "the new token is shown"
    return found.group(1)


def test_a_token_is_shown_once_and_only_its_hash_is_stored():
    person = lead(IssuerFactory())
    client = client_for(person)
    raw = create_on_page(client)
    token = ApiToken.objects.get(user=person)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    page = client.get(reverse("api:tokens")).content.decode()
    assert raw not in page and f"air_{token.prefix}" in page and "BI tool" in page
    # The account page links to the token page.
    account = client.get(reverse("account")).content.decode()
    assert reverse("api:tokens") in account
    # It works, and the stored row never reveals it (nothing to log in with).
    assert Client().get(reverse("api:issuers"), headers=bearer(raw)).status_code == 200


def test_expiry_is_required_and_at_most_a_year():
    client = client_for(lead(IssuerFactory()))
    for days in ("", "0", "400", "abc"):
        response = client.post(reverse("api:tokens"), {"name": "x", "days": days})
        assert response.status_code == 200 and not TOKEN_RE.search(response.content.decode())
    assert not ApiToken.objects.exists()
    with pytest.raises(ValueError):
        services.token_create(user=lead(IssuerFactory()), name="x", days=366)


def test_expired_revoked_wrong_and_malformed_tokens_are_refused_with_json():
    person = lead(IssuerFactory())
    new = services.token_create(user=person, name="x", days=30)
    url = reverse("api:issuers")
    api = Client()
    assert api.get(url, headers=bearer(new.raw)).status_code == 200
    wrong_secret = new.raw[:-4] + ("AAAA" if not new.raw.endswith("AAAA") else "BBBB")
    for header in (
        f"Bearer {wrong_secret}",
        "Bearer air_00000000_nothing",
        "Bearer not-a-token",
        "Bearer",
        "Bearer a b",
        "Bearer \u00e9\u00e9",
    ):
        response = api.get(url, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"] and response["WWW-Authenticate"].startswith("Bearer")
    now = timezone.now()
    ApiToken.objects.filter(pk=new.token.pk).update(
        created_at=now - datetime.timedelta(days=2), expires_at=now - datetime.timedelta(seconds=1)
    )
    response = api.get(url, headers=bearer(new.raw))
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    other = services.token_create(user=person, name="y", days=30)
    person.is_active = False
    person.save()
    assert api.get(url, headers=bearer(other.raw)).status_code == 401


def test_revocation_on_the_page_stops_the_token_and_is_audited():
    person = lead(IssuerFactory())
    client = client_for(person)
    raw = create_on_page(client)
    token = ApiToken.objects.get(user=person)
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert Client().get(reverse("api:issuers"), headers=bearer(raw)).status_code == 401
    # Somebody else's token does not exist for me.
    mine = services.token_create(user=lead(IssuerFactory()), name="z", days=30).token
    assert client.post(reverse("api:token_revoke", args=[mine.pk])).status_code == 404
    kinds = list(AccountEvent.objects.filter(user=person).values_list("kind", flat=True))
    assert sorted(kinds) == [AccountEventKind.API_TOKEN_CREATED, AccountEventKind.API_TOKEN_REVOKED]
    assert raw not in str(list(AccountEvent.objects.values("detail")))


def test_use_is_audited_at_most_once_an_hour_per_token():
    person = lead(IssuerFactory())
    new = services.token_create(user=person, name="x", days=30)
    api = Client()
    for _ in range(3):
        assert api.get(reverse("api:issuers"), headers=bearer(new.raw)).status_code == 200
    used = AccountEvent.objects.filter(user=person, kind=AccountEventKind.API_TOKEN_USED)
    assert used.count() == 1
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None
    ApiToken.objects.filter(pk=new.token.pk).update(
        use_logged_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    api.get(reverse("api:issuers"), headers=bearer(new.raw))
    assert used.count() == 2


def test_tokens_are_read_only():
    new = services.token_create(user=lead(IssuerFactory()), name="x", days=30)
    response = Client().post(reverse("api:issuers"), {}, headers=bearer(new.raw))
    assert response.status_code == 403 and response.json()["detail"]


@override_settings(API_THROTTLE_RATE="3/minute")
def test_each_token_has_its_own_request_budget():
    person = lead(IssuerFactory())
    first = services.token_create(user=person, name="a", days=30)
    second = services.token_create(user=person, name="b", days=30)
    api, url = Client(), reverse("api:issuers")
    codes = [api.get(url, headers=bearer(first.raw)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get(url, headers=bearer(first.raw))
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0
    assert api.get(url, headers=bearer(second.raw)).status_code == 200


def test_messages_follow_the_readers_language():
    response = Client().get(
        reverse("api:issuers"),
        headers={"Authorization": "Bearer nothing", "Accept-Language": "zh-hant"},
    )
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert detail and not re.search(r"[A-Za-z]{4,}", detail.replace("API", "")), detail
