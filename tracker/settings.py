"""Settings of the tracker, read from environment variables.

Defaults give a working development site on SQLite, so that a fresh checkout runs with no
configuration; production sets DATABASE_URL, SECRET_KEY, DEBUG=false and ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url

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
    "actions",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who edited reference data through the admin.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
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
STATIC_ROOT = BASE_DIR / "staticfiles"

# Object permissions (actions/permissions.py) come from `rules`, next to Django's own.
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "actions:my_reporting"
LOGOUT_REDIRECT_URL = "actions:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "14"))

# Evidence files are stored outside the static and public media paths and served only by a view
# that checks permission (actions.views.evidence_download).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "evidence"},
    },
    # Generated meeting reports, served through a permission check like evidence.
    "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT / "reports"},
    },
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
# The fonts embedded in PDF reports; they cover Kazakh and Mongolian Cyrillic.
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
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
# The address links in e-mails start with when no request is at hand (send_reminders).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

IMPORT_EXPORT_USE_TRANSACTIONS = True
