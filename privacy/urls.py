from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/export.json", views.person_json, name="person_json"),
    path("people/<int:pk>/anonymise/", views.anonymise, name="anonymise"),
]
