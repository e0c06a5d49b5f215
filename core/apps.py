from django.apps import AppConfig


class CoreConfig(AppConfig):
    # An app (not a plain package) only so that ready() installs the SQLite aggregate.
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        from . import db

        db.install()
