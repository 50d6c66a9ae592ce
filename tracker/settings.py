"""Settings of the tracker, read from environment variables.

Defaults give a working development site on SQLite, so that a fresh checkout runs with no
configuration. DEBUG=false turns on the production profile: it needs SECRET_KEY, DATABASE_URL and
ALLOWED_HOSTS, and sets secure cookies, HSTS, compressed static files and JSON logs
(docs/deployment.md lists every variable).
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "development-only-key-not-for-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
# Origins a form may be posted from when they differ from the Host, e.g. https://tracker.example.org.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it comes before it.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # After the admin: otherwise its ru catalogue replaces the admin's "Удалить" with "Удалено".
    "import_export",
    "django_filters",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "actions",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that it compresses what every later middleware has written (tracker/middleware.py).
    "tracker.middleware.TextCompressionMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known, so that the refusal speaks it; before anything reads the input.
    "tracker.middleware.HostileInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who edited reference data through the admin.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.languages",
                "tracker.context_processors.menu_counts",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0" if DEBUG else "60")),
        # A kept connection is checked before each request, so that the tracker carries on by
        # itself after the database restarts.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite lets one writer at a time in. A transaction begun as DEFERRED takes the write lock only
    # at its first write, and when another writer holds it SQLite answers "database is locked" at
    # once, without waiting (the busy timeout cannot help a read lock that must become a write
    # lock). IMMEDIATE takes the write lock when the transaction begins, where the timeout applies:
    # simultaneous submissions wait their turn, up to 20 seconds, instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

# The dashboards' figures are kept under the data version (actions.data_version), which lives in
# the database: any backend stays correct, a shared one is computed once for every web process.
# CACHE_URL: empty for each process's own memory; redis://host:6379/1 for a Redis all processes
# share; "database" for a table in the tracker's database (run manage.py createcachetable once).
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL == "database":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tracker_cache"}}
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be empty, redis://..., or database, not {CACHE_URL!r}.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 500}}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages of the interface and of the content. Each is labelled in its own script.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("mn", "Монгол"),
    ("kk", "Қазақша"),
]
# The tracker's own strings, then what Django and the libraries lack in mn, kk (and ru).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_libraries"]
# Django ships no date formats for kk and weak ones for mn.
FORMAT_MODULE_PATH = ["tracker.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# Content translations: a column per language. A reader of Kazakh who lacks a Kazakh text
# reads Russian first, as most Kazakh readers also read Russian.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "ru", "mn", "kk")
MODELTRANSLATION_FALLBACK_LANGUAGES = {
    "default": ("en",),
    "kk": ("ru", "en"),
    "mn": ("en",),
    "ru": ("en",),
}

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "tracker" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Production serves the files `manage.py collectstatic` gathered, under names with a hash.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
if STATIC_MANIFEST:
    # The app servers serve them themselves, compressed and cached for a year: no separate server.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

# Sign-in attempts are counted first (django-axes); object permissions (actions/permissions.py)
# come from `rules`, next to Django's own.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
# The page of each person's job (actions.account_views.landing); a `next` address wins.
LOGIN_REDIRECT_URL = "actions:landing"
LOGOUT_REDIRECT_URL = "actions:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "14"))

# Evidence files and generated reports are stored outside the static paths, on a local disk or in
# an S3-compatible bucket, and served only by views that check permission
# (actions.reporting_views.evidence_download, reports.views.meeting_report_file): never from a public URL.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")


def media_storage(folder: str) -> dict:
    if MEDIA_STORAGE == "s3":
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": os.environ["S3_BUCKET"],
                "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
                "region_name": os.environ.get("S3_REGION") or None,
                "location": folder,
                # Objects are private: the bucket has no public read, and a name is never reused.
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
    if MEDIA_STORAGE != "local":
        raise RuntimeError("MEDIA_STORAGE is 'local' or 's3'.")
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT / folder}}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # File names carry a hash of the content, so browsers may cache them for a year.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "evidence": media_storage("evidence"),
    # Generated meeting reports.
    "reports": media_storage("reports"),
}
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
EVIDENCE_MAX_FILES = 10
WORKBOOK_MAX_BYTES = int(os.environ.get("WORKBOOK_MAX_BYTES", str(5 * 1024 * 1024)))
# Larger uploads go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Background work (meeting reports): a queue in the database, run by `manage.py db_worker`,
# which bin/run starts beside the web server. TASKS_IMMEDIATE=true runs tasks inside the request.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}
# A report still "being generated" after this long lost its worker: it is shown as failed.
REPORT_GENERATION_TIMEOUT_MINUTES = int(os.environ.get("REPORT_GENERATION_TIMEOUT_MINUTES", "30"))
# The fonts embedded in PDF reports; they cover Kazakh and Mongolian Cyrillic.
# A meeting report of at least this many characters of HTML (the regional one, and a unit's after
# a few years of reporting) is laid out in parts by REPORT_PROCESSES processes, by default one per
# core (reports/pdf_in_parts.py); a shorter one costs less laid out whole in the worker's process.
REPORT_PROCESSES = int(os.environ.get("REPORT_PROCESSES", "0"))
REPORT_PARTS_MIN_CHARACTERS = int(os.environ.get("REPORT_PARTS_MIN_CHARACTERS", "300000"))
REPORT_FONT_DIRECTORY = Path(os.environ.get("REPORT_FONT_DIRECTORY", "/usr/share/fonts/truetype/dejavu"))

# Accepted updates shown to everyone, signed in or not (for CMS's public pages).
PUBLIC_PROGRESS = env_bool("PUBLIC_PROGRESS", False)
# Anyone, signed in or not, may read the dashboards (accepted updates only).
PUBLIC_DASHBOARD = env_bool("PUBLIC_DASHBOARD", False)
# "Due soon" on My reporting and in reminders: within this many days.
DUE_SOON_DAYS = int(os.environ.get("DUE_SOON_DAYS", "90"))

# E-mail: printed on the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds: a mail server that accepts the connection and then says nothing must not hold the task
# worker (notification e-mails) or a request (password reset) for ever; the send fails and is retried.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
# The address links in e-mails start with when no request is at hand (send_reminders).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

IMPORT_EXPORT_USE_TRANSACTIONS = True

# Sign-in throttling (django-axes): five wrong passwords for one account from one address lock that
# pair out for 15 minutes. Locking by account alone would let anyone lock a focal point out;
# by address alone, one ministry's shared address.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip"
# Behind a load balancer: how many proxies add themselves to X-Forwarded-For (0: none).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Content security policy (django-csp): pages load scripts, styles, images and fonts from the
# tracker only, run no inline script and cannot be framed or post forms elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Cookies, HTTPS and headers, per Django's deployment checklist. Sessions end after 12 hours or
# when the browser closes, so a shared office computer does not stay signed in.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer's health checks come over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 60 * 60)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_HTTPS_PROXY", False):
        # The load balancer ends TLS and says so in this header; it must strip it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs: one JSON object per line in production, for a log collector; readable lines in development.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each page it lays out; a regional report has hundreds.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
