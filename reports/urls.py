from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("<int:pk>/request/", views.request_report, name="request"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/<str:language>/download/", views.download, name="download"),
    path("<int:pk>/<str:language>/view/", views.view_html, name="view"),
]
