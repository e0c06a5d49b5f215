"""A lost database answers 503 with a page that itself needs no database."""

from __future__ import annotations

from django.db import OperationalError
from django.urls import get_resolver

from config.errors import server_error


def test_a_lost_database_is_a_503_page_rendered_without_the_database(rf):
    # No django_db mark: any query while rendering the page would fail this test.
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/assessments/1/"))
    assert response.status_code == 503
    assert response["Retry-After"] and response["Cache-Control"] == "no-store"
    assert "Service temporarily unavailable" in response.content.decode()


def test_other_errors_stay_a_500(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500


def test_it_is_the_sites_500_handler():
    assert get_resolver().resolve_error_handler(500) is server_error
