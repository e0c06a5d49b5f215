from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthedRequest

from . import access, presenters, reading_time, selectors, services
from .forms import ExtensionForm, IssuerProfileForm, ReviewForm, StepForm, WithdrawalForm
from .framework import Framework, Shift
from .models import EDITABLE_STATUSES, Answer, Assessment
from .replay import login_required_keep_post, parked_post

HOME_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 100
NOT_SAVED = gettext_noop(
    "Nothing was saved. What you typed is still shown below, so you can copy it."
)


def _calendar_as_found(assessment: Assessment, exc: services.AnsweringClosed) -> None:
    """Give the page's assessment the calendar the service found under the lock, so the
    page shows the same refusal (it was loaded before the round closed)."""
    found = exc.assessment
    assessment.cohort = found.cohort
    assessment.extended_until, assessment.withdrawn_at = found.extended_until, found.withdrawn_at


def _wizard_context(
    request: AuthedRequest, assessment: Assessment, answers: Mapping[str, Answer], current: str
) -> dict[str, Any]:
    fw = selectors.framework_of(assessment.framework)
    nav = presenters.wizard_nav(assessment, fw, answers, current=current, language=get_language())
    answered = sum(1 for a in answers.values() if a.is_answered)
    return {
        "assessment": assessment,
        "framework": fw,
        "steps": nav.steps,
        "overall_answered": answered,
        "overall_total": len(answers),
        "overall_percent": round(100 * answered / len(answers)) if answers else 0,
        "prev_step": nav.prev,
        "next_step": nav.next,
        "can": access.AssessmentAccess(user=request.user, assessment=assessment),
        "calendar": presenters.calendar_view(assessment),
    }


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    """Anonymous visitors get the landing page: what this is, how long it takes, what the
    company gets, who sees what, and the way in."""
    if not request.user.is_authenticated:
        landing = presenters.landing(language=get_language())
        return render(request, "landing.html", {"landing": landing})
    return _home(request)


def _home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.assessments_for_home(user), HOME_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    assessments = list(page.object_list)
    # A withdrawn one is no open task: the lead may start another.
    open_assessment = next((a for a in assessments if a.is_editable and not a.is_withdrawn), None)
    staff = user.is_issuer_staff
    # What "Continue" leads to: one whose calendar takes answers now (a planned round's
    # empty assessment is newer but not open yet).
    answerable = next((a for a in assessments if access.can_edit(user=user, assessment=a)), None)
    return render(
        request,
        "home.html",
        {
            "assessments": assessments,
            "page": page,
            "rows": presenters.home_rows(assessments, user=user) if staff else [],
            "open_assessment": open_assessment,
            "progress": presenters.home_progress(answerable, language=get_language())
            if staff and answerable
            else None,
            # The newest submitted one leads the page when nothing is open.
            "latest_submitted": next(
                (a for a in assessments if a.submitted_at and not a.is_editable), None
            ),
            "has_submitted": any(a.submitted_at for a in assessments),
        },
    )


@login_required
@require_GET
def current(request: AuthedRequest) -> HttpResponse:
    """Where a person lands after login by invitation: their open assessment, else home."""
    user = request.user
    if access.can_start(user=user):
        open_one = (
            selectors.assessments_visible_to(user)
            .filter(withdrawn_at__isnull=True, status__in=[s.value for s in EDITABLE_STATUSES])
            .order_by("-created_at")
            .first()
        )
        if open_one is not None:
            return redirect("assessments:detail", pk=open_one.pk)
    return redirect("home")


@login_required
@require_POST
def assessment_start(request: AuthedRequest) -> HttpResponse:
    framework = selectors.framework_latest()
    if framework is None:
        messages.error(request, _("No framework is loaded yet. Ask the association to load one."))
        return redirect("home")
    try:
        assessment = services.assessment_start(
            user=request.user, framework=framework, prefill=request.POST.get("prefill") == "1"
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot start an assessment."))
        return redirect("home")
    return redirect("assessments:detail", pk=assessment.pk)


@login_required
@require_GET
def assessment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not assessment.is_editable:
        return redirect("reports:results", pk=pk)
    if not assessment.issuer.profile_confirmed_at:
        return redirect("assessments:profile", pk=pk)
    fw = selectors.framework_of(assessment.framework)
    answers = selectors.answers_of(assessment)
    for shift in fw.shifts:
        if any(
            not (a := answers.get(i.code)) or not a.is_answered for i in shift.items if i.mandatory
        ):
            return redirect("assessments:step", pk=pk, shift=shift.code)
    return redirect("assessments:review", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def step_profile(request: AuthedRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    issuer = assessment.issuer
    can_edit = access.can_edit_profile(user=request.user, assessment=assessment)
    form = IssuerProfileForm(request.POST if request.method == "POST" else None, instance=issuer)
    if not can_edit:
        # Shown disabled, not made `disabled` fields: those would show the record instead
        # of what was typed when a POST is refused (it is never saved from here).
        for f in form.fields.values():
            f.widget.attrs["disabled"] = "disabled"
        form.helper.inputs = []
    if request.method == "POST" and not can_edit:
        # Closed by the calendar: say so and show what was typed; anything else is a 403.
        if not presenters.calendar_notice(assessment):
            raise PermissionDenied
        messages.error(request, _(NOT_SAVED))
    elif request.method == "POST" and form.is_valid():
        try:
            services.issuer_profile_confirm(
                issuer=issuer, user=request.user, data=form.cleaned_data, assessment=assessment
            )
        except services.AnsweringClosed as exc:
            _calendar_as_found(assessment, exc)
            messages.error(request, _(NOT_SAVED))
        else:
            messages.success(request, _("Company profile confirmed."))
            fw = selectors.framework_of(assessment.framework)
            return redirect("assessments:step", pk=pk, shift=fw.shifts[0].code)
    answers = selectors.answers_of(assessment)
    context = _wizard_context(request, assessment, answers, "profile")
    context.update(form=form, issuer=issuer)
    return render(request, "assessments/step_profile.html", context)


def _shift_or_404(fw: Framework, code: str) -> Shift:
    try:
        return fw.shift(code)
    except StopIteration as exc:
        raise Http404 from exc


def _conflict_message(outcome: services.SaveOutcome) -> str:
    return _(
        "%(n)d answer(s) were changed by a colleague while you were editing. "
        "Both versions are shown below: keep yours by saving again, or pick theirs."
    ) % {"n": len(outcome.conflicts)}


def _step_save(
    request: AuthedRequest, assessment: Assessment, fw: Framework, form: StepForm, shift: str
) -> HttpResponse | None:
    """Save what the step form holds (valid or not: nothing typed is lost). A redirect
    when done; None when the page must be shown again (invalid input, a conflict)."""
    valid = form.is_valid()
    try:
        outcome = services.answers_save(
            assessment=assessment, proposals=form.proposals(), user=request.user
        )
    except services.AssessmentLocked:
        messages.error(request, _("This assessment was submitted meanwhile; it is now read-only."))
        return redirect("assessments:review", pk=assessment.pk)
    except services.AnsweringClosed as exc:
        # The round closed while the page was open: the page comes back with what was
        # typed, and says why (calendar.notice, from the row the service read).
        _calendar_as_found(assessment, exc)
        messages.error(request, _(NOT_SAVED))
        return None
    if outcome.saved:
        messages.success(request, _("Saved %(n)d answer(s).") % {"n": len(outcome.saved)})
    if valid and not outcome.conflicts:
        nav = presenters.wizard_nav(assessment, fw, {}, current=shift, language=get_language())
        return redirect(nav.after_save(request.POST.get("go", "")))
    form.show_conflicts(outcome, selectors.answers_of(assessment))
    if outcome.conflicts:
        messages.warning(request, _conflict_message(outcome))
    if not valid:
        messages.error(
            request,
            _(
                "Some answers need attention; everything you typed is still here. "
                "See the marked questions."
            ),
        )
    return None


@login_required_keep_post
@require_http_methods(["GET", "POST"])
def step_shift(request: AuthedRequest, pk: int, shift: str) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    fw = selectors.framework_of(assessment.framework)
    the_shift = _shift_or_404(fw, shift)
    editable = access.can_edit(user=request.user, assessment=assessment)
    data: QueryDict | None = None
    refused = ""  # a POST the calendar refuses: shown again with what was typed
    if request.method == "POST":
        refused = "" if editable else presenters.calendar_notice(assessment)
        if not editable and not refused:
            messages.error(request, _("This assessment is read-only; nothing was changed."))
            return redirect("assessments:step", pk=pk, shift=shift)
        data = request.POST
    elif editable:
        data = parked_post(request)
    # A POST needs no current answers unless the page has to be shown again.
    answers = selectors.answers_of(assessment) if data is None or refused else {}
    form = StepForm(data, shift=the_shift, answers=answers, language=get_language())
    if refused:  # the page says why (calendar.notice); here, what became of the input
        messages.error(request, _(NOT_SAVED))
    elif data is not None and (done := _step_save(request, assessment, fw, form, shift)):
        return done
    form.conflicts = selectors.open_conflicts(assessment, [i.code for i in the_shift.items])
    context = _wizard_context(request, assessment, form.answers, shift)
    context.update(form=form, shift=the_shift, sections=form.sections())
    context["minutes"] = reading_time.step_minutes(fw, the_shift, get_language())
    return render(request, "assessments/step_shift.html", context)


def _conflicts_json(fw: Framework, outcome: services.SaveOutcome) -> dict[str, Any]:
    """Each lost race as the autosave script shows it: the colleague's answer, who, when."""
    return {
        c.item_code: {
            "theirs": presenters.answer_text(fw.items[c.item_code], c.theirs, get_language()),
            "by": c.theirs.updated_by.display_name if c.theirs.updated_by else "",
            "at": date_format(localtime(c.theirs.updated_at), "DATETIME_FORMAT")
            if c.theirs.updated_at
            else "",
            "version": c.theirs.version,
        }
        for c in outcome.conflicts
    }


@login_required_keep_post
@require_POST
def autosave(request: AuthedRequest, pk: int, shift: str) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not access.can_edit(user=request.user, assessment=assessment):
        message = presenters.calendar_notice(assessment) or _("This assessment is read-only.")
        return JsonResponse({"status": "locked", "message": message}, status=409)
    fw = selectors.framework_of(assessment.framework)
    the_shift = _shift_or_404(fw, shift)
    answers = selectors.answers_of(assessment)
    form = StepForm(request.POST, shift=the_shift, answers=answers, language=get_language())
    if not form.is_valid():
        return JsonResponse(
            {"status": "invalid", "errors": form.errors.get_json_data()}, status=400
        )
    try:
        outcome = services.answers_save(
            assessment=assessment,
            proposals=form.proposals(),
            user=request.user,
        )
    except services.AssessmentLocked:
        return JsonResponse(
            {"status": "locked", "message": _("This assessment is read-only.")}, status=409
        )
    except services.AnsweringClosed as exc:
        message = presenters.calendar_notice(exc.assessment, exc.window)
        return JsonResponse({"status": "locked", "message": message}, status=409)
    conflicts = _conflicts_json(fw, outcome)
    return JsonResponse(
        {
            "status": "conflict" if conflicts else "saved",
            "saved": outcome.saved,
            "versions": outcome.versions,
            "conflicts": conflicts,
            "by": request.user.display_name,
        },
        status=409 if conflicts else 200,
    )


@login_required
@require_GET
def review(request: AuthedRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    answers = selectors.answers_of(assessment)
    context = _wizard_context(request, assessment, answers, "review")
    context["review"] = presenters.review(context["framework"], answers, get_language())
    trail = selectors.review_trail(assessment, with_revisions=False)
    context["trail"] = presenters.trail(context["framework"], trail, get_language())
    return render(request, "assessments/review.html", context)


@login_required
@require_POST
def submit(request: AuthedRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    try:
        services.assessment_submit(assessment=assessment, user=request.user)
    except PermissionDenied:
        messages.error(request, _("Only the issuer lead can submit the assessment."))
        return redirect("assessments:review", pk=pk)
    except services.AssessmentLocked:
        messages.info(request, _("This assessment has already been submitted."))
        return redirect("reports:results", pk=pk)
    except services.AnsweringClosed as exc:
        messages.error(request, presenters.calendar_notice(exc.assessment, exc.window))
        return redirect("assessments:review", pk=pk)
    except services.SubmitError as exc:
        messages.error(
            request,
            _("%(n)d required question(s) are still unanswered; see the list below.")
            % {"n": len(exc.missing)},
        )
        return redirect("assessments:review", pk=pk)
    messages.success(request, _("Submitted. Your scores are below."))
    return redirect("reports:results", pk=pk)


def _review_act(request: AuthedRequest, assessment: Assessment, form: ReviewForm) -> None:
    """Add the comment, or approve / return the assessment, as the review form says."""
    action = form.cleaned_data["action"]
    if action == "comment":
        services.review_comment_add(
            assessment=assessment,
            author=request.user,
            text=form.cleaned_data["text"],
            item_code=form.cleaned_data["item"],
        )
        messages.success(request, _("Comment added."))
        return
    services.assessment_review(
        assessment=assessment,
        reviewer=request.user,
        approve=action == "approve",
        note=form.cleaned_data["text"],
    )
    approved = action == "approve"
    messages.success(
        request,
        _("Assessment approved.") if approved else _("Assessment returned to the issuer."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_submission(request: AuthedRequest, pk: int) -> HttpResponse:
    """The association's review: read the answers, comment, approve or return."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not access.can_review(user=request.user, assessment=assessment):
        raise Http404
    fw = selectors.framework_of(assessment.framework)
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        items=[(i.code, i.text.get(get_language())) for i in fw.iter_items()],
    )
    if request.method == "POST" and form.is_valid():
        try:
            _review_act(request, assessment, form)
        except services.ReviewError as exc:
            form.add_error("text", str(exc))
        else:
            return redirect("assessments:review_submission", pk=pk)
    context = presenters.reviewer_page(assessment, fw, get_language())
    context["form"] = form
    context["can"] = access.AssessmentAccess(user=request.user, assessment=assessment)
    return render(request, "assessments/review_submission.html", context)


@login_required
@require_GET
def history(request: AuthedRequest, pk: int) -> HttpResponse:
    """Audit trail: every status change, comment and answer change (admins and the lead)."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not access.can_view_history(user=request.user, assessment=assessment):
        raise PermissionDenied
    fw = selectors.framework_of(assessment.framework)
    trail = selectors.review_trail(assessment, with_revisions=False)
    page = Paginator(selectors.answer_revisions(assessment), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lang = get_language()
    return render(
        request,
        "assessments/history.html",
        {
            "assessment": assessment,
            "trail": presenters.trail(fw, trail, lang),
            "revisions": presenters.revisions(fw, page.object_list, lang),
            "page": page,
        },
    )


def _calendar_act(request: AuthedRequest, assessment: Assessment) -> forms.Form:
    """Run the calendar action the POST names; the form, with errors if it was refused."""
    action = request.POST.get("action", "")
    form: forms.Form = (
        ExtensionForm(request.POST) if action == "extend" else WithdrawalForm(request.POST)
    )
    if action not in ("extend", "withdraw", "reinstate") or not form.is_valid():
        return form
    data, user = form.cleaned_data, request.user
    try:
        if action == "extend":
            services.assessment_extension_grant(
                assessment=assessment, until=data["until"], by=user, note=data["note"]
            )
        elif action == "withdraw":
            services.assessment_withdraw(assessment=assessment, by=user, reason=data["reason"])
        else:
            services.assessment_reinstate(assessment=assessment, by=user, reason=data["reason"])
    except services.CalendarError as exc:
        form.add_error(None, str(exc))
    return form


@login_required
@require_http_methods(["GET", "POST"])
def calendar(request: AuthedRequest, pk: int) -> HttpResponse:
    """Admins: extend one issuer's deadline, withdraw it from its cohort or reinstate it."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not access.can_manage_calendar(user=request.user, assessment=assessment):
        raise PermissionDenied
    extension: forms.Form = ExtensionForm()
    withdrawal: forms.Form = WithdrawalForm()
    if request.method == "POST":
        form = _calendar_act(request, assessment)
        if not form.errors:
            messages.success(request, _("Saved. The change is recorded in the history."))
            return redirect("assessments:calendar", pk=pk)
        if isinstance(form, ExtensionForm):
            extension = form
        else:
            withdrawal = form
    context = {
        "assessment": assessment,
        "calendar": presenters.calendar_view(assessment),
        "changes": selectors.calendar_changes(assessment),
        "extension_form": extension,
        "withdrawal_form": withdrawal,
    }
    return render(request, "assessments/calendar.html", context)
