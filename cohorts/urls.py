from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("new/", views.cohort_create, name="create"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/export.<str:fmt>", views.export, name="export"),
    path("<slug:slug>/reports/", views.bulk_reports, name="bulk_reports"),
    path("<slug:slug>/enrol/", views.enrol, name="enrol"),
    path("<slug:slug>/invitations/", views.invitations, name="invitations"),
    path(
        "<slug:slug>/enrol/template-<str:language>.<str:fmt>",
        views.enrol_template,
        name="enrol_template",
    ),
    path("<slug:slug>/edit/", views.cohort_edit, name="edit"),
    path("<slug:slug>/reports.zip", views.bulk_zip, name="bulk_zip"),
    path("<slug:slug>/emails/", views.email_log, name="emails"),
    path("<slug:slug>/remind/", views.remind, name="remind"),
    path("<slug:slug>/index-report/", views.index_report_request, name="index_report_request"),
    path("<slug:slug>/index-report/status/", views.index_report_status, name="index_report_status"),
    path(
        "<slug:slug>/index-report/<str:language>.pdf",
        views.index_report_download,
        name="index_report_download",
    ),
    path(
        "<slug:slug>/index-report/<str:language>.html",
        views.index_report_view,
        name="index_report_view",
    ),
]
