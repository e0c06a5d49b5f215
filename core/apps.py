from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    # An app (not a plain package) only so that ready() installs the SQLite aggregate.
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("E-mail log")

    def ready(self) -> None:
        from . import db

        db.install()
