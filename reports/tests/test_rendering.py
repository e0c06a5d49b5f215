"""Real WeasyPrint, real fonts: these tests read the produced PDFs with poppler."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Answer, ScoreSnapshot
from assessments.tests.factories import IssuerFactory
from reports.rendering import BundledAssetsOnly, html_to_pdf
from reports.services import report_pdf, snapshot_load

from .conftest import submit_synthetic
from .poppler import pdffonts, pdftotext

pytestmark = pytest.mark.django_db

HOSTILE = (
    '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">'
    "<style>body{background:url(http://127.0.0.1:9/x.png)}</style>"
    '<div style="background:url(file:///etc/hostname)">x</div><script>alert(1)</script>'
)


@pytest.fixture
def chinese_snapshot(framework):
    issuer = IssuerFactory(
        name_en="Kowloon Precision Holdings Limited", name_zh="九龍精密控股有限公司"
    )
    snapshot = submit_synthetic(
        issuer, framework, seed=7, note="已於二〇二五年年報披露：董事會每季檢討人工智能風險（㗎）"
    )
    return snapshot_load(snapshot_id=snapshot.pk)


def test_zh_hant_report_has_chinese_headings_typed_notes_and_an_embedded_cjk_font(
    chinese_snapshot, tmp_path
):
    pdf = report_pdf(snapshot=chinese_snapshot, language="zh-hant", compared_with=None)
    text = pdftotext(pdf, tmp_path)
    assert "九龍精密控股有限公司" in text
    assert "執行摘要" in text and "方法" in text
    assert "利潤函數被重寫" in text
    flat = "".join(text.split())  # table cells wrap long notes
    assert "董事會每季檢討人工智能風險" in flat and "㗎" in flat  # HKSCS character typed by a user
    assert f"{chinese_snapshot.overall_score:.0f}" in text
    fonts = pdffonts(pdf, tmp_path)
    assert "CJK" in fonts or "Report-Sans-TC" in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line, line  # every font embedded
    assert len(pdf) < 1.5 * 1024 * 1024


def test_english_report_contents(chinese_snapshot, tmp_path):
    text = pdftotext(
        report_pdf(snapshot=chinese_snapshot, language="en", compared_with=None), tmp_path
    )
    for heading in (
        "Executive summary",
        "Profit function rewritten",
        "AI across the value chain",
        "Path for your company",
        "Priorities",
        "Change since your previous assessment",
        "Method",
    ):
        assert heading in text, heading
    assert "Kowloon Precision Holdings Limited" in text
    assert "not enough peers (n = 0)" in text


def test_pdf_with_the_shared_stylesheet_matches_the_self_contained_html(chinese_snapshot, tmp_path):
    """The worker parses the CSS once and drops template indentation; the PDF must be
    the one the browser's self-contained HTML gives: same pages, footers and text."""
    from reports.services import report_html

    fast = pdftotext(
        report_pdf(snapshot=chinese_snapshot, language="zh-hant", compared_with=None), tmp_path
    )
    plain = pdftotext(
        html_to_pdf(report_html(snapshot=chinese_snapshot, language="zh-hant", compared_with=None)),
        tmp_path,
    )
    assert fast == plain
    pages = fast.split("\f")
    total = len([p for p in pages if p.strip()])
    assert total >= 8  # page breaks from the stylesheet
    assert f"2 / {total}" in fast  # @page footer from the stylesheet
    assert "九龍精密控股有限公司" in pages[1]  # string-set running header


def test_hostile_free_text_is_escaped_and_fetches_nothing(framework, tmp_path):
    snapshot = snapshot_load(
        snapshot_id=submit_synthetic(IssuerFactory(), framework, seed=3, note=HOSTILE).pk
    )
    fetcher = BundledAssetsOnly()
    from reports.services import report_html

    pdf = html_to_pdf(
        report_html(snapshot=snapshot, language="en", compared_with=None), fetcher=fetcher
    )
    # The only fetches are the bundled report fonts; the note's URLs never reach the fetcher.
    assert fetcher.refused == []
    text = "".join(pdftotext(pdf, tmp_path).split())  # table cells wrap long words
    assert "etc/passwd" in text, text[-600:]  # shown as text, not followed
    assert "<script>alert(1)</script>" in text
    assert "root:x:" not in text


def test_the_fetcher_refuses_files_network_and_attachments_even_in_raw_markup(tmp_path):
    fetcher = BundledAssetsOnly()
    pdf = html_to_pdf(f"<html><body><p>raw</p>{HOSTILE}</body></html>", fetcher=fetcher)
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused and "http://127.0.0.1:9/x.png" in refused
    assert "file:///etc/hostname" in refused
    assert b"root:x:" not in pdf
    assert b"/EmbeddedFile" not in pdf


def test_render_report_command_for_both_languages(chinese_snapshot, tmp_path):
    code = chinese_snapshot.issuer.stock_code
    for language in ("en", "zh-hant"):
        out = tmp_path / f"{language}.pdf"
        stdout = StringIO()
        call_command(
            "render_report",
            "--issuer",
            code.lstrip("0") or "0",
            "--lang",
            language,
            "--out",
            str(out),
            stdout=stdout,
        )
        assert out.read_bytes().startswith(b"%PDF")
        assert "Wrote" in stdout.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--issuer", "99999"], "No issuer with stock code 99999"),
        (["--issuer", "12ab"], "is not a stock code"),
    ],
)
def test_render_report_command_errors(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "render_report",
            *args,
            "--lang",
            "en",
            "--out",
            str(tmp_path / "x.pdf"),
            stdout=StringIO(),
        )


def test_render_report_command_with_nothing_submitted(framework, tmp_path):
    issuer = IssuerFactory()
    with pytest.raises(CommandError, match="no submitted assessment"):
        call_command(
            "render_report",
            "--issuer",
            issuer.stock_code,
            "--lang",
            "en",
            "--out",
            str(tmp_path / "x.pdf"),
            stdout=StringIO(),
        )
    with pytest.raises(CommandError):
        call_command(
            "render_report",
            "--issuer",
            issuer.stock_code,
            "--lang",
            "fr",
            "--out",
            str(tmp_path / "x.pdf"),
            stdout=StringIO(),
        )


def test_answers_changed_later_do_not_change_the_scores_in_the_report(chinese_snapshot, tmp_path):
    before = ScoreSnapshot.objects.get(pk=chinese_snapshot.pk).result
    Answer.objects.filter(assessment=chinese_snapshot.assessment).update(level=5)
    assert ScoreSnapshot.objects.get(pk=chinese_snapshot.pk).result == before


def test_zh_hant_pdf_of_the_2027_edition_shows_the_new_dimensions_and_the_crosswalk(tmp_path):
    from assessments.services import FRAMEWORK_DIR, framework_load

    v3, _ = framework_load(path=FRAMEWORK_DIR / "v3.yaml")
    snapshot = snapshot_load(snapshot_id=submit_synthetic(IssuerFactory(), v3, seed=8).pk)
    pdf = report_pdf(snapshot=snapshot, language="zh-hant", compared_with=None)
    flat = "".join(pdftotext(pdf, tmp_path).split())
    for words in (
        "人工智能策略、領導與變革",  # profit.strategy
        "可控的人工智能",  # governance.control
        "相關標準及指引：",  # under each dimension
        "ISO/IEC42001（第5.1條",
        "與標準及指引的對照",  # the method appendix
        "個人資料私隱專員公署《人工智能：個人資料保障模範框架》（2024年6月）",
    ):
        assert words in flat, words
