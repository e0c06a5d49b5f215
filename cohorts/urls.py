from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("<slug:slug>/export.<str:fmt>", views.export, name="export"),
]
