"""The API documentation page (Swagger UI from drf-spectacular-sidecar) works in Chromium
under the site's Content-Security-Policy: it renders the schema, nothing is blocked, and
nothing is fetched from another origin."""

from __future__ import annotations

import pytest

from assessments.services import framework_load
from conftest import V1_PATH

from .test_csp_browser import RECORD_VIOLATIONS, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_under_the_policy(page) -> None:
    framework_load(path=V1_PATH)
    page.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(page.base + "/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "AI Readiness API" in page.locator(".swagger-ui .info .title").inner_text()
    # The operations listed from the schema, e.g. the public framework.
    page.wait_for_selector("text=/api/v1/frameworks/{version}/")
    assert violations(page) == []
    assert not [line for line in console if "Content Security Policy" in line]
    assert requested and all(url.startswith(page.base) for url in requested), requested
