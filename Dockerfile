# syntax=docker/dockerfile:1
#
# One image for every app process of docker-compose.yml: `web` (gunicorn, the default CMD),
# `worker` (celery) and the one-shot `migrate`. Build: docker build -t ai-readiness .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDIA_ROOT=/data/media \
    REPORT_FONT_DIR=/data/fonts \
    STATIC_ROOT=/app/staticfiles

# Runtime libraries only: Pango/HarfBuzz for WeasyPrint's PDF rendering, the Noto CJK fonts
# for Traditional Chinese reports, curl for the container healthcheck, pg_dump/pg_restore of
# the server's major version (postgres:15 in docker-compose.yml) for `manage.py backup`. No compilers: every
# pinned requirement installs from a wheel. gettext is not needed (.mo files are committed).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-noto-cjk \
        curl \
        postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first so that a code change does not reinstall them. Runtime set only:
# requirements-dev.txt (pytest, playwright, ruff, mypy...) stays out of the image.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Static files are collected into the image and served by whitenoise. The settings refuse to
# load without SECRET_KEY when DEBUG is off, so the build uses a throwaway key that never
# reaches a running container (compose supplies the real one from .env.production).
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --no-input

# Generated report files. Owned by app so that a fresh named volume mounted here inherits
# the ownership and the web and worker processes can write to it.
RUN mkdir -p /data/media /data/fonts /data/backups \
    && chown app:app /data/media /data/fonts /data/backups \
    && chmod 0700 /data/backups

USER app

# Subset the CJK report font once, at build time, so no worker pays for it (reports/fonts.py).
RUN SECRET_KEY=build-only DEBUG=false DJANGO_SETTINGS_MODULE=config.settings python -c "import django; django.setup(); from reports.fonts import report_fonts; assert report_fonts()"

EXPOSE 8000

# exec: gunicorn replaces the shell as PID 1 and receives docker's SIGTERM directly.
CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --access-logfile -"]
