from django.apps import AppConfig


class DevdataConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "devdata"
    verbose_name = "Development data"
