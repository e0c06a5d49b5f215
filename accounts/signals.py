from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import mfa
from .models import User
from .services import user_sessions_end


@receiver(post_save, sender=User, dispatch_uid="accounts.end_sessions_of_inactive_user")
def end_sessions_of_inactive_user(
    sender: type[User], instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    """Deactivating someone (Django admin or any other save) logs them out everywhere."""
    if instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    user_sessions_end(user=instance)


@receiver(user_logged_in, dispatch_uid="accounts.second_factor_on_login")
def second_factor_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Every sign-in, whichever view did it (the login page, the password-reset link's
    automatic login, the Django admin's login), starts without a second factor given."""
    if request is not None and hasattr(request, "session") and isinstance(user, User):
        mfa.session_assess(request, user)
