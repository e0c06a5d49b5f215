from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthedRequest
from reports.models import ReportLanguage

from . import exports, selectors


@login_required
@require_GET
def export(request: AuthedRequest, slug: str, fmt: str) -> StreamingHttpResponse | FileResponse:
    """Cohort results for admins and the cohort's reviewers; 404 for everyone else."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    kind = request.GET.get("kind", "summary")
    language = request.GET.get("lang", "en")
    if (
        fmt not in exports.FORMATS
        or kind not in exports.KINDS
        or language not in ReportLanguage.values
    ):
        raise Http404
    rows = exports.rows_for(kind, cohort, language)
    filename = f"{cohort.slug}-{kind}-{timezone.localdate():%Y%m%d}-{language}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_stream(rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            exports.xlsx_tempfile(rows, sheet=kind),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Cache-Control"] = "private, no-store"
    return response
