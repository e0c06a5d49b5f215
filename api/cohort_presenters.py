"""The association's data as JSON: a cohort, its issuer rows, the dashboard's figures,
answers and the e-mail log."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.urls import reverse
from rest_framework import serializers
from rest_framework.request import Request

from assessments import kinds
from assessments.models import Answer, Assessment, AssessmentStatus
from cohorts.dashboard import Dashboard
from cohorts.models import Cohort

from .presenters import latest_json

STATUSES = tuple(AssessmentStatus.values)


def cohort_json(cohort: Cohort, counts: dict[str, int], request: Request) -> dict[str, Any]:
    links = {
        name: request.build_absolute_uri(reverse(f"api:cohort_{name}", args=[cohort.slug]))
        for name in ("issuers", "aggregates", "answers", "emails")
    }
    return {
        "slug": cohort.slug,
        "name_en": cohort.name_en,
        "name_zh": cohort.name_zh,
        "year": cohort.year,
        "status": cohort.status,
        "opens_on": cohort.opens_on,
        "closes_on": cohort.closes_on,
        "framework_version": cohort.framework.version,
        "enrolment": {
            "enrolled": counts["enrolled"],
            "withdrawn": counts["withdrawn"],
            "by_status": {s: counts[s] for s in STATUSES},
        },
        "links": links,
    }


def issuer_row(a: Assessment) -> dict[str, Any]:
    """One flat row per enrolled issuer: what a spreadsheet or BI tool loads."""
    latest = latest_json(a) or {}
    i = a.issuer
    return {
        "assessment_id": a.pk,
        "stock_code": i.stock_code,
        "name_en": i.name_en,
        "name_zh": i.name_zh,
        "industry": i.industry,
        "board": i.board,
        "status": a.status,
        "started": a.started,  # type: ignore[attr-defined]
        "answered": a.answered,  # type: ignore[attr-defined]
        "items_total": a.items_total,  # type: ignore[attr-defined]
        "submitted_at": a.submitted_at,
        "updated_at": a.updated_at,
        "deadline": a.deadline_on,  # type: ignore[attr-defined]
        "extended_until": a.extended_until,
        "withdrawn": a.withdrawn_at is not None,
        "overall": latest.get("overall"),
        "level": latest.get("level"),
        "tier": latest.get("tier"),
        "completeness": latest.get("completeness"),
        "provisional": latest.get("provisional"),
        "shifts": latest.get("shifts", {}),
    }


def aggregates_json(d: Dashboard) -> dict[str, Any]:
    """The dashboard's figures (names in the reader's language; counts and medians as on
    the page; provisional results and withdrawn issuers left out as there)."""
    return {
        "industry": d.filters.industry or None,
        "funnel": dict(d.funnel),
        "histogram": [{"band": band, "n": n} for band, n in d.histogram],
        "shift_medians": [{"shift": s, "median": m, "n": n} for s, m, n in d.shift_medians],
        "by_size": [{"band": b, "median": m, "n": n} for b, m, n in d.by_size],
        "by_board": [{"board": b, "median": m, "n": n} for b, m, n in d.by_board],
        "tiers": [{"tier": t, "n": n} for t, n in d.tiers],
        "dimension_medians_by_industry": {
            "industries": d.heatmap_industries,
            "rows": [
                {"shift": s, "dimension": dim, "medians": medians}
                for s, dim, medians in d.heatmap_rows
            ],
        },
        "key_figures_by_industry": {
            "industries": d.kpi_industries,
            "rows": [
                {
                    "figure": name,
                    "unit": unit,
                    "decimals": decimals,
                    "medians": [{"median": m, "n": n} for m, n in cells],
                }
                for name, unit, decimals, cells in d.kpi_rows
            ],
        },
        "value_chain": {
            "depths": d.depths,
            "rows": [{"stage": stage, "counts": counts} for stage, counts in d.value_chain],
        },
    }


VALUE_FIELDS = [name for name, _label in kinds.value_columns()]


def answer_values(rows: QuerySet[Answer]) -> QuerySet[Any]:
    return rows.values(
        "pk",
        "assessment_id",
        "updated_at",
        "dont_know",
        "not_applicable",
        "note",
        "confidence",
        *VALUE_FIELDS,
        stock_code=F("assessment__issuer__stock_code"),
        item_code=F("item__code"),
        shift=F("item__shift_code"),
        dimension=F("item__dimension_code"),
    )


class AnswerRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    assessment_id = serializers.IntegerField()
    stock_code = serializers.CharField()
    item_code = serializers.CharField()
    shift = serializers.CharField()
    dimension = serializers.CharField()
    level = serializers.IntegerField(allow_null=True, required=False)
    choice = serializers.CharField(allow_blank=True, required=False)
    number = serializers.DecimalField(
        max_digits=20, decimal_places=6, allow_null=True, required=False, coerce_to_string=False
    )
    dont_know = serializers.BooleanField()
    not_applicable = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    confidence = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class EmailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    created_at = serializers.DateTimeField()
    recipient = serializers.EmailField()
    kind = serializers.CharField()
    language = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    sent_at = serializers.DateTimeField(allow_null=True)
