"""Settings for the AI-readiness assessment service.

Everything that differs between a laptop, CI and production comes from the environment
(see `.env.example`). Defaults are the quick-start ones: SQLite in the project folder and
Celery tasks run eagerly in the web process, so `make run` needs nothing installed.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable while DEBUG is on; production must supply its own.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example); "
            "it may only be omitted when DEBUG=true."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "drf_spectacular",
    # The Swagger UI's files, served from static/ (no CDN at run time).
    "drf_spectacular_sidecar",
    "config.apps.AxesConfig",  # django-axes, with a translated name in the admin
    "csp",
    # The second factor (accounts/mfa.py): authenticator apps and security keys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "core",
    "accounts",
    "assessments",
    "cohorts",
    "reports",
    "privacy",
    "api",
]
# Development data (`seed_demo`, `generate_market`): only where DEBUG is on, so production
# settings do not even know those commands. The test and benchmark settings add it too.
DEVDATA_APP = "devdata"
if DEBUG:
    INSTALLED_APPS.append(DEVDATA_APP)

MIDDLEWARE = [
    # First: every response, redirects and errors included, carries the request id, and
    # every log line of the request (and of the tasks it enqueues) names it.
    "core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # After sign-in, someone who owes a second factor reaches only its pages (accounts/mfa.py).
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "assessments.context_processors.access",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A pooled connection that died with a database restart is detected before use.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Quick-start only: autosave sends concurrent writes; wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out (username, address) pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Respondents fill the questionnaire between other work: a working day without
# re-login. A save that arrives after expiry is kept and replayed after login
# (assessments.replay.login_required_keep_post), so expiry never loses typing and the
# session need not be rewritten on every request.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Hong_Kong"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# `manage.py backup` (core/backup.py): where archives go and how many of the newest it
# keeps (0: all). The compose `backup` service writes daily into its own volume.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
# The CJK report font is subset once per machine into this folder (reports/fonts.py).
REPORT_FONT_DIR = env.path("REPORT_FONT_DIR", default=BASE_DIR / "var" / "fonts")
MEDIA_URL = "/media-not-served/"  # files are only ever served by access-checking views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Only derived data that is cheap to lose (the cohort dashboard's score aggregates, keyed
# on the snapshots they come from). Production points CACHE_URL at Redis (another database
# than the broker's) so the worker's recomputation after a submission serves every web
# process; without it each process keeps its own memory cache.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://app")}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AI Readiness <noreply@example.org>")
# Named in every e-mail, in the recipient's language.
ASSOCIATION_NAME_EN = env.str("ASSOCIATION_NAME_EN", default="Hong Kong Listed SMEs Association")
ASSOCIATION_NAME_ZH = env.str("ASSOCIATION_NAME_ZH", default="香港上市中小企協會")
# The site's public address, for links in e-mails sent outside a request (Celery tasks).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery: without a broker URL every task runs eagerly inside the web process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
# A worker child that grows past this (KiB) is replaced after its current task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=400_000)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_TASK_TRACK_STARTED = True

# Redis has no real acknowledgement: a message a worker took and never acked (the worker
# was killed mid-task) goes back on the queue once it has been out this many seconds. It
# must exceed the longest a live worker keeps a message unacked (the hard time limit plus a
# retry's countdown), or a slow report is rendered twice (harmless, but wasted).
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "visibility_timeout": _visibility_timeout,
    # kombu looks for expired messages only every interval x throttle seconds (10 x 10 by
    # default); look on every tick, and tick often enough for short timeouts to hold.
    "unacked_restore_interval": max(1, min(10, _visibility_timeout // 10)),
    "unacked_restore_throttle": 1,
    # A worker killed while holding the restore lock blocks every restore until it expires.
    "unacked_mutex_expire": min(300, _visibility_timeout),
}
# Publishing from a web request while the broker is down must fail within seconds: the
# report stays queued, the page says so, and a sweep sends it when the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# Each worker sweeps for reports whose message never reached the broker or was lost with
# it: when it (re)connects and then every this many seconds (reports.services).
REPORT_SWEEP_SECONDS = env.int("REPORT_SWEEP_SECONDS", default=300)

# Peer statistics are suppressed below this many other submitted issuers (never below 5).
PEER_MIN_GROUP = max(5, env.int("PEER_MIN_GROUP", default=5))
# Below this many, a group shows only a median rounded to PEER_COARSE_ROUNDING points and
# "below / around / above"; quartiles and percentiles need at least this many (never < 10).
PEER_DETAIL_MIN = max(10, env.int("PEER_DETAIL_MIN", default=10))
PEER_COARSE_ROUNDING = 5
# A group's published statistics change only once this many issuers have joined, left or
# resubmitted (never below 5); the beat publishes every PEER_RELEASE_SECONDS (reports.releases).
PEER_RELEASE_STEP = max(5, env.int("PEER_RELEASE_STEP", default=5))
PEER_RELEASE_SECONDS = env.int("PEER_RELEASE_SECONDS", default=3600)
# Decoded peer releases each process keeps (reports.releases.release_measures): a group at
# market scale is ~3 MB decoded, so 64 bound a worker's share to about 200 MB at worst.
PEER_RELEASE_CACHE = max(1, env.int("PEER_RELEASE_CACHE", default=64))
# Deadline reminders go to issuers that have not submitted this many days before their
# deadline (0: on the day), in open cohorts. The beat asks every hour from
# REMINDER_FIRST_HOUR to 18:00 Hong Kong time; the e-mail log sends each reminder once a
# day, so the later runs only catch up what a stopped worker missed.
REMINDER_DAYS_BEFORE = sorted(
    {int(n) for n in env.list("REMINDER_DAYS_BEFORE", default=["14", "7", "2", "0"])},
    reverse=True,
)
REMINDER_FIRST_HOUR = env.int("REMINDER_FIRST_HOUR", default=9)
CELERY_TIMEZONE = TIME_ZONE
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=15)
HEARTBEAT_MAX_AGE = env.int("HEARTBEAT_MAX_AGE", default=60)
# /healthz/ready answers loopback callers that no proxy relayed, and anybody sending this
# token in X-Healthz-Token (a monitor elsewhere). Empty: loopback only.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
CELERY_BEAT_SCHEDULE = {
    "publish-peer-releases": {
        "task": "reports.tasks.publish_peer_releases_task",
        "schedule": PEER_RELEASE_SECONDS,
    },
    # Proves a worker consumes the queue: /healthz/ready (config/health.py) is unhealthy
    # when no heartbeat ran within HEARTBEAT_MAX_AGE seconds. Expires unrun, so a queue
    # that built up while no worker ran does not pass for a fresh heartbeat.
    "worker-heartbeat": {
        "task": "config.worker_heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        "options": {"expires": HEARTBEAT_SECONDS},
    },
    "send-cohort-reminders": {
        "task": "cohorts.tasks.send_reminders_task",
        "schedule": crontab(minute=0, hour=f"{min(REMINDER_FIRST_HOUR, 18)}-18"),
    },
}

# Login throttling (django-axes): failures are counted per (e-mail, client address) pair,
# so neither spraying many accounts from one address nor one account from many addresses
# locks anybody else out. Counts live in the database, shared by every web process.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# Not on the password alone: wrong second-factor codes count on the same (e-mail, address)
# key, so the count is cleared only once sign-in is complete (accounts.mfa), or a password
# holder could guess codes without end, a few between each password login.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# The login form posts the e-mail address as "username" (Django's AuthenticationForm), not
# as the model's USERNAME_FIELD, which axes would otherwise look for.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
# Reverse proxies in front of the app that append the client address to X-Forwarded-For.
# 0 (default): the header is ignored, since anybody can send it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# The second factor (accounts/mfa.py, docs/SECURITY.md "Second factor").
# django-axes is the one lockout for wrong codes too; django-otp's own per-device back-off
# would make a person wait between two typos with no message.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="AI Readiness")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Whether a signed-in person owes a second factor is re-read this often (seconds): a lead
# whose cohort starts to require one is asked for it within this time.
MFA_RECHECK_SECONDS = env.int("MFA_RECHECK_SECONDS", default=300)
# Security keys and passkeys (django-otp-webauthn): only as a second factor, never instead
# of the password. The relying party is the site's host name (SITE_URL), and the browser
# must be on one of the allowed origins: https, or http://localhost while developing (an IP
# address such as 127.0.0.1 cannot be a relying party, so the quick start's keys need
# http://localhost:8000/).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
_site = urlsplit(SITE_URL)
_site_is_key_origin = _site.scheme == "https" or _site.hostname == "localhost"
OTP_WEBAUTHN_RP_ID = env.str(
    "WEBAUTHN_RP_ID", default=_site.hostname if _site_is_key_origin else "localhost"
)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS",
    default=[
        f"{_site.scheme}://{_site.netloc}" if _site_is_key_origin else "http://localhost:8000"
    ],
)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: autosave and the report buttons take the token from
# the form's hidden input.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container healthcheck calls plain HTTP on the loopback interface.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^healthz/ready$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole registrable domain (the association's, not only this
        # site) to HTTPS in browsers for months: the operator opts in, and then the check
        # applies again. docs/SECURITY.md lists this exception.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp). No inline script anywhere; the one inline <style>
# element (the HTML view of a report) carries a per-response nonce. Style *attributes*
# stay allowed for the server-computed bar widths and heat-map shades; they cannot run
# code, and images they could load are limited by img-src.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The JSON API (api/, ARCHITECTURE.md): read-only, personal tokens (`Authorization: Bearer
# …`) or the browser session, one throttle per token (or person) counted in the cache. With
# the default per-process memory cache each web worker counts separately; point CACHE_URL
# at Redis in production so the limit holds across workers.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.json_error",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (or signed-in person, or client address for the public framework).
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1000/hour")
# Longest a personal API token may live (days); each token states its own expiry.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Readiness API",
    "DESCRIPTION": (
        "Read-only JSON API: the framework (public), an issuer's own results, and the "
        "association's cohorts. Authenticate with a personal API token: "
        "`Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# JSON lines by default under production settings (one object per line: time, level,
# logger, message, request_id, and task_id/task_name in a worker; python-json-logger,
# docs/SECURITY.md "Logs"); LOG_FORMAT=text for people reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.requestid.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Error reporting (Sentry), off unless SENTRY_DSN is set; events are scrubbed of answers,
# notes, comments, e-mail addresses and request bodies before they leave (config/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("APP_VERSION", default="") or None,
    )
