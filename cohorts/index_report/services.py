"""The index report as HTML and PDF: the one code path of the worker, the command and the
benchmark (rendering outside any transaction, like issuer reports)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from reports.fonts import report_fonts
from reports.models import ReportLanguage
from reports.rendering import html_to_pdf

from ..models import Cohort
from .content import IndexContent


def association_name(language: str) -> str:
    return (
        settings.ASSOCIATION_NAME_ZH if language.startswith("zh") else settings.ASSOCIATION_NAME_EN
    )


def index_report_html(
    *,
    content: IndexContent,
    language: str,
    inline_css: bool = True,
    csp_nonce: str = "",
    screen_links: list[dict] | None = None,
) -> str:
    """The report as one HTML page; `inline_css=False` leaves the stylesheet to the PDF
    path (`index_report_css`)."""
    if language not in ReportLanguage.values:
        raise ValueError(language)
    with translation.override(language):
        context = {
            "c": content,
            "cohort": content.cohort,
            "cohort_name": content.cohort.name_zh
            if language.startswith("zh") and content.cohort.name_zh
            else content.cohort.name_en,
            "association": association_name(language),
            "language": language,
            "html_lang": "zh-Hant-HK" if language == "zh-hant" else "en",
            "generated_at": timezone.now(),
            "inline_css": inline_css,
            "csp_nonce": csp_nonce,
            "screen_links": screen_links or [],
        }
        return render_to_string("cohorts/index_report/report.html", context)


def index_report_css() -> str:
    fonts = report_fonts()
    return (fonts.css() if fonts else "") + render_to_string("cohorts/index_report/report.css")


def index_report_pdf(
    *, cohort: Cohort, language: str, compare_with: Cohort | bool | None = True
) -> bytes:
    """Render synchronously (one read of each cohort, then WeasyPrint)."""
    content = IndexContent.load(cohort=cohort, compare_with=compare_with)
    html = index_report_html(content=content, language=language, inline_css=False)
    return html_to_pdf(html, css=index_report_css())
