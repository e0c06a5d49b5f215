"""The person's own API tokens: create (the token is shown once), list and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthedRequest
from assessments import access

from .. import selectors, services
from ..forms import TokenForm


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthedRequest) -> HttpResponse:
    """The list and the form; a created token is shown on this response only, never again
    (only its hash is kept), so it is rendered, not redirected to."""
    if not access.can_use_api(user=request.user):
        raise PermissionDenied
    form = TokenForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = services.token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            request=request,
        )
        form = TokenForm()
    context = {"form": form, "created": created, "tokens": selectors.tokens_of(user=request.user)}
    response = render(request, "api/tokens.html", context)
    # The page may hold a token in clear: no cache keeps it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = selectors.token_of(user=request.user, pk=pk)
    if services.token_revoke(user=request.user, token=token, request=request):
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api:tokens")
