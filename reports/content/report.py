"""The report's template context: every section (ResultContent) plus what only the printed
report has: the cover, the charts and the embedded fonts."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.models import ScoreSnapshot

from .. import charts
from ..fonts import report_fonts
from .result import ResultContent


def report_context(
    *, snapshot: ScoreSnapshot, language: str, compared_with: ScoreSnapshot | None
) -> dict[str, Any]:
    """The complete report, in `language`. Two peer queries; no per-item queries."""
    with translation.override(language):
        content = ResultContent(snapshot=snapshot, language=language, compared_with=compared_with)
        assessment = content.assessment
        r = content.scores.result
        fonts = report_fonts()
        return {
            "font_css": fonts.css() if fonts else "",
            "language": language,
            "html_lang": "zh-Hant-HK" if language == "zh-hant" else "en",
            "assessment": assessment,
            "issuer": assessment.issuer,
            "issuer_name": assessment.issuer.name_zh
            if language == "zh-hant" and assessment.issuer.name_zh
            else assessment.issuer.name_en,
            "snapshot": snapshot,
            "framework": content.framework,
            "generated_at": timezone.now(),
            "content": content,
            "radar": content.radar,
            "heatmap": charts.heatmap(
                [(c["stage"], c["depth"], c["depth_code"]) for c in r["heatmap"]],
                label=_("AI across the value chain"),
            ),
        }
