"""The report font subset: built once, in a child process, from the installed Noto Sans CJK."""

from __future__ import annotations

import logging

import pytest
from fontTools.ttLib import TTFont

from reports import fonts


@pytest.fixture
def fresh(settings, tmp_path, monkeypatch):
    settings.REPORT_FONT_DIR = tmp_path
    monkeypatch.setattr(fonts, "_cached", False)
    return tmp_path


def test_the_subset_is_built_in_a_child_process_and_covers_report_text(fresh, monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("the subset must be built in a child process, not in a worker")

    monkeypatch.setattr(fonts, "subset_font", not_here)
    built = fonts.report_fonts()
    assert built is not None
    assert built.regular.parent == fresh and built.bold.parent == fresh
    cmap = TTFont(built.regular).getBestCmap()
    for ch in "評估成熟度治理穩定可控可解釋香港嘅AIü—○●":
        assert ord(ch) in cmap, ch
    assert len(cmap) < 30_000  # Big5 + HKSCS + Latin and symbols, not all 65,000 glyphs
    assert fonts.report_fonts() is built  # once per process


def test_a_failed_subset_falls_back_to_system_fonts(fresh, monkeypatch, tmp_path, caplog):
    not_a_font = tmp_path / "NotoSansCJK-Regular.ttc"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setattr(fonts, "_find_source", lambda name: not_a_font)
    with caplog.at_level(logging.ERROR, logger="reports.fonts"):
        assert fonts.report_fonts() is None
    assert "could not build the report font subset" in caplog.text
    assert not list(fresh.glob("ReportSansTC-*.otf"))
