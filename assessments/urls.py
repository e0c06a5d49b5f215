from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("start/", views.assessment_start, name="start"),
    path("current/", views.current, name="current"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/profile/", views.step_profile, name="profile"),
    path("<int:pk>/step/<slug:shift>/", views.step_shift, name="step"),
    path("<int:pk>/step/<slug:shift>/autosave/", views.autosave, name="autosave"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review-submission/", views.review_submission, name="review_submission"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/calendar/", views.calendar, name="calendar"),
]
