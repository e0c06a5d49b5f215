"""Conditional GET for list endpoints: an ETag and Last-Modified from a cheap fingerprint
of the rows (their newest change and their count), checked *before* the page is built, so
a client polling an unchanged list costs one aggregate query and gets 304."""

from __future__ import annotations

import datetime
import hashlib

from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from rest_framework.request import Request

# Part of every ETag: a change of what the API says about the same rows (a new field)
# must not be answered with 304 to a client holding the old shape.
SHAPE = "api-v1.1"


def etag_of(request: Request, marker: str) -> str:
    """The rows' fingerprint, for this URL (filters, page), reader and language."""
    user = request.user.pk if request.user.is_authenticated else ""
    seed = f"{SHAPE}|{marker}|{request.get_full_path()}|{user}|{get_language()}"
    return quote_etag(hashlib.sha256(seed.encode()).hexdigest()[:32])


def not_modified(
    request: Request, *, etag: str, last_modified: datetime.datetime | None
) -> HttpResponseBase | None:
    """304 when the client's copy is current (If-None-Match, else If-Modified-Since)."""
    stamp = int(last_modified.timestamp()) if last_modified else None
    response = get_conditional_response(request._request, etag=etag, last_modified=stamp)
    if response is not None:
        stamp_headers(response, etag=etag, last_modified=last_modified)
    return response


def stamp_headers(
    response: HttpResponseBase, *, etag: str, last_modified: datetime.datetime | None
) -> HttpResponseBase:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    # Whoever holds the token sees it; no shared cache may keep it.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Authorization", "Cookie", "Accept-Language"))
    return response
