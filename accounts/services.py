from __future__ import annotations

from .models import User


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a signed-in user chose, for every device they use."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
