"""Django settings for OpenITSMS, read from environment variables (see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from openitsms.lib.database import database_config
from openitsms.lib.env import env_bool, env_int, env_list, env_str, env_timezone
from openitsms.lib.secrets import load_or_create_secret_key

PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR = Path(env_str("ITSMS_DATA_DIR", "./data")).expanduser().resolve()
try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as exc:
    raise ImproperlyConfigured(f"ITSMS_DATA_DIR={DATA_DIR} cannot be created: {exc}") from None

SECRET_KEY = load_or_create_secret_key(DATA_DIR)
DEBUG = env_bool("ITSMS_DEBUG", False)
# Behind TLS (production): secure cookies, HSTS and the HTTPS redirect.
HTTPS = env_bool("ITSMS_HTTPS", False)
ALLOWED_HOSTS = env_list("ITSMS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("ITSMS_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("ITSMS_SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "openitsms.audit",
    "openitsms.tenancy",
    "openitsms.accounts",
    "openitsms.jobs",
    "openitsms.catalogue",
    "openitsms.processes",
    "openitsms.evidence",
    "openitsms.services",
    "openitsms.improvement",
    "openitsms.audits",
    "openitsms.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "openitsms.lib.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "openitsms.audit.middleware.AuditContextMiddleware",
    "openitsms.tenancy.middleware.OrganisationScopeMiddleware",
]

ROOT_URLCONF = "openitsms.urls"
WSGI_APPLICATION = "openitsms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openitsms.tenancy.context_processors.organisations",
            ],
        },
    },
]

DATABASES = {"default": database_config(env_str("DATABASE_URL"), DATA_DIR / "openitsms.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tenancy:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins per username within the window before further attempts are refused.
LOGIN_FAILURE_LIMIT = env_int("ITSMS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("ITSMS_LOGIN_FAILURE_WINDOW", 900, minimum=60)
INVITATION_VALID_DAYS = env_int("ITSMS_INVITATION_VALID_DAYS", 14, minimum=1)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_timezone("ITSMS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Plain names (no manifest): WhiteNoise serves straight from the installed package, so no
    # collectstatic step is needed to start; see docs/operations.md for caching in production.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the package in development and for `itsms serve`, so that
# the quick start needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("ITSMS_SESSION_SECONDS", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("ITSMS_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = env_int("ITSMS_HSTS_SECONDS", 31536000, minimum=0) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env_str(
    "ITSMS_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if not env_str("ITSMS_EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("ITSMS_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ITSMS_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("ITSMS_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("ITSMS_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("ITSMS_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("ITSMS_EMAIL_FROM", "OpenITSMS <openitsms@localhost>")

TASK_BACKENDS = {"django_tasks_db.DatabaseBackend", "django_tasks_rq.RQBackend"}
TASKS = {"default": {"BACKEND": env_str("ITSMS_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}
if TASKS["default"]["BACKEND"] not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"ITSMS_TASK_BACKEND={TASKS['default']['BACKEND']!r} is not one of {sorted(TASK_BACKENDS)}."
    )
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    RQ_QUEUES = {"default": {"URL": env_str("ITSMS_REDIS_URL", "redis://127.0.0.1:6379/0")}}

LOG_LEVEL = env_str("ITSMS_LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"ITSMS_LOG_LEVEL={LOG_LEVEL!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

API_PAGE_SIZE = env_int("ITSMS_API_PAGE_SIZE", 50, minimum=1)
NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE

# Evidence files: the largest upload accepted, and the file types (extensions) accepted. Types
# that browsers run as pages (html, svg) are left out on purpose.
EVIDENCE_MAX_BYTES = env_int("ITSMS_EVIDENCE_MAX_BYTES", 50 * 1024 * 1024, minimum=1)
EVIDENCE_DEFAULT_TYPES = [
    *["pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "csv", "txt", "md"],
    *["png", "jpg", "jpeg", "gif", "eml", "msg", "zip", "json", "xml", "log"],
]
EVIDENCE_ALLOWED_TYPES = sorted(
    {
        ext.lower().lstrip(".")
        for ext in env_list("ITSMS_EVIDENCE_ALLOWED_TYPES", EVIDENCE_DEFAULT_TYPES)
        if ext.strip(".")
    }
)
