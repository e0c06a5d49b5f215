"""Page-number pagination with a bounded page size."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    # How many rows the list has, when the endpoint already counted them (its ETag's
    # fingerprint does): the paginator then runs no COUNT of its own.
    row_count: int | None = None

    def django_paginator_class(self, object_list: Any, per_page: int) -> Paginator:  # type: ignore[override]
        paginator = Paginator(object_list, per_page)
        if self.row_count is not None:
            paginator.__dict__["count"] = self.row_count  # primes the cached_property
        return paginator
