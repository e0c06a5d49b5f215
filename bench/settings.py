"""The project's settings plus one benchmark-only URL (see bench/urls.py).

Only the wizard benchmark's gunicorn runs with DJANGO_SETTINGS_MODULE=bench.settings; the
project's own URL configuration (and so its access tests) never contains the bare view.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
