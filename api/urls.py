from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import cohorts, framework, issuers, tokens

app_name = "api"

# Included at /api/ (config/urls.py). Data endpoints are versioned under v1/; the token
# page is an ordinary page of the site.
urlpatterns = [
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", tokens.revoke, name="token_revoke"),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "v1/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("v1/frameworks/", framework.FrameworkVersions.as_view(), name="frameworks"),
    path("v1/frameworks/<str:version>/", framework.FrameworkDetail.as_view(), name="framework"),
    path("v1/issuers/", issuers.IssuerList.as_view(), name="issuers"),
    path("v1/assessments/", issuers.AssessmentList.as_view(), name="assessments"),
    path("v1/assessments/<int:pk>/", issuers.AssessmentDetail.as_view(), name="assessment"),
    path("v1/assessments/<int:pk>/scores/", issuers.AssessmentScores.as_view(), name="scores"),
    path("v1/assessments/<int:pk>/peers/", issuers.AssessmentPeers.as_view(), name="peers"),
    path("v1/assessments/<int:pk>/reports/", issuers.AssessmentReports.as_view(), name="reports"),
    path(
        "v1/assessments/<int:pk>/reports/<str:language>/",
        issuers.ReportDownload.as_view(),
        name="report_download",
    ),
    path("v1/cohorts/", cohorts.CohortList.as_view(), name="cohorts"),
    path("v1/cohorts/<slug:slug>/", cohorts.CohortDetail.as_view(), name="cohort"),
    path("v1/cohorts/<slug:slug>/issuers/", cohorts.CohortIssuers.as_view(), name="cohort_issuers"),
    path(
        "v1/cohorts/<slug:slug>/aggregates/",
        cohorts.CohortAggregates.as_view(),
        name="cohort_aggregates",
    ),
    path("v1/cohorts/<slug:slug>/answers/", cohorts.CohortAnswers.as_view(), name="cohort_answers"),
    path("v1/cohorts/<slug:slug>/emails/", cohorts.CohortEmails.as_view(), name="cohort_emails"),
]
