from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views
from assessments import views as assessment_views
from config import health

urlpatterns = [
    path("", assessment_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/ready", health.ready, name="healthz_ready"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("assessments/", include("assessments.urls")),
    path("", include("reports.urls")),  # /reports/… and the results page
    path("cohorts/", include("cohorts.urls")),
    path("privacy/", include("privacy.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

# Lazy, so the admin's header and titles follow each request's language.
admin.site.site_header = _("AI Readiness — Association admin")
admin.site.site_title = _("AI Readiness admin")
admin.site.index_title = _("Site administration")

# A database outage answers 503 with a page that needs no database (config/errors.py).
handler500 = "config.errors.server_error"
