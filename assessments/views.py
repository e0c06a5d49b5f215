from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthedRequest

from . import presenters, selectors, services
from .forms import IssuerProfileForm, ReviewForm, StepForm
from .framework import Framework, Shift
from .models import EDITABLE_STATUSES, Answer, Assessment

PENDING_KEY = "pending_step_post"


# About the largest step a respondent can send: every note of the biggest step (17 items)
# at 4,000 Chinese characters, percent-encoded (9 bytes each). Anything bigger is not a
# typed answer, and anyone can make an anonymous session, so it is not stored.
PARK_MAX_BYTES = 1024 * 1024


def _parkable(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return 0 < length <= PARK_MAX_BYTES


def login_required_keep_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but a POST that arrives after the session expired is kept.

    The typed answers are parked in the (anonymous) session, which survives the login,
    and replayed by the step view once the respondent is back. Autosave calls get a 401
    JSON answer instead, so the page can keep the values in the browser and say so.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.headers.get("accept", "").startswith("application/json"):
            return JsonResponse(
                {
                    "status": "login_required",
                    "message": _(
                        "Your session has expired. Log in again; "
                        "your changes are kept on this page."
                    ),
                },
                status=401,
            )
        if request.method == "POST" and _parkable(request):
            request.session[PENDING_KEY] = {
                "path": request.path,
                "data": {
                    k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"
                },
            }
        return redirect_to_login(request.get_full_path())

    return wrapper


@dataclass
class StepLink:
    key: str
    title: str
    url: str
    answered: int
    total: int
    current: bool

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


def _steps(
    assessment: Assessment, fw: Framework, answers: dict[str, Answer], current: str
) -> list[StepLink]:
    lang = get_language()
    steps = [
        StepLink(
            "profile",
            _("Company profile"),
            reverse("assessments:profile", args=[assessment.pk]),
            1 if assessment.issuer.profile_confirmed_at else 0,
            1,
            current == "profile",
        )
    ]
    for shift in fw.shifts:
        known = sum(1 for i in shift.items if (a := answers.get(i.code)) and a.is_known)
        steps.append(
            StepLink(
                shift.code,
                shift.name.get(lang),
                reverse("assessments:step", args=[assessment.pk, shift.code]),
                known,
                len(shift.items),
                current == shift.code,
            )
        )
    steps.append(
        StepLink(
            "review",
            _("Review and submit"),
            reverse("assessments:review", args=[assessment.pk]),
            0,
            0,
            current == "review",
        )
    )
    return steps


def _wizard_context(
    request: AuthedRequest, assessment: Assessment, answers: dict[str, Answer], current: str
) -> dict[str, Any]:
    fw = selectors.framework_of(assessment.framework)
    steps = _steps(assessment, fw, answers, current)
    known = sum(1 for a in answers.values() if a.is_known)
    keys = [s.key for s in steps]
    index = keys.index(current)
    return {
        "assessment": assessment,
        "framework": fw,
        "steps": steps,
        "overall_answered": known,
        "overall_total": len(answers),
        "overall_percent": round(100 * known / len(answers)) if answers else 0,
        "prev_step": steps[index - 1] if index > 0 else None,
        "next_step": steps[index + 1] if index + 1 < len(steps) else None,
        "editable": selectors.assessment_editable_by(user=request.user, assessment=assessment),
        "is_lead": getattr(request.user, "is_issuer_lead", False)
        and request.user.issuer_id == assessment.issuer_id,
    }


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    assessments = list(selectors.assessments_for_home(user)[:50])
    return render(
        request,
        "home.html",
        {
            "assessments": assessments,
            "open_assessment": next((a for a in assessments if a.is_editable), None),
            "has_submitted": any(a.submitted_at for a in assessments),
        },
    )


@login_required
@require_GET
def current(request: AuthedRequest) -> HttpResponse:
    """Where a person lands after login by invitation: their open assessment, else home."""
    user = request.user
    if user.is_issuer_staff:
        open_one = (
            selectors.assessments_visible_to(user)
            .filter(status__in=[s.value for s in EDITABLE_STATUSES])
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
    can_edit = (
        request.user.is_issuer_lead
        and request.user.issuer_id == issuer.pk
        and assessment.is_editable
    )
    form = IssuerProfileForm(request.POST if request.method == "POST" else None, instance=issuer)
    if not can_edit:
        for f in form.fields.values():
            f.disabled = True
        form.helper.inputs = []
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            services.issuer_profile_confirm(
                issuer=issuer, user=request.user, data=form.cleaned_data
            )
            messages.success(request, _("Company profile confirmed."))
            fw = selectors.framework_of(assessment.framework)
            return redirect("assessments:step", pk=pk, shift=fw.shifts[0].code)
    answers = selectors.answers_of(assessment)
    context = _wizard_context(request, assessment, answers, "profile")
    context.update(form=form, issuer=issuer, can_edit=can_edit)
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


@login_required_keep_post
@require_http_methods(["GET", "POST"])
def step_shift(request: AuthedRequest, pk: int, shift: str) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    fw = selectors.framework_of(assessment.framework)
    the_shift = _shift_or_404(fw, shift)
    editable = selectors.assessment_editable_by(user=request.user, assessment=assessment)
    data: QueryDict | None = None
    pending = request.session.get(PENDING_KEY)
    if request.method == "POST":
        if not editable:
            messages.error(request, _("This assessment is read-only; nothing was changed."))
            return redirect("assessments:step", pk=pk, shift=shift)
        data = request.POST
    elif pending and pending.get("path") == request.path and editable:
        del request.session[PENDING_KEY]
        replay = QueryDict(mutable=True)
        for key, values in pending.get("data", {}).items():
            replay.setlist(key, [str(v) for v in values])
        data = replay
        messages.info(request, _("Your session had expired; here is what you typed before it did."))

    # A POST needs no current answers unless the page has to be shown again.
    answers = selectors.answers_of(assessment) if data is None else {}
    form = StepForm(data, shift=the_shift, answers=answers, language=get_language())
    if data is not None:
        valid = form.is_valid()
        try:
            outcome = services.answers_save(
                assessment=assessment,
                proposals=form.proposals(),
                user=request.user,
            )
        except services.AssessmentLocked:
            messages.error(
                request, _("This assessment was submitted meanwhile; it is now read-only.")
            )
            return redirect("assessments:review", pk=pk)
        if outcome.saved:
            messages.success(request, _("Saved %(n)d answer(s).") % {"n": len(outcome.saved)})
        if valid and not outcome.conflicts:
            steps = _steps(assessment, fw, answers, shift)
            index = [s.key for s in steps].index(shift)
            go = request.POST.get("go", "")
            if go == "next" and index + 1 < len(steps):
                return redirect(steps[index + 1].url)
            if go == "prev" and index > 0:
                return redirect(steps[index - 1].url)
            return redirect("assessments:step", pk=pk, shift=shift)
        answers = selectors.answers_of(assessment)
        versions = dict(outcome.versions)
        versions.update({c.item_code: answers[c.item_code].version for c in outcome.conflicts})
        form.rebase(versions)
        form.answers = answers
        form.theirs = {c.item_code: answers[c.item_code] for c in outcome.conflicts}
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
    form.conflicts = selectors.open_conflicts(assessment, [i.code for i in the_shift.items])
    context = _wizard_context(request, assessment, answers, shift)
    context.update(form=form, shift=the_shift, sections=form.sections())
    return render(request, "assessments/step_shift.html", context)


@login_required_keep_post
@require_POST
def autosave(request: AuthedRequest, pk: int, shift: str) -> HttpResponse:
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not selectors.assessment_editable_by(user=request.user, assessment=assessment):
        return JsonResponse(
            {"status": "locked", "message": _("This assessment is read-only.")}, status=409
        )
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
    conflicts = {
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
    context["trail"] = selectors.review_trail(assessment, with_revisions=False)
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
    except services.SubmitError as exc:
        messages.error(
            request,
            _("%(n)d required question(s) are still unanswered; see the list below.")
            % {"n": len(exc.missing)},
        )
        return redirect("assessments:review", pk=pk)
    messages.success(request, _("Submitted. Your scores are below."))
    return redirect("reports:results", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def review_submission(request: AuthedRequest, pk: int) -> HttpResponse:
    """The association's review: read the answers, comment, approve or return."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    if not services.can_review(user=request.user, assessment=assessment):
        raise Http404
    fw = selectors.framework_of(assessment.framework)
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        items=[(i.code, i.text.get(get_language())) for i in fw.iter_items()],
    )
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            if action == "comment":
                services.review_comment_add(
                    assessment=assessment,
                    author=request.user,
                    text=form.cleaned_data["text"],
                    item_code=form.cleaned_data["item"],
                )
                messages.success(request, _("Comment added."))
            else:
                services.assessment_review(
                    assessment=assessment,
                    reviewer=request.user,
                    approve=action == "approve",
                    note=form.cleaned_data["text"],
                )
                messages.success(
                    request,
                    _("Assessment approved.")
                    if action == "approve"
                    else _("Assessment returned to the issuer."),
                )
            return redirect("assessments:review_submission", pk=pk)
        except services.ReviewError as exc:
            form.add_error("text", str(exc))
    answers = selectors.answers_of(assessment)
    context = {
        "assessment": assessment,
        "review": presenters.review(fw, answers, get_language()),
        "trail": selectors.review_trail(assessment, with_revisions=False),
        "form": form,
    }
    return render(request, "assessments/review_submission.html", context)


@login_required
@require_GET
def history(request: AuthedRequest, pk: int) -> HttpResponse:
    """Audit trail: every status change, comment and answer change (admins and the lead)."""
    assessment = selectors.assessment_for_user(user=request.user, pk=pk)
    user = request.user
    if not (
        user.is_association_staff
        or (user.is_issuer_lead and user.issuer_id == assessment.issuer_id)
    ):
        raise PermissionDenied
    fw = selectors.framework_of(assessment.framework)
    trail = selectors.review_trail(assessment)
    lang = get_language()
    revisions = [
        {
            "rev": rev,
            "question": fw.items[rev.answer.item.code].text.get(lang)
            if rev.answer.item.code in fw.items
            else rev.answer.item.code,
            "value": presenters.answer_text(fw.items[rev.answer.item.code], rev, lang)
            if rev.answer.item.code in fw.items
            else "",
        }
        for rev in trail["revisions"]
    ]
    return render(
        request,
        "assessments/history.html",
        {"assessment": assessment, "trail": trail, "revisions": revisions},
    )
