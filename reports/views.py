from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthedRequest
from assessments import access
from assessments import selectors as assessment_selectors
from assessments.models import Assessment

from . import selectors, services
from .content import ResultContent, disclosure_rules, previous_snapshot, published_framework
from .models import ReportLanguage, ReportStatus


def _language_or_404(language: str) -> str:
    if language not in ReportLanguage.values:
        raise Http404
    return language


def _downloadable(request: AuthedRequest, pk: int) -> Assessment:
    """The assessment whose report `request.user` may read; 404 otherwise, like a lookup."""
    assessment = assessment_selectors.assessment_for_user(user=request.user, pk=pk)
    if not access.can_download_report(user=request.user, assessment=assessment):
        raise Http404
    return assessment


def _status_payload(request: AuthedRequest, pk: int) -> dict:
    assessment = assessment_selectors.assessment_for_user(user=request.user, pk=pk)
    rows = []
    for language, report in selectors.reports_for_latest(assessment, user=request.user).items():
        rows.append(
            {
                "language": language,
                "status": report.status if report else "none",
                "label": report.status_label if report else _("Not generated yet"),
                "error": (report.error if report and report.status == ReportStatus.FAILED else ""),
                "download": reverse("reports:download", args=[pk, language])
                if report and report.status == ReportStatus.READY
                else "",
                # The request button's words as the page would print them after a reload.
                "button": _("Regenerate")
                if report and report.status == ReportStatus.READY
                else _("Generate report"),
            }
        )
    return {"reports": rows, "pending": any(r["status"] in ("queued", "rendering") for r in rows)}


@require_GET
def peer_method(request: HttpRequest) -> HttpResponse:
    """How peer comparison works: the disclosure rules in force, for anyone (no data)."""
    method = disclosure_rules()
    context = {
        "min_group": method.min_group,
        "detail_min": method.detail_min,
        "detail_min_less": method.detail_min - 1,
        "rounding": method.coarse_rounding,
        "release_step": method.release_step,
    }
    return render(request, "reports/peer_method.html", context)


@require_GET
def framework_page(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """The framework and how it is scored, for anyone (no login, no company data).

    A loaded version never changes, so its rendered content is cached per version,
    checksum and language (`{% cache %}` in the template); the lazy content is built
    only when that cache misses."""
    row = assessment_selectors.framework_published(version=version)
    language = get_language() or "en"
    context = {
        "row": row,
        "versions": assessment_selectors.framework_versions(),
        "cache_key": f"{row.version}:{row.checksum}:{language}",
        "page": SimpleLazyObject(
            lambda: published_framework(
                fw=assessment_selectors.framework_of(row), language=language
            )
        ),
    }
    return render(request, "reports/framework.html", context)


@login_required
@require_GET
def results(request: AuthedRequest, pk: int) -> HttpResponse:
    """The results page: the same sections as the report (reports.content), on screen."""
    assessment = assessment_selectors.assessment_for_user(user=request.user, pk=pk)
    snapshot_id = assessment_selectors.latest_snapshot_id(assessment)
    if snapshot_id is None:
        messages.info(request, _("Scores appear here once the assessment is submitted."))
        return redirect("assessments:review", pk=pk)
    snapshot = services.snapshot_load(snapshot_id=snapshot_id)
    context = {
        "assessment": assessment,
        "snapshot": snapshot,
        "content": ResultContent(
            snapshot=snapshot,
            language=get_language(),
            compared_with=previous_snapshot(assessment, viewer=request.user),
        ),
        "reports": selectors.reports_for_latest(assessment, user=request.user),
    }
    return render(request, "reports/results.html", context)


@login_required
@require_POST
def request_report(request: AuthedRequest, pk: int) -> HttpResponse:
    assessment = assessment_selectors.assessment_for_user(user=request.user, pk=pk)
    language = request.POST.get("language", "")
    wants_json = request.headers.get("accept", "").startswith("application/json")
    if language not in ReportLanguage.values:
        if wants_json:
            return JsonResponse({"error": _("Choose English or Traditional Chinese.")}, status=400)
        messages.error(request, _("Choose English or Traditional Chinese."))
        return redirect("reports:results", pk=pk)
    try:
        report = services.report_request(
            assessment=assessment,
            language=language,
            user=request.user,
            force=request.POST.get("force") == "1",
        )
    except services.NothingToReport:
        messages.error(request, _("There is nothing to report until the assessment is submitted."))
        return redirect("assessments:review", pk=pk)
    except PermissionDenied:
        raise Http404 from None
    if wants_json:
        return JsonResponse(_status_payload(request, pk))
    if report.awaiting_queue:
        messages.warning(
            request,
            _(
                "Report generation is unavailable right now. Your request is saved: the "
                "report will be produced as soon as the service is back, and this page "
                "shows when it is ready."
            ),
        )
    else:
        messages.info(request, _("Your report has been queued. This page shows when it is ready."))
    return redirect(reverse("reports:results", args=[pk]) + "#reports")


@login_required
@require_GET
def report_status(request: AuthedRequest, pk: int) -> JsonResponse:
    return JsonResponse(_status_payload(request, pk))


@login_required
@require_GET
def download(request: AuthedRequest, pk: int, language: str) -> FileResponse:
    assessment = _downloadable(request, pk)
    report = selectors.reports_for_latest(assessment, user=request.user).get(
        _language_or_404(language)
    )
    if report is None or report.status != ReportStatus.READY or not report.file:
        raise Http404
    date = assessment.submitted_at or report.finished_at
    stamp = date.strftime("%Y%m%d") if date else "undated"
    filename = f"{assessment.issuer.stock_code}-ai-readiness-{stamp}-{language}.pdf"
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def view_html(request: AuthedRequest, pk: int, language: str) -> HttpResponse:
    assessment = _downloadable(request, pk)
    snapshot_id = assessment_selectors.latest_snapshot_id(assessment)
    if snapshot_id is None:
        raise Http404
    language = _language_or_404(language)
    # Lazy: worded when the report is rendered, in the report's language like the rest of it.
    label = gettext_lazy("Back to results")
    links = [{"url": reverse("reports:results", args=[pk]), "label": label}]
    html = services.report_html(
        snapshot=services.snapshot_load(snapshot_id=snapshot_id),
        language=language,
        screen_links=links,
        csp_nonce=str(request.csp_nonce),  # type: ignore[attr-defined]
        compared_with=previous_snapshot(assessment, viewer=request.user),
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response
