"""The association admin's personal-data pages: find a person, see and download everything
held about them (a PDPO data access request), anonymise a person who left."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthedRequest
from assessments import access

from . import selectors, services
from .forms import AnonymiseForm


@login_required
@require_GET
def people(request: AuthedRequest) -> HttpResponse:
    """Search people by e-mail or name (admins)."""
    if not access.can_export_personal_data(user=request.user):
        raise PermissionDenied
    query = selectors.search_text(request.GET.get("q", ""))
    context = {"q": query, "found": selectors.people_search(query=query) if query else None}
    return render(request, "privacy/people.html", context)


@login_required
@require_GET
def person(request: AuthedRequest, pk: int) -> HttpResponse:
    """Everything held about one person, readable and printable, in the admin's language."""
    subject = selectors.person_for_user(user=request.user, pk=pk)
    data = services.personal_data_export(
        user=request.user, person=subject, fmt="html", request=request
    )
    context = {
        "subject": subject,
        "data": data,
        "can_anonymise": access.can_anonymise_person(user=request.user)
        and subject.anonymised_at is None
        and subject.pk != request.user.pk,
    }
    response = render(request, "privacy/person.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def person_json(request: AuthedRequest, pk: int) -> HttpResponse:
    """The same as a JSON file, for the person to keep or another system to read."""
    subject = selectors.person_for_user(user=request.user, pk=pk)
    data = services.personal_data_export(
        user=request.user, person=subject, fmt="json", request=request
    )
    body = json.dumps(data.as_json(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"personal-data-{subject.pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def anonymise(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm (type the person's e-mail), then anonymise them."""
    subject = selectors.person_for_user(user=request.user, pk=pk)
    if not access.can_anonymise_person(user=request.user):
        raise PermissionDenied
    form = AnonymiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_anonymise(
                user=request.user,
                person=subject,
                confirm_email=form.cleaned_data["confirm"],
                request=request,
            )
        except services.AnonymiseRefused as exc:
            form.add_error("confirm", str(exc))
        else:
            messages.success(request, _("The person was anonymised."))
            return redirect(f"{reverse('privacy:people')}?q={subject.email}")
    return render(request, "privacy/anonymise.html", {"subject": subject, "form": form})
