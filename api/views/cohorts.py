"""The association's endpoints: cohorts (admins all, reviewers their own: the scoping of
`access.visible_cohorts`, 404 outside it), enrolment and status, per-issuer scores, the
dashboard's aggregates, answers and the e-mail log, each behind the page's predicate."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Industry, User
from assessments import access
from assessments.models import Answer, Assessment
from cohorts import notifications
from cohorts.dashboard import DashboardFilters, cohort_dashboard
from cohorts.models import Cohort
from cohorts.selectors import cohort_for_user, cohorts_visible_to

from .. import cohort_presenters as present
from .. import presenters
from ..listing import Filters, ListEndpoint, SinceField, parse_filters


def visible_cohort(request: Request, slug: str) -> Cohort:
    """The cohort if the reader sees its dashboard; 404 otherwise, as the pages do."""
    user: User = request.user  # type: ignore[assignment]
    cohort = cohort_for_user(user=user, slug=slug)
    if not access.can_view_cohort(user=user, cohort=cohort):
        raise PermissionDenied
    return cohort


class CohortSerializer(serializers.Serializer):  # type: ignore[type-arg]
    slug = serializers.SlugField()
    name_en = serializers.CharField()
    name_zh = serializers.CharField()
    year = serializers.IntegerField()
    status = serializers.CharField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    framework_version = serializers.CharField(source="framework.version")


class CohortList(ListEndpoint):
    """The cohorts one may see: admins all, reviewers their own (issuer staff are refused,
    as on the cohort list page)."""

    serializer_class = CohortSerializer
    filters_class = None

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        if not access.can_list_cohorts(user=self.request.user):
            raise PermissionDenied
        rows = cohorts_visible_to(self.request.user)  # type: ignore[arg-type]
        return (
            rows.select_related("framework")
            .defer("framework__content")
            .order_by("-year", "slug", "pk")
        )

    def freshness(self, rows: QuerySet[Any]) -> tuple[Any, str]:
        # Cohorts keep no change time: their fields are the marker (a handful of rows).
        values = rows.values_list(
            "pk", "slug", "name_en", "name_zh", "status", "opens_on", "closes_on"
        )
        return None, hashlib.sha256(repr(list(values)).encode()).hexdigest()


class CohortDetail(APIView):
    """One cohort with its enrolment: how many issuers in each status, and withdrawn."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, slug: str) -> Response:
        cohort = visible_cohort(request, slug)
        counts = Assessment.objects.filter(cohort=cohort).aggregate(
            enrolled=Count("pk", filter=Q(withdrawn_at=None)),
            withdrawn=Count("pk", filter=~Q(withdrawn_at=None)),
            **{s: Count("pk", filter=Q(status=s, withdrawn_at=None)) for s in present.STATUSES},
        )
        return Response(present.cohort_json(cohort, counts, request))


class IssuerRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Documentation of a row (built by api.cohort_presenters.issuer_row)."""

    assessment_id = serializers.IntegerField()
    stock_code = serializers.CharField()
    name_en = serializers.CharField()
    name_zh = serializers.CharField()
    industry = serializers.CharField()
    board = serializers.CharField()
    status = serializers.CharField()
    started = serializers.BooleanField()
    answered = serializers.IntegerField()
    items_total = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    deadline = serializers.DateField(allow_null=True)
    extended_until = serializers.DateField(allow_null=True)
    withdrawn = serializers.BooleanField()
    overall = serializers.FloatField(allow_null=True)
    level = serializers.IntegerField(allow_null=True)
    tier = serializers.CharField(allow_null=True)
    completeness = serializers.FloatField(allow_null=True)
    provisional = serializers.BooleanField(allow_null=True)
    shifts = serializers.DictField(child=serializers.FloatField(allow_null=True))


@extend_schema(parameters=[Filters])
class CohortIssuers(ListEndpoint):
    """Every issuer enrolled in the cohort (withdrawn ones flagged), by stock code: status,
    progress, deadline and latest scores, one flat row each. Filters: status, industry,
    updated_since."""

    serializer_class = IssuerRowSerializer
    filters_class = Filters

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        cohort = visible_cohort(self.request, self.kwargs["slug"])
        # Ids only: the page is read again with its columns (presenters.page_annotated).
        rows: QuerySet[Any] = Assessment.objects.filter(cohort=cohort)
        if filters.get("status"):
            rows = rows.filter(status=filters["status"])
        if filters.get("industry"):
            rows = rows.filter(issuer__industry=filters["industry"])
        if filters.get("updated_since"):
            rows = rows.filter(updated_at__gte=filters["updated_since"])
        return rows.order_by("issuer__stock_code", "pk").values_list("pk", flat=True)

    def present(self, rows: list[Any]) -> list[dict[str, Any]]:
        return [present.issuer_row(a) for a in presenters.page_annotated(rows, progress=True)]


class AggregatesFilters(serializers.Serializer):  # type: ignore[type-arg]
    industry = serializers.ChoiceField(choices=Industry.choices, required=False)


class CohortAggregates(APIView):
    """The dashboard's figures (cohorts/dashboard.py): funnel, score histogram, medians by
    shift, size and board, industry × dimension medians, key figures, tiers and value-chain
    adoption. Filter: industry (narrows every figure, as on the dashboard)."""

    @extend_schema(parameters=[AggregatesFilters], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, slug: str) -> Response:
        cohort = visible_cohort(request, slug)
        filters = parse_filters(request, AggregatesFilters)
        dashboard = cohort_dashboard(
            cohort=cohort, filters=DashboardFilters(industry=filters.get("industry", ""))
        )
        return Response(present.aggregates_json(dashboard))


class AnswerFilters(serializers.Serializer):  # type: ignore[type-arg]
    stock_code = serializers.RegexField(r"^\d{1,5}$", required=False, max_length=5)
    updated_since = SinceField(required=False)


@extend_schema(parameters=[AnswerFilters])
class CohortAnswers(ListEndpoint):
    """Every answer of the cohort's enrolled issuers (long format: one row per issuer and
    question, by stock code and question order), as the answers export holds them.
    Filters: stock_code, updated_since."""

    serializer_class = present.AnswerRowSerializer
    filters_class = AnswerFilters

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        cohort = visible_cohort(self.request, self.kwargs["slug"])
        if not access.can_export(user=self.request.user, cohort=cohort):
            raise PermissionDenied
        rows = Answer.objects.filter(assessment__cohort=cohort, assessment__withdrawn_at=None)
        if filters.get("stock_code"):
            rows = rows.filter(assessment__issuer__stock_code=filters["stock_code"].zfill(5))
        if filters.get("updated_since"):
            rows = rows.filter(updated_at__gte=filters["updated_since"])
        return present.answer_values(rows).order_by(
            "assessment__issuer__stock_code", "item__position", "pk"
        )


class CohortEmails(ListEndpoint):
    """The cohort's e-mail log (invitations, reminders, review notices): who was sent what
    and whether the mail server took it; admins only, as the log page."""

    serializer_class = present.EmailSerializer
    filters_class = None
    changed_field = "created_at"

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        cohort = visible_cohort(self.request, self.kwargs["slug"])
        if not access.can_view_email_log(user=self.request.user, cohort=cohort):
            raise PermissionDenied
        return notifications.email_log(cohort=cohort)

    def freshness(self, rows: QuerySet[Any]) -> tuple[Any, str]:
        agg = rows.order_by().aggregate(
            last=Max("created_at"),
            sent=Max("sent_at"),
            n=Count("pk"),
            top=Max("pk"),
            attempts=Count("pk", filter=~Q(status="pending")),
        )
        return agg["last"], repr(sorted(agg.items()))
