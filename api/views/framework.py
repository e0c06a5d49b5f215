"""The framework, public: the same content as `manage.py export_framework`."""

from __future__ import annotations

from django.utils.http import http_date, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.framework_export import framework_as_json
from assessments.selectors import framework_of

from .. import selectors
from ..conditional import SHAPE, not_modified


class FrameworkVersionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    version = serializers.CharField()
    loaded_at = serializers.DateTimeField()
    checksum = serializers.CharField()


class FrameworkVersions(ListAPIView):  # type: ignore[type-arg]
    """Every loaded framework version, newest first."""

    permission_classes = [AllowAny]
    serializer_class = FrameworkVersionSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.framework_versions()


class FrameworkDetail(APIView):
    """One framework version in both languages: shifts, dimensions, items with their levels
    or options, weights, tiers and the scoring method. `latest` names the newest."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, version: str) -> Response:
        row = selectors.framework_version(version=version)
        # A loaded version never changes (its checksum says so): the checksum is its ETag.
        etag = quote_etag(f"{SHAPE}-{row.checksum}")
        cached = not_modified(request, etag=etag, last_modified=row.loaded_at)
        if cached is not None:
            return cached  # type: ignore[return-value]
        response = Response(framework_as_json(framework_of(row)))
        response["ETag"] = etag
        response["Last-Modified"] = http_date(row.loaded_at.timestamp())
        return response
