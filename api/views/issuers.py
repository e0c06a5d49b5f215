"""An issuer's people (and the association, within its scope): issuers, assessments,
scores, peer comparison and reports. Every lookup goes through
`access.visible_assessments` (404 outside it) and the results predicates."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Industry, Issuer
from assessments import access
from assessments import selectors as assessment_selectors
from assessments.models import Assessment
from reports import selectors as report_selectors
from reports import services as report_services
from reports.content import ResultContent, previous_snapshot
from reports.models import ReportLanguage, ReportStatus

from .. import presenters
from ..listing import AssessmentFilters, ListEndpoint


class IssuerSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Issuer
        fields = ["id", "stock_code", "name_en", "name_zh", "industry", "board", "market_cap_band"]


class IssuerFilters(serializers.Serializer):  # type: ignore[type-arg]
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)


@extend_schema(parameters=[IssuerFilters])
class IssuerList(ListEndpoint):
    """The issuers whose assessments one may see: one's own company (or companies), or for
    the association those of its cohorts. Filter: industry."""

    serializer_class = IssuerSerializer
    filters_class = IssuerFilters
    changed_field = "pk"

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        visible = assessment_selectors.assessments_visible_to(self.request.user)  # type: ignore[arg-type]
        rows = Issuer.objects.filter(pk__in=visible.values("issuer_id"))
        if filters.get("industry"):
            rows = rows.filter(industry=filters["industry"])
        return rows.order_by("stock_code", "pk")

    def freshness(self, rows: QuerySet[Any]) -> tuple[Any, str]:
        # Issuers have no change time: the marker is their ids and profile fields' hash.
        values = rows.values_list(
            "pk", "name_en", "name_zh", "industry", "board", "market_cap_band"
        )
        return None, hashlib.sha256(repr(list(values)).encode()).hexdigest()


class AssessmentRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Documentation of a row (built by api.presenters.assessment_json)."""

    id = serializers.IntegerField()
    issuer = IssuerSerializer()
    cohort = serializers.CharField(allow_null=True)
    framework_version = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    withdrawn = serializers.BooleanField()
    latest_scores = serializers.JSONField(allow_null=True)
    url = serializers.URLField()


@extend_schema(parameters=[AssessmentFilters])
class AssessmentList(ListEndpoint):
    """The assessments one may see, newest change first. Filters: cohort, status,
    industry, updated_since."""

    serializer_class = AssessmentRowSerializer
    filters_class = AssessmentFilters

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        rows = assessment_selectors.assessments_visible_to(self.request.user)  # type: ignore[arg-type]
        if filters.get("cohort"):
            rows = rows.filter(cohort__slug=filters["cohort"])
        if filters.get("status"):
            rows = rows.filter(status=filters["status"])
        if filters.get("industry"):
            rows = rows.filter(issuer__industry=filters["industry"])
        if filters.get("updated_since"):
            rows = rows.filter(updated_at__gte=filters["updated_since"])
        # Ids only: the page is read again with its columns (presenters.page_annotated).
        return rows.order_by("-updated_at", "-pk").values_list("pk", flat=True)

    def present(self, rows: list[Any]) -> list[dict[str, Any]]:
        page = presenters.page_annotated(rows)
        return [presenters.assessment_json(a, self.request) for a in page]


def visible(request: Request, pk: int) -> Assessment:
    """The assessment if the reader may see its results; 404 otherwise (ids reveal
    nothing), exactly as the results page."""
    assessment = assessment_selectors.assessment_for_user(user=request.user, pk=pk)  # type: ignore[arg-type]
    if not access.can_view_results(user=request.user, assessment=assessment):
        raise Http404
    return assessment


class AssessmentDetail(APIView):
    """One assessment: its issuer, cohort, status, deadline and latest scores."""

    @extend_schema(responses=AssessmentRowSerializer)
    def get(self, request: Request, pk: int) -> Response:
        assessment = visible(request, pk)
        (row,) = presenters.page_annotated([assessment])
        return Response(presenters.assessment_json(row, request))


def result_content(request: Request, assessment: Assessment) -> ResultContent:
    """The latest submission's result as the results page builds it, in the reader's
    language; 404 with a message before the first submission."""
    snapshot_id = assessment_selectors.latest_snapshot_id(assessment)
    if snapshot_id is None:
        raise NotFound(_("Scores appear here once the assessment is submitted."))
    return ResultContent(
        snapshot=report_services.snapshot_load(snapshot_id=snapshot_id),
        language=get_language(),
        compared_with=previous_snapshot(assessment, viewer=request.user),  # type: ignore[arg-type]
    )


class AssessmentScores(APIView):
    """The latest submission's scores: overall, shifts, dimensions, tier, completeness and
    whether the result is provisional (names in the reader's language)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        content = result_content(request, visible(request, pk))
        return Response(presenters.scores_json(content))


class AssessmentPeers(APIView):
    """Peer comparison as on the results page: each peer group shown or withheld (with
    why), under the same disclosure rules (reports/benchmarks.py, docs/SECURITY.md)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        content = result_content(request, visible(request, pk))
        return Response(presenters.peers_json(content))


class AssessmentReports(APIView):
    """The PDF report of the latest submission in each language: status and a download
    link (`/api/v1/assessments/<id>/reports/<language>/`, with the same token)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        assessment = visible(request, pk)
        if not access.can_download_report(user=request.user, assessment=assessment):
            raise Http404
        rows = presenters.reports_json(assessment, user=request.user, request=request)  # type: ignore[arg-type]
        return Response({"reports": rows})


class ReportDownload(APIView):
    """The PDF itself (404 until it is ready)."""

    @extend_schema(
        operation_id="assessments_report_download",
        parameters=[
            OpenApiParameter("language", str, OpenApiParameter.PATH, enum=ReportLanguage.values)
        ],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int, language: str) -> FileResponse:
        assessment = visible(request, pk)
        if language not in ReportLanguage.values or not access.can_download_report(
            user=request.user, assessment=assessment
        ):
            raise Http404
        report = report_selectors.reports_for_latest(assessment, user=request.user).get(language)  # type: ignore[arg-type]
        if report is None or report.status != ReportStatus.READY or not report.file:
            raise NotFound(_("This report is not ready."))
        name = f"{assessment.issuer.stock_code}-ai-readiness-{language}.pdf"
        return FileResponse(
            report.file.open("rb"),
            as_attachment=True,
            filename=name,
            content_type="application/pdf",
        )
