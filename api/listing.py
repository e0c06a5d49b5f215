"""What every list endpoint shares: validated filters, a stable order, page-number
pagination, and conditional GET (ETag / Last-Modified, 304) checked before the page is
built."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Industry
from assessments.models import AssessmentStatus

from .conditional import etag_of, not_modified, stamp_headers
from .pagination import Pages


class SinceField(serializers.DateTimeField):
    """A date-time (ISO 8601, a zone or Hong Kong time) or a bare date (its midnight in
    Hong Kong)."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
            else:
                return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        return super().to_internal_value(value)


class Filters(serializers.Serializer):  # type: ignore[type-arg]
    """Query parameters shared by the list endpoints; each endpoint says which it takes.
    An unknown value is a 400 that names the parameter and what it accepts."""

    status = serializers.ChoiceField(
        choices=AssessmentStatus.choices, required=False, help_text=_("Assessment status.")
    )
    industry = serializers.ChoiceField(
        choices=Industry.choices, required=False, help_text=_("Issuer industry (HSICS).")
    )
    updated_since = SinceField(
        required=False,
        help_text=_("Only rows changed at or after this time (ISO 8601 date or date-time)."),
    )


class AssessmentFilters(Filters):
    cohort = serializers.SlugField(required=False, max_length=60, help_text=_("Cohort slug."))


def parse_filters(request: Request, serializer: type[serializers.Serializer]) -> dict[str, Any]:  # type: ignore[type-arg]
    # Only the last value of a repeated parameter counts, like a form field.
    params = {key: request.query_params.get(key) for key in request.query_params}
    form = serializer(data=params)
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


class ListEndpoint(ListAPIView):  # type: ignore[type-arg]
    """A list endpoint: `rows()` (scoped, filtered, in a stable order) and `present()`."""

    filters_class: type[serializers.Serializer] | None = None  # type: ignore[type-arg]
    # The column whose newest value says when the rows last changed (Last-Modified).
    changed_field = "updated_at"

    def rows(self, filters: dict[str, Any]) -> QuerySet[Any]:
        raise NotImplementedError

    def present(self, rows: list[Any]) -> list[dict[str, Any]]:
        return list(self.get_serializer(rows, many=True).data)

    def freshness(self, rows: QuerySet[Any]) -> tuple[datetime.datetime | None, str]:
        """(newest change, a marker that changes whenever the rows do): one query, which
        also counts the rows for the paginator."""
        agg = rows.order_by().aggregate(last=Max(self.changed_field), n=Count("pk"), top=Max("pk"))
        if isinstance(self.paginator, Pages):
            self.paginator.row_count = agg["n"]
        return agg["last"], f"{agg['last']}|{agg['n']}|{agg['top']}"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        filters = parse_filters(request, self.filters_class) if self.filters_class else {}
        rows = self.rows(filters)
        last, marker = self.freshness(rows)
        etag = etag_of(request, marker)
        cached = not_modified(request, etag=etag, last_modified=last)
        if cached is not None:
            return cached
        page = self.paginate_queryset(rows)
        response: Response = self.get_paginated_response(self.present(list(page or [])))
        stamp_headers(response, etag=etag, last_modified=last)
        return response
