"""The association's name in the language being rendered (settings.ASSOCIATION_NAME_*)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language


class AssociationName:
    """Printed as the association's name in the language active when it is printed, so
    one context renders a two-language e-mail (`{% language %}` blocks) correctly."""

    def __str__(self) -> str:
        if (get_language() or "").startswith("zh"):
            return str(settings.ASSOCIATION_NAME_ZH)
        return str(settings.ASSOCIATION_NAME_EN)


ASSOCIATION = AssociationName()
