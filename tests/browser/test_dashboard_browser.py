"""The secretary's dashboard in a real browser: search and the follow-up filters, the
industry filter redrawing the charts, printing on A4 landscape with nothing cut (the
printed PDF's text against the page's), and the heatmap's last industry within reach at
1366 px."""

from __future__ import annotations

import datetime
import re
import subprocess
from collections import Counter

import pytest
from django.utils import timezone

from accounts.models import Industry
from assessments import services
from assessments.models import Assessment
from assessments.services import framework_load
from assessments.tests.factories import CohortFactory, IssuerFactory, association_admin, lead
from conftest import V1_PATH
from reports.tests.conftest import submit_synthetic

from .conftest import ARTIFACTS, screenshot
from .test_wizard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_(settings, tmp_path):
    """A closed round: one submitted issuer in each of the 12 industries (00101–00112),
    one that never started (00700, a utility, its lead never accepted), one that started, and one
    with an extension (not overdue)."""
    settings.MEDIA_ROOT = tmp_path
    version, _ = framework_load(path=V1_PATH)
    today = timezone.localdate()
    cohort = CohortFactory(
        framework=version,
        slug="print-2026",
        opens_on=today - datetime.timedelta(days=90),
        closes_on=today,  # answered while open, closed below (the calendar refuses after)
    )
    for n, industry in enumerate(Industry.values):
        issuer = IssuerFactory(stock_code=f"{101 + n:05d}", industry=industry)
        submit_synthetic(issuer, version, seed=n, cohort=cohort)

    def enrol(code, name, **kw):
        the_lead = lead(issuer=IssuerFactory(stock_code=code, name_en=name, **kw))
        return the_lead, services.assessment_create(
            issuer=the_lead.issuer, framework=version, user=the_lead, cohort=cohort
        )

    never, _ = enrol("00700", "Harbour Precision Holdings", industry=Industry.UTILITIES)
    never.set_unusable_password()
    never.save()
    started_lead, started = enrol("00800", "Peak Robotics", industry=Industry.UTILITIES)
    services.answers_save(
        assessment=started,
        proposals={started.answers.first().item.code: services.Proposed(level=2)},
        user=started_lead,
    )
    _lead, extended = enrol("00900", "Lantau Ferries", industry=Industry.INDUSTRIALS)
    Assessment.objects.filter(pk=extended.pk).update(
        extended_until=today + datetime.timedelta(days=7)
    )
    cohort.closes_on = today - datetime.timedelta(days=1)
    cohort.save(update_fields=["closes_on"])
    return cohort


def table_codes(page):
    return page.locator("#issuers tbody tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )


def svg_texts(page):
    return page.locator("#histogram svg text").evaluate_all("ts => ts.map(t => t.textContent)")


def apply(page):
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_load_state()


def test_the_secretarys_dashboard_filters(page, round_):
    login(page, association_admin().email)
    page.goto(page.base + "/cohorts/print-2026/")
    assert len(table_codes(page)) == 15
    histogram_all = page.inner_html("#histogram svg")

    page.fill("#f-q", "0700.HK")
    page.press("#f-q", "Enter")
    page.wait_for_url("**q=0700.HK**")
    assert table_codes(page) == ["00700"]
    row = page.inner_text("#issuers tr[data-code='00700']")
    assert "Invited" in row and "Never" in row and "0/" in row and "overdue" in row

    page.fill("#f-q", "")
    page.check("#f-not-started")
    apply(page)
    assert table_codes(page) == ["00700", "00900"]

    page.uncheck("#f-not-started")
    page.check("#f-overdue")
    apply(page)
    assert table_codes(page) == ["00700", "00800"]  # the extension is not overdue

    page.uncheck("#f-overdue")
    page.check("#f-not-accepted")
    apply(page)
    assert table_codes(page) == ["00700"]

    # The industry filter redraws every chart, not only the table.
    page.uncheck("#f-not-accepted")
    assert page.locator("#industry-heatmap thead th").count() == 13
    page.select_option("#f-industry", "utilities")
    apply(page)
    assert table_codes(page) == ["00108", "00700", "00800"]
    assert page.text_content("[data-key=enrolled]").strip() == "3"
    assert page.text_content("[data-key=submitted]").strip() == "1"
    assert page.locator("#industry-heatmap thead th").all_inner_texts()[1:] == ["Utilities"]
    assert page.inner_html("#histogram svg") != histogram_all
    bars = svg_texts(page)
    assert sum(int(t) for t in bars if t.isdigit()) == 1  # one submitted utility
    screenshot(page, "dashboard-filtered")


def words(text):
    # pdftotext joins a word hyphenated at a line end ("third-" + "party"): so does this.
    return Counter(re.findall(r"\w+", text.replace("-", "")))


def test_printing_on_a4_landscape_cuts_nothing(page, round_):
    login(page, association_admin().email)
    page.goto(page.base + "/cohorts/print-2026/")
    page.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "dashboard-print.pdf"  # kept for a look, like the screenshots
    page.pdf(path=str(pdf), format="A4", landscape=True, prefer_css_page_size=True)
    printed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout

    # Everything the page shows in print (navigation and controls hidden) is on paper:
    # a cut column or chart would leave its words out of the PDF.
    shown = page.inner_text("main")
    missing = words(shown) - words(printed)
    assert not missing, missing
    assert "Log out" not in printed and "Apply" not in printed and "Export" not in printed
    headers = page.locator("#industry-heatmap thead th").all_inner_texts()
    assert len(headers) == 13
    for header in headers:
        assert not words(header) - words(printed), header
    for code in table_codes(page):
        assert code in printed
    for label in svg_texts(page):
        assert not words(label) - words(printed), label
    # A4 landscape: wider than high (points).
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert round(width) == 842 and round(height) == 595


def test_at_1366_px_the_heatmaps_last_industry_and_the_histogram_fit(page, round_):
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, association_admin().email)
    page.goto(page.base + "/cohorts/print-2026/")
    box = page.locator("#industry-heatmap-scroll")
    scroll_width, client_width = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
    if scroll_width > client_width:
        # It scrolls (keyboard too: the region is focusable), the dimension column stays.
        box.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    frame = box.bounding_box()
    last = page.locator("#industry-heatmap thead th").last.bounding_box()
    first = page.locator("#industry-heatmap tbody th[scope=row]").first.bounding_box()
    assert frame["x"] <= last["x"] and last["x"] + last["width"] <= frame["x"] + frame["width"] + 1
    assert abs(first["x"] - frame["x"]) <= 1  # sticky: still at the left edge
    assert box.get_attribute("tabindex") == "0"
    # The histogram fits its card (it used to run over its edge).
    card = page.locator("#histogram").bounding_box()
    chart = page.locator("#histogram svg").bounding_box()
    assert chart["x"] + chart["width"] <= card["x"] + card["width"] + 1
