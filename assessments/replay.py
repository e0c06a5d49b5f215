"""A wizard POST that arrives after the session expired is kept, and replayed after login.

`login_required_keep_post` parks the typed answers in the (anonymous) session, which
survives the login (Django carries session data over to the new key); the step view then
calls `parked_post`, which hands them back once, for the same page, as if just posted.
Autosave calls get a 401 JSON answer instead, so the page keeps the values in the browser
and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

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


def _park(request: HttpRequest) -> None:
    request.session[PENDING_KEY] = {
        "path": request.path,
        "data": {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"},
    }


def login_required_keep_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like login_required, but a POST that arrives after the session expired is kept."""

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
            _park(request)
        return redirect_to_login(request.get_full_path())

    return wrapper


def parked_post(request: HttpRequest) -> QueryDict | None:
    """The answers parked for this page, removed from the session and announced to the
    respondent; None when nothing waits for this page."""
    pending = request.session.get(PENDING_KEY)
    if not pending or pending.get("path") != request.path:
        return None
    del request.session[PENDING_KEY]
    data = QueryDict(mutable=True)
    for key, values in pending.get("data", {}).items():
        data.setlist(key, [str(v) for v in values])
    messages.info(request, _("Your session had expired; here is what you typed before it did."))
    return data
