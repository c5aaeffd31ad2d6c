"""Settings for the defector testimony database.

Every environment variable is read here, at the top, and nowhere else
(docs/contract.md, "Configuration"). With none set the project runs in local
development mode; ``DEBUG=0`` switches to production mode, which refuses to
start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
# Anonymous visitors may read public records and public fields. The study data
# are public press reports, so this is on in development and off in production.
TESTIMONY_PUBLIC_READ = env_flag("TESTIMONY_PUBLIC_READ", DEBUG)
# Identity custodians must have passed a TOTP step at login to see identity
# fields (accounts.access.can_view_identity): on in production, off in development.
TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = env_flag("TESTIMONY_REQUIRE_OTP_FOR_IDENTITY", not DEBUG)
# Statistical disclosure control (reports.disclosure): in report figures and
# breakdowns, counts below this are shown as "<N" to users without
# testimony.view_identity. 0 turns it off (development, so the study's published
# small figures, such as its 2 British defectors, stay visible); 3 in production.
TESTIMONY_MIN_CELL = int(os.environ.get("TESTIMONY_MIN_CELL", "0" if DEBUG else "3"))
# Production HTTPS settings (README, "Security"). Turn SECURE_SSL_REDIRECT off only
# behind a proxy that terminates TLS and redirects plain HTTP itself; name the
# header that proxy sets, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER_NAME = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_PRELOAD = env_flag("SECURE_HSTS_PRELOAD", not DEBUG)
# REST API throttles (DRF rates: "N/second|minute|hour|day"), per client address
# for anonymous visitors and per account for signed-in users and tokens.
API_THROTTLE_ANON = os.environ.get("API_THROTTLE_ANON", "60/minute")
API_THROTTLE_USER = os.environ.get("API_THROTTLE_USER", "600/minute")
# REST API tokens authenticate for this many days after issue_token made them
# (accounts/tokens.py); 0 means they never expire.
API_TOKEN_LIFETIME_DAYS = int(os.environ.get("API_TOKEN_LIFETIME_DAYS", "30"))
# The admin's CSV import (testimony/admin_import.py) works inside one request,
# which must end within the worker timeout (gunicorn's 30 s): larger files are
# refused with a pointer to `manage.py import_defectors`. A file updating 1,000
# stored cases took 12 s on PostgreSQL on a loaded machine, 2,000 took 30 s
# (bench/admin_import_timing.py; README, "Import and export").
TESTIMONY_ADMIN_IMPORT_MAX_BYTES = int(os.environ.get("TESTIMONY_ADMIN_IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
TESTIMONY_ADMIN_IMPORT_MAX_ROWS = int(os.environ.get("TESTIMONY_ADMIN_IMPORT_MAX_ROWS", "1000"))
# Level of the project's own loggers (testimony, reports, accounts, ...), see LOGGING.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
# Several app servers (docs/scaling.md): one shared cache for API throttles,
# login lockouts and sessions, e.g. redis://127.0.0.1:6379/3. Unset: each process
# keeps its own in memory, which suits one `make run` process and the tests.
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or os.environ.get("REDIS_URL", "").strip()
# A read replica (a streaming standby of DATABASE_URL): lists, reports and exports
# read from it through config.db_router; writes and the reads of a user who has
# just written go to the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
# Seconds after a write during which that browser's reads stay on the primary, so
# that a replica lagging behind never hides what the user has just saved.
DATABASE_READ_YOUR_WRITES_SECONDS = int(os.environ.get("DATABASE_READ_YOUR_WRITES_SECONDS", "10"))
# Retry-After on the 503 answered while the database cannot be reached (config.middleware).
DATABASE_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DATABASE_UNAVAILABLE_RETRY_AFTER", "5"))
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-local-development-only"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]", "testserver"]
else:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated).")

INSTALLED_APPS = [
    "accounts.apps.TestimonyAdminConfig",  # django.contrib.admin with the OTP-aware login (accounts/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "testimony",
    "narratives",
    "reports",
    "coding",
    "accounts",
    "audit",
    "django_tasks",
    "django_tasks_db",
    "jobs",
]
# The study a defector filter ``?study=<code>`` names (testimony.filters): reports
# sits above testimony, so the settings name its model, as AUTH_USER_MODEL names
# the user model, rather than testimony importing reports. Any model with a unique
# ``code`` and ``window_start`` / ``window_end`` dates serves.
TESTIMONY_STUDY_MODEL = "reports.Study"
# Warnings about saved cases from the apps above testimony (admin messages, the API's
# "warnings", the import preview): functions of the defectors returning sentences.
TESTIMONY_CASE_WARNINGS = ["reports.services.study_warnings_for"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.RefuseNulMiddleware",
    # A database that cannot be reached: a 503 with Retry-After (config/faults.py).
    "config.faults.DatabaseUnavailableMiddleware",
    # Which database this request reads: the replica for list/report GETs (config/db_router.py).
    "config.db_router.ReplicaReadsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Cache-Control: no-store, private for signed-in users; outside ConditionalGet so that ETags stay.
    "config.middleware.PrivateResponsesMiddleware",
    # ETag on every GET response and a 304 for a matching If-None-Match (the API's conditional GETs).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Persistent connections checked before each request's first query
# (CONN_HEALTH_CHECKS): after a database restart the first request of each
# worker reconnects instead of failing on the dead connection.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
# The read replica (config/db_router.py). Without DATABASE_REPLICA_URL the alias is
# the primary's settings and the router sends nothing to it (no second connection);
# tests use the primary's test database under it, as a replica has the same rows.
DATABASES["replica"] = dj_database_url.parse(
    DATABASE_REPLICA_URL or DATABASE_URL, conn_max_age=60, conn_health_checks=True
)
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _alias in DATABASES.values():
    if _alias["ENGINE"].endswith("postgresql"):
        # No JIT compilation: the report's tag rule has many small subqueries whose summed
        # estimates pass jit_above_cost, and compiling them took 575 of a 900 ms query at
        # 100,000 defectors. JIT pays off on long analytical scans, not on pages.
        _alias.setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# No ATOMIC_REQUESTS: every write already runs in one transaction of its service
# (or of the admin's change view), so a database failing mid-request leaves it
# either committed or rolled back and answered with a 503 (docs/scaling.md,
# "Faults"); a request-wide transaction would also hold one open across whole
# report pages and streamed exports.

if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now, silences the transition warning

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses to authenticate a locked-out username+IP at all.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# The unnamed 17th country of the ICSR 2015 study is recorded honestly as a
# user-assigned code rather than guessed (docs/icsr-2015.md).
COUNTRIES_OVERRIDE = {"XX": "Unnamed in sources"}

# `loaddata icsr_2015` finds the study fixture in the project's fixtures/ folder (docs/contract.md).
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# SQLite backups: dumpdata's JSON with microseconds kept (testimony/backup_json.py).
SERIALIZATION_MODULES = {"backup-json": "testimony.backup_json"}

# The REST API (README, "REST API"). Token first, so that a request without
# credentials gets a 401 with "WWW-Authenticate: Token"; no HTTP Basic: passwords
# go through the login pages only (login throttling, TOTP).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.ReadOrModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": API_THROTTLE_ANON, "user": API_THROTTLE_USER},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Defector testimony API",
    "DESCRIPTION": "Public testimony of people who defected from the so-called Islamic State.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components: read-only fields stay out of request bodies.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"PrecisionEnum": "testimony.models.Precision"},
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "TAGS": [
        {"name": "defectors", "description": "People who left IS and spoke publicly; looked up by case_id."},
        {"name": "quotes", "description": "Verbatim excerpts of testimony, with their narrative codes."},
        {"name": "sources", "description": "Published items (articles, broadcasts)."},
        {"name": "outlets", "description": "Media organisations."},
        {"name": "narratives", "description": "The codebook; looked up by code."},
        {"name": "reports", "description": "A study's figures, regenerated from the database."},
    ],
}

# Logging: everything to standard error, where gunicorn, systemd or a container
# runtime collects it (README, "Production"). Django's own default sends request
# errors only to ADMINS by e-mail when DEBUG is off, so without this a 500 in
# production was logged nowhere. django.request logs every 5xx as ERROR with its
# traceback and 4xx as WARNING; django.security the refused hosts and CSRF failures.
PROJECT_LOGGERS = ["accounts", "audit", "config", "narratives", "reports", "testimony"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name} {process:d} {message}", "style": "{"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # Replaces Django's default handlers (console with DEBUG on, mail_admins with it off); propagates to root.
        "django": {"handlers": [], "level": "INFO"},
        **{name: {"handlers": [], "level": LOG_LEVEL} for name in PROJECT_LOGGERS},
    },
}

# --- Security (README, "Security") ---------------------------------------------
# Login throttling: 5 wrong passwords for one username from one IP address lock
# that pair out for an hour. Behind a proxy REMOTE_ADDR is the proxy's address,
# so the lockout then works per username.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Lockouts are counted in the database (shared by every app server whatever the
# cache); django-axes' default handler. Named so that it stays so.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# Sessions end after 8 hours of login; in production also when the browser closes.
SESSION_COOKIE_AGE = 8 * 60 * 60
# With a shared cache, sessions are read from it and written to it and to the
# database, so a Redis flush or restart signs nobody out. Without one they stay
# in the database only: a per-process cache would let the other workers accept
# a session for a while after its logout.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if CACHE_URL else "django.contrib.sessions.backends.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
if SECURE_PROXY_SSL_HEADER_NAME:
    SECURE_PROXY_SSL_HEADER = (SECURE_PROXY_SSL_HEADER_NAME, "https")
if not DEBUG and not SECURE_SSL_REDIRECT:
    # The operator has said a TLS-terminating proxy redirects plain HTTP.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
# Links to press articles must not carry our URLs (and their filters) to outlets.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy, set on every response by config.middleware
# (Django 5.2 has none built in; the setting's name and shape follow Django 6's
# SECURE_CSP so the middleware can be swapped for Django's own). No inline
# scripts or styles anywhere; a view needing more wraps itself in
# config.middleware.csp_override({...}).
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Background jobs (jobs/; README, "Background jobs") -------------------------
# django-tasks, the backport of Django 6's task framework. TESTIMONY_TASKS=immediate
# (the default, `make run`): a job runs inside the request that starts it, no
# other service needed. TESTIMONY_TASKS=database (`make serve-prod`): jobs wait in
# the database and `manage.py db_worker` runs them beside gunicorn.
TESTIMONY_TASKS = os.environ.get("TESTIMONY_TASKS", "immediate")
if TESTIMONY_TASKS not in ("immediate", "database"):
    raise ImproperlyConfigured("TESTIMONY_TASKS must be immediate or database")
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTIMONY_TASKS == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}
# Result files (exports, reports) and uploads waiting for their import: 0700, files 0600.
TESTIMONY_JOB_FILES = Path(os.environ.get("TESTIMONY_JOB_FILES", BASE_DIR / "job_files"))
# Above this many defectors, /defectors/export.csv becomes an export job (a file
# with its row count and checksum) instead of a stream bound by the worker timeout.
# The jobs app sits above testimony (it runs the importer and the exporter), so
# testimony's pages start its jobs through these names, as TESTIMONY_STUDY_MODEL
# names reports' model.
TESTIMONY_EXPORT_JOB = "jobs.services.start_export"
TESTIMONY_IMPORT_JOB = "jobs.services.start_import"
TESTIMONY_EXPORT_STREAM_MAX_DEFECTORS = int(os.environ.get("TESTIMONY_EXPORT_STREAM_MAX_DEFECTORS", "20000"))
