from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthedRequest
from accounts.models import Industry, Role
from assessments.models import AssessmentStatus
from reports import charts
from reports.models import ReportLanguage

from . import bulk, enrolment, exports, selectors, services
from .dashboard import cohort_dashboard
from .forms import CohortForm, EnrolOneForm


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


@login_required
@require_GET
def dashboard(request: AuthedRequest, slug: str) -> HttpResponse:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    data = cohort_dashboard(
        cohort=cohort,
        status=request.GET.get("status", ""),
        industry=request.GET.get("industry", ""),
        sort=request.GET.get("sort", "code"),
        page=page,
    )
    context = {
        "cohort": cohort,
        "d": data,
        "histogram": charts.histogram(data.histogram, label=_("Overall scores")),
        "statuses": AssessmentStatus.choices,
        "industries": Industry.choices,
        "filters": {k: request.GET.get(k, "") for k in ("status", "industry", "sort")},
    }
    return render(request, "cohorts/dashboard.html", context)


@login_required
@require_GET
def cohort_list(request: AuthedRequest) -> HttpResponse:
    cohorts = selectors.cohorts_visible_to(request.user).annotate(n=Count("assessments"))
    return render(request, "cohorts/list.html", {"cohorts": cohorts})


def _language(request: AuthedRequest) -> str:
    language = request.GET.get("lang") or request.POST.get("lang") or "en"
    if language not in ReportLanguage.values:
        raise Http404
    return language


@login_required
@require_http_methods(["GET", "POST"])
def bulk_reports(request: AuthedRequest, slug: str) -> HttpResponse:
    """Generate every report of the cohort, watch progress, retry failures."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    language = _language(request)
    if request.method == "POST":
        queued = bulk.cohort_reports_request(
            cohort=cohort,
            language=language,
            user=request.user,
            retry_failed=request.POST.get("retry") == "1",
        )
        messages.info(request, _("%(n)d report(s) queued.") % {"n": queued})
        return redirect(f"{reverse('cohorts:bulk_reports', args=[slug])}?lang={language}")
    progress = bulk.cohort_reports_progress(cohort=cohort, language=language)
    return render(
        request,
        "cohorts/bulk_reports.html",
        {"cohort": cohort, "progress": progress, "language": language},
    )


@login_required
@require_GET
def bulk_zip(request: AuthedRequest, slug: str) -> FileResponse:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    language = _language(request)
    response = FileResponse(
        bulk.cohort_reports_zip(cohort=cohort, language=language),
        as_attachment=True,
        filename=f"{cohort.slug}-reports-{language}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


class EnrolmentUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


SESSION_KEY = "enrolment:{slug}"


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: AuthedRequest, slug: str) -> HttpResponse:
    """Upload a CSV, see every row with its errors, then import (optionally skipping bad rows)."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if request.user.role != Role.ASSOCIATION_ADMIN:
        raise PermissionDenied
    key = SESSION_KEY.format(slug=slug)
    form = EnrolmentUploadForm()
    one = EnrolOneForm()
    rows = None
    if request.method == "POST" and request.POST.get("action") == "one":
        one = EnrolOneForm(request.POST)
        if one.is_valid() and one.row is not None:
            count = enrolment.import_rows(
                cohort=cohort,
                rows=[one.row],
                user=request.user,
                base_url=request.build_absolute_uri("/"),
            )
            if count:
                messages.success(
                    request,
                    _("%(name)s enrolled.") % {"name": one.row.values["name_en"]},
                )
            else:
                messages.info(
                    request,
                    _("%(name)s was already enrolled; its details were updated.")
                    % {"name": one.row.values["name_en"]},
                )
            return redirect("cohorts:enrol", slug=slug)
    elif request.method == "POST" and request.POST.get("action") == "import":
        stored = request.session.get(key)
        if not stored:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("cohorts:enrol", slug=slug)
        rows = enrolment.from_session(stored)
        invalid = [r for r in rows if not r.ok]
        if invalid and request.POST.get("skip_invalid") != "1":
            messages.error(
                request, _("Some rows have errors. Fix the file, or choose to skip those rows.")
            )
        else:
            count = enrolment.import_rows(
                cohort=cohort,
                rows=rows,
                user=request.user,
                base_url=request.build_absolute_uri("/"),
            )
            del request.session[key]
            messages.success(
                request,
                _("%(n)d issuer(s) enrolled; %(skipped)d row(s) skipped.")
                % {"n": count, "skipped": len(invalid)},
            )
            return redirect("cohorts:dashboard", slug=slug)
    elif request.method == "POST":
        form = EnrolmentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                # One byte over the limit is enough for parse() to refuse the file; never read
                # a huge upload into memory.
                rows = enrolment.parse(form.cleaned_data["file"].read(enrolment.MAX_BYTES + 1))
            except enrolment.EnrolmentFileError as exc:
                form.add_error("file", str(exc))
            else:
                request.session[key] = enrolment.to_session(rows)
    return render(
        request,
        "cohorts/enrol.html",
        {
            "cohort": cohort,
            "form": form,
            "one": one,
            "rows": rows,
            "invalid": sum(1 for r in rows or [] if not r.ok),
            "columns": enrolment.COLUMNS,
        },
    )


def _admin_only(request: AuthedRequest) -> None:
    if request.user.role != Role.ASSOCIATION_ADMIN:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: AuthedRequest) -> HttpResponse:
    _admin_only(request)
    form = CohortForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cohort = services.cohort_create(
                **{name: data[name] for name in (*services.EDITABLE, "framework", "reviewers")}
            )
        except IntegrityError:
            form.add_error("slug", _("A cohort with this short name already exists."))
        else:
            messages.success(request, _("Cohort created. Enrol issuers next."))
            return redirect("cohorts:enrol", slug=cohort.slug)
    return render(request, "cohorts/form.html", {"form": form, "cohort": None})


@login_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request: AuthedRequest, slug: str) -> HttpResponse:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    _admin_only(request)
    form = CohortForm(request.POST if request.method == "POST" else None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.cohort_update(
                cohort=cohort,
                reviewers=data["reviewers"],
                **{name: data[name] for name in services.EDITABLE},
            )
        except IntegrityError:
            form.add_error("slug", _("A cohort with this short name already exists."))
        else:
            messages.success(request, _("Cohort saved."))
            return redirect("cohorts:dashboard", slug=cohort.slug)
    return render(request, "cohorts/form.html", {"form": form, "cohort": cohort})
