"""The project's URLs plus `bench/bare/`, a bare Django view: the yardstick for the
wizard's throughput (same gunicorn, same middleware, no database work in the view)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *project_urlpatterns]
