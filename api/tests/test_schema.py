"""The OpenAPI schema validates, and the documentation page works offline under the CSP."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_validates_and_lists_every_endpoint():
    response = Client().get(reverse("api:schema"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)  # OpenAPI 3 (openapi-spec-validator); raises on any error
    paths = set(schema["paths"])
    assert {
        "/api/v1/frameworks/{version}/",
        "/api/v1/assessments/{id}/scores/",
        "/api/v1/assessments/{id}/peers/",
        "/api/v1/cohorts/{slug}/issuers/",
        "/api/v1/cohorts/{slug}/answers/",
        "/api/v1/cohorts/{slug}/emails/",
    } <= paths
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_the_docs_page_loads_only_our_own_files_and_no_inline_code():
    client = Client()
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp.split("style-src-attr")[0]
    script = client.get(reverse("api:docs") + "?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert script["Content-Type"].startswith("application/javascript")
