"""The public framework page: every question, level and rule of a version, for anyone,
in both languages, cached per version and language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from assessments.selectors import framework_of
from assessments.services import framework_load_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    return [row for row, _ in framework_load_all()]


def _get(client, url, language):
    client.cookies["django_language"] = language
    with translation.override("en"):  # the request activates `language`; don't leak it
        return client.get(url)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_the_page_shows_every_question_level_and_rule_without_login(client, loaded, language):
    row = loaded[-1]
    fw = framework_of(row)
    page = _get(client, reverse("reports:framework"), language)
    assert page.status_code == 200
    html = page.content.decode()
    lang = "zh-hant" if language == "zh-hant" else "en"
    from django.utils.html import escape

    for item in fw.iter_items():
        assert escape(item.text.get(lang)) in html
        for level in item.levels:
            assert escape(level.get(lang)) in html
    for dim in fw.dimensions:
        for text in dim.recommendations.values():
            assert escape(text.get(lang)) in html
    for tier in fw.tiers:
        assert escape(tier.name.get(lang)) in html
    for cond in fw.tier_rule.conditions:
        assert escape(cond.text.get(lang)) in html
    for stage in fw.stages:
        assert escape(stage.name.get(lang)) in html
    assert ("How scores are computed" in html) == (language == "en")
    assert "this assessment keeps" not in html  # the report's wording, not the page's


def test_each_loaded_version_has_its_page_and_an_unknown_one_is_404(client, loaded):
    for row in loaded:
        page = _get(client, reverse("reports:framework_version", args=[row.version]), "en")
        assert page.status_code == 200
        assert framework_of(row).name.en in page.content.decode()
        assert f"Framework version {row.version}." in page.content.decode()
    assert (
        _get(client, reverse("reports:framework_version", args=["1999.1"]), "en").status_code == 404
    )


def _main(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


def test_the_page_is_cached_per_version_and_language(client, loaded, monkeypatch):
    url = reverse("reports:framework")
    first = _main(_get(client, url, "en").content.decode())

    def not_again(**kwargs):
        raise AssertionError("built again although cached")

    # From now on the content can only come from the cache.
    monkeypatch.setattr("reports.views.published_framework", not_again)
    assert _main(_get(client, url, "en").content.decode()) == first
    with pytest.raises(AssertionError, match="built again"):
        _get(client, url, "zh-hant")  # another language: its own entry
    older = reverse("reports:framework_version", args=[loaded[0].version])
    with pytest.raises(AssertionError, match="built again"):
        _get(client, older, "en")  # another version: its own entry


def test_nothing_loaded_is_404(client):
    assert _get(client, reverse("reports:framework"), "en").status_code == 404


def test_every_page_links_to_the_framework(client, loaded):
    html = _get(client, reverse("reports:peer_method"), "en").content.decode()
    assert reverse("reports:framework") in html


def test_the_newest_edition_in_chinese_passes_the_style_sheet_and_shows_its_crosswalk(
    client, loaded
):
    import re

    from tests.test_style_sheet import violations

    html = _get(client, reverse("reports:framework"), "zh-hant").content.decode()
    assert "相關標準及指引：" in html and "與標準及指引的對照" in html
    text = re.sub(r"<[^>]+>", " ", re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", html))
    found = [v for line in text.splitlines() if line.strip() for v in violations(line)]
    assert not found, "\n".join(found)
