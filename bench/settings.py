"""The project's settings plus one benchmark-only URL (see bench/urls.py) and the
development data app (the benchmarks' data comes from `devdata`).

Only the wizard benchmark's gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings; the
project's own URL configuration (and so its access tests) never contains the bare view.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
if DEVDATA_APP not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS.append(DEVDATA_APP)  # noqa: F405
