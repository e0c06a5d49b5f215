from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthedRequest
from accounts.models import Industry
from accounts.services import InvitationNotNeeded, invitation_resend, invitations_resend_pending
from assessments import access
from assessments.models import AssessmentStatus
from reports import charts
from reports.models import ReportLanguage, ReportStatus

from . import bulk, enrolment, enrolment_markup, exports, notifications, selectors, services
from .dashboard import DashboardFilters, cohort_dashboard
from .forms import CohortForm, EnrolmentUploadForm, EnrolOneForm
from .index_report import services as index_report_services
from .index_report.content import IndexContent, comparison
from .models import Cohort, CohortIndexReport


@login_required
@require_GET
def export(request: AuthedRequest, slug: str, fmt: str) -> StreamingHttpResponse | FileResponse:
    """Cohort results for admins and the cohort's reviewers; 404 for everyone else."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    kind = request.GET.get("kind", "summary")
    # Without ?lang= the export speaks the reader's language (the page they clicked on).
    language = request.GET.get("lang") or _ui_language()
    if (
        fmt not in exports.FORMATS
        or kind not in exports.KINDS
        or language not in ReportLanguage.values
    ):
        raise Http404
    rows = exports.export_rows(user=request.user, cohort=cohort, kind=kind, language=language)
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
    filters = DashboardFilters.from_query(request.GET)
    data = cohort_dashboard(cohort=cohort, filters=filters)
    comparable = selectors.comparable_cohorts(user=request.user, cohort=cohort)
    # An unknown or invisible slug is ignored, like any stale filter.
    other = comparable.filter(slug=filters.compare).first() if filters.compare else None
    context = {
        "cohort": cohort,
        "d": data,
        "f": filters,
        "histogram": charts.histogram(data.histogram, label=_("Overall scores")),
        "statuses": AssessmentStatus.choices,
        "industries": Industry.choices,
        "industry_label": dict(Industry.choices).get(filters.industry, ""),
        "can": access.CohortAccess(user=request.user, cohort=cohort),
        "index_reports": index_report_services.index_reports_of(cohort=cohort),
        "comparable": comparable,
        "comparison": comparison(cohort=cohort, other=other) if other else None,
    }
    return render(request, "cohorts/dashboard.html", context)


@login_required
@require_GET
def cohort_list(request: AuthedRequest) -> HttpResponse:
    if not access.can_list_cohorts(user=request.user):
        raise PermissionDenied
    cohorts = selectors.cohorts_visible_to(request.user).annotate(n=Count("assessments"))
    return render(request, "cohorts/list.html", {"cohorts": cohorts})


def _ui_language() -> str:
    language = (translation.get_language() or "en").lower()
    return language if language in ReportLanguage.values else "en"


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
    progress = bulk.cohort_reports_progress(cohort=cohort, language=language, user=request.user)
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
        bulk.cohort_reports_zip(cohort=cohort, language=language, user=request.user),
        as_attachment=True,
        filename=f"{cohort.slug}-reports-{language}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


SESSION_KEY = "enrolment:{slug}"


def _enrol_page(
    request: AuthedRequest,
    cohort: Cohort,
    *,
    form: EnrolmentUploadForm | None = None,
    one: EnrolOneForm | None = None,
    parsed: enrolment.Parsed | None = None,
) -> HttpResponse:
    if parsed is not None:
        enrolment.classify(parsed.rows, cohort=cohort)
    context = {
        "preview_rows": enrolment_markup.preview_rows(parsed.rows) if parsed else "",
        "cohort": cohort,
        "form": form or EnrolmentUploadForm(),
        "one": one or EnrolOneForm(cohort=cohort),
        "parsed": parsed,
        "summary": enrolment.summary(parsed) if parsed else None,
        "columns": enrolment.column_names(),
        "template_languages": settings.LANGUAGES,
    }
    return render(request, "cohorts/enrol.html", context)


def _enrol_cohort(request: AuthedRequest, slug: str) -> Cohort:
    """404 outside one's cohorts, then 403 for those who may see it but not enrol."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_enrol(user=request.user, cohort=cohort):
        raise PermissionDenied
    return cohort


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: AuthedRequest, slug: str) -> HttpResponse:
    """The enrolment page: upload a CSV and see every row classified (preview), tick the
    recorded details to change, then import (optionally skipping bad rows), or enrol one
    issuer by hand. One form per action, all posting here; the `action` field picks the
    view."""
    actions = {"one": enrol_one, "import": enrol_import}
    if request.method == "POST":
        try:
            return actions.get(request.POST.get("action", ""), enrol_upload)(request, slug)
        except services.EnrolmentClosed as exc:
            messages.error(request, str(exc))
            return redirect("cohorts:enrol", slug=slug)
    return _enrol_page(request, _enrol_cohort(request, slug))


def enrol_upload(request: AuthedRequest, slug: str) -> HttpResponse:
    """Parse the uploaded CSV and show the preview; the parsed file waits in the session."""
    cohort = _enrol_cohort(request, slug)
    form = EnrolmentUploadForm(request.POST, request.FILES)
    parsed = None
    if form.is_valid():
        try:
            # One byte over the limit is enough for parse() to refuse the file; never read
            # a huge upload into memory.
            parsed = enrolment.parse(form.cleaned_data["file"].read(enrolment.MAX_BYTES + 1))
        except enrolment.EnrolmentFileError as exc:
            form.add_error("file", str(exc))
        else:
            request.session[SESSION_KEY.format(slug=slug)] = enrolment.to_session(parsed)
    return _enrol_page(request, cohort, form=form, parsed=parsed)


def enrol_import(request: AuthedRequest, slug: str) -> HttpResponse:
    """Import the previewed rows (all valid, or the valid ones when asked to skip), with
    the recorded details the admin ticked; everything is validated again first."""
    cohort = _enrol_cohort(request, slug)
    key = SESSION_KEY.format(slug=slug)
    stored = request.session.get(key)
    if not isinstance(stored, dict):
        messages.error(request, _("Upload the file again: the preview has expired."))
        return redirect("cohorts:enrol", slug=slug)
    parsed = enrolment.from_session(stored)
    enrolment.classify(parsed.rows, cohort=cohort)
    if parsed.invalid and request.POST.get("skip_invalid") != "1":
        messages.error(
            request, _("Some rows have errors. Fix the file, or choose to skip those rows.")
        )
        return _enrol_page(request, cohort, parsed=parsed)
    result = enrolment.import_rows(
        cohort=cohort,
        rows=parsed.rows,
        user=request.user,
        base_url=request.build_absolute_uri("/"),
        accepted=enrolment.accepted_changes(request.POST),
    )
    del request.session[key]
    for message in enrolment.import_messages(result, skipped=parsed.invalid):
        messages.success(request, message)
    return redirect("cohorts:dashboard", slug=slug)


def enrol_one(request: AuthedRequest, slug: str) -> HttpResponse:
    """Enrol one issuer typed into the form (validated and classified like a CSV row)."""
    cohort = _enrol_cohort(request, slug)
    one = EnrolOneForm(request.POST, cohort=cohort)
    if not one.is_valid() or one.row is None:
        return _enrol_page(request, cohort, one=one)
    result = enrolment.import_rows(
        cohort=cohort, rows=[one.row], user=request.user, base_url=request.build_absolute_uri("/")
    )
    name = {"name": one.row.values["name_en"]}
    if result.enrolled:
        messages.success(request, _("%(name)s enrolled.") % name)
    else:
        messages.info(
            request, _("%(name)s was already enrolled; its recorded details were kept.") % name
        )
    return redirect("cohorts:enrol", slug=slug)


@login_required
@require_GET
def enrol_template(
    request: AuthedRequest, slug: str, language: str, fmt: str
) -> HttpResponse | FileResponse:
    """The enrolment file's template (header and a sample row) in CSV or XLSX, per language."""
    _enrol_cohort(request, slug)
    if language not in dict(settings.LANGUAGES) or fmt not in ("csv", "xlsx"):
        raise Http404
    rows = enrolment.template_rows(language)
    filename = f"enrolment-template-{language}.{fmt}"
    if fmt == "csv":
        # UTF-8 with a BOM (exports.csv_stream writes one): Excel then shows Chinese right.
        response = HttpResponse(
            "".join(exports.csv_stream(rows)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(
        exports.xlsx_tempfile(rows, sheet="enrolment"),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request: AuthedRequest) -> HttpResponse:
    if not access.can_create_cohort(user=request.user):
        raise PermissionDenied
    form = CohortForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cohort = services.cohort_create(
                user=request.user,
                **{name: data[name] for name in (*services.EDITABLE, "framework", "reviewers")},
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
    if not access.can_manage_cohort(user=request.user, cohort=cohort):
        raise PermissionDenied
    form = CohortForm(request.POST if request.method == "POST" else None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.cohort_update(
                cohort=cohort,
                user=request.user,
                reviewers=data["reviewers"],
                **{name: data[name] for name in services.EDITABLE},
            )
        except IntegrityError:
            form.add_error("slug", _("A cohort with this short name already exists."))
        else:
            messages.success(request, _("Cohort saved."))
            return redirect("cohorts:dashboard", slug=cohort.slug)
    return render(request, "cohorts/form.html", {"form": form, "cohort": cohort})


@login_required
@require_GET
def email_log(request: AuthedRequest, slug: str) -> HttpResponse:
    """Who was sent what and when, delivered or failed: the cohort's e-mails, for admins."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_view_email_log(user=request.user, cohort=cohort):
        raise PermissionDenied
    page = Paginator(notifications.email_log(cohort=cohort), 50).get_page(request.GET.get("page"))
    context = {
        "cohort": cohort,
        "page": page,
        "can": access.CohortAccess(user=request.user, cohort=cohort),
        "remindable": len(notifications.remindable(cohort=cohort, on=timezone.localdate())),
    }
    return render(request, "cohorts/emails.html", context)


@login_required
@require_POST
def remind(request: AuthedRequest, slug: str) -> HttpResponse:
    """ "Remind those not submitted": a reminder now to each, at most once a day."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_send_reminders(user=request.user, cohort=cohort):
        raise PermissionDenied
    try:
        n = notifications.cohort_remind_now(cohort=cohort, user=request.user)
    except notifications.RemindError:
        messages.error(request, _("Reminders go only to an open cohort, once it has opened."))
    else:
        messages.success(
            request,
            ngettext(
                "A reminder is being sent to %(n)d issuer that has not submitted "
                "(once a day at most; see the log below).",
                "A reminder is being sent to %(n)d issuers that have not submitted "
                "(once a day at most; see the log below).",
                n,
            )
            % {"n": n},
        )
    return redirect("cohorts:emails", slug=slug)


def _invitations_cohort(request: AuthedRequest, slug: str) -> Cohort:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_view_invitations(user=request.user, cohort=cohort):
        raise Http404
    return cohort


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: AuthedRequest, slug: str) -> HttpResponse:
    """Each enrolled issuer's contacts with their invitation status; admins resend to one
    contact or to everyone who has not accepted yet."""
    cohort = _invitations_cohort(request, slug)
    if request.method == "POST":
        try:
            services.enrolment_open_check(cohort=cohort)  # no invitation into a Closed round
        except services.EnrolmentClosed as exc:
            messages.error(request, str(exc))
        else:
            _invitations_resend(request, cohort)
        page = request.POST.get("page", "")
        suffix = f"?page={page}" if page.isascii() and page.isdigit() else ""
        return redirect(reverse("cohorts:invitations", args=[cohort.slug]) + suffix)
    found = selectors.cohort_invitations(cohort=cohort, page=request.GET.get("page"))
    return render(
        request,
        "cohorts/invitations.html",
        {
            "cohort": cohort,
            "page": found,
            "can": access.CohortAccess(user=request.user, cohort=cohort),
        },
    )


def _invitations_resend(request: AuthedRequest, cohort: Cohort) -> None:
    """One "Resend" (a membership id) or "Resend to all not yet accepted", as a message."""
    kwargs: dict[str, Any] = {
        "by": request.user,
        "base_url": request.build_absolute_uri("/"),
        "context": {"cohort": cohort, "deadline": cohort.closes_on},
    }
    issuer_ids = selectors.cohort_issuer_ids(cohort=cohort)
    if "all" in request.POST:
        count = invitations_resend_pending(issuer_ids=issuer_ids, **kwargs)
        messages.success(
            request,
            ngettext("%(n)d invitation sent again.", "%(n)d invitations sent again.", count)
            % {"n": count},
        )
        return
    membership = selectors.cohort_contact(
        issuer_ids=issuer_ids, membership_id=request.POST.get("membership", "")
    )
    if membership is None:
        messages.error(request, _("That contact is not part of this round."))
        return
    sent: bool | None
    try:
        sent = invitation_resend(membership=membership, **kwargs)
    except InvitationNotNeeded:
        sent = None
    email = membership.user.email
    if sent is None:
        messages.info(
            request, _("%(email)s has already accepted: nothing was sent.") % {"email": email}
        )
    elif sent:
        messages.success(request, _("Invitation sent again to %(email)s.") % {"email": email})
    else:
        messages.error(
            request,
            _("The invitation to %(email)s could not be sent; the e-mail log says why.")
            % {"email": email},
        )


# --- the cohort index report (cohorts/index_report/) ---------------------------------------


def _index_payload(cohort: Cohort) -> dict[str, Any]:
    """Each language's status for static/js/report_status.js (the issuer report's script)."""
    rows = []
    for language, report in index_report_services.index_reports_of(cohort=cohort).items():
        ready = report is not None and report.status == ReportStatus.READY
        failed = report is not None and report.status == ReportStatus.FAILED
        rows.append(
            {
                "language": language,
                "status": report.status if report else "none",
                "label": report.status_label if report else _("Not generated yet"),
                "error": _("It could not be produced; try again.") if failed else "",
                "button": _("Regenerate index report") if ready else _("Generate index report"),
                "download": reverse("cohorts:index_report_download", args=[cohort.slug, language])
                if ready
                else "",
            }
        )
    return {"reports": rows, "pending": any(r["status"] in ("queued", "rendering") for r in rows)}


@login_required
@require_POST
def index_report_request(request: AuthedRequest, slug: str) -> HttpResponse:
    """ "Generate index report": queue it (or return the ready one), answer JSON to the
    page's script and a redirect to a plain form post."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    language = request.POST.get("language", "")
    wants_json = request.headers.get("accept", "").startswith("application/json")
    back = reverse("cohorts:dashboard", args=[slug]) + "#reports"
    if language not in ReportLanguage.values:
        if wants_json:
            return JsonResponse({"error": _("Choose English or Traditional Chinese.")}, status=400)
        messages.error(request, _("Choose English or Traditional Chinese."))
        return redirect(back)
    try:
        report = index_report_services.index_report_request(
            cohort=cohort,
            language=language,
            user=request.user,
            force=request.POST.get("force") == "1",
        )
    except PermissionDenied:
        raise Http404 from None
    if wants_json:
        return JsonResponse(_index_payload(cohort))
    if report.awaiting_queue:
        messages.warning(request, _("Report generation is unavailable right now; ask again later."))
    else:
        messages.info(
            request, _("The index report has been queued. This page shows when it is ready.")
        )
    return redirect(back)


@login_required
@require_GET
def index_report_status(request: AuthedRequest, slug: str) -> JsonResponse:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_download_cohort_index_report(user=request.user, cohort=cohort):
        raise Http404
    return JsonResponse(_index_payload(cohort))


@login_required
@require_GET
def index_report_download(request: AuthedRequest, slug: str, language: str) -> FileResponse:
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    try:
        report = index_report_services.index_report_file(
            cohort=cohort, language=_language_or_404(language), user=request.user
        )
        handle = report.file.open("rb")
    except (PermissionDenied, CohortIndexReport.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    stamp = f"{report.finished_at:%Y%m%d}" if report.finished_at else "undated"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{cohort.slug}-ai-readiness-index-{stamp}-{language}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def index_report_view(request: AuthedRequest, slug: str, language: str) -> HttpResponse:
    """The index report in the browser, from today's data (the PDF is from when it ran)."""
    cohort = selectors.cohort_for_user(user=request.user, slug=slug)
    if not access.can_download_cohort_index_report(user=request.user, cohort=cohort):
        raise Http404
    html = index_report_services.index_report_html(
        content=IndexContent.load(cohort=cohort),
        language=_language_or_404(language),
        csp_nonce=str(request.csp_nonce),  # type: ignore[attr-defined]
        screen_links=[
            # Lazy: worded in the report's language when it is rendered, like the rest of it.
            {
                "url": reverse("cohorts:dashboard", args=[slug]),
                "label": _lazy("Back to the dashboard"),
            }
        ],
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "private, no-store"
    return response


def _language_or_404(language: str) -> str:
    if language not in ReportLanguage.values:
        raise Http404
    return language
