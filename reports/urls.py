from django.urls import path

from . import views

app_name = "reports"

# Included at the site root (config/urls.py): the results page keeps the path it had when it
# lived in assessments, which people have bookmarked and e-mails link to.
urlpatterns = [
    path("assessments/<int:pk>/results/", views.results, name="results"),
    path("reports/peer-comparison/", views.peer_method, name="peer_method"),
    path("framework/", views.framework_page, name="framework"),
    path("framework/<str:version>/", views.framework_page, name="framework_version"),
    path("reports/<int:pk>/request/", views.request_report, name="request"),
    path("reports/<int:pk>/status/", views.report_status, name="status"),
    path("reports/<int:pk>/<str:language>/download/", views.download, name="download"),
    path("reports/<int:pk>/<str:language>/view/", views.view_html, name="view"),
]
