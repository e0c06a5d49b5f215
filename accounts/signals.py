from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

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
