"""Avataq settings: every value comes from the environment (12-factor).

Each dependency picks its mode on its own: ``DATABASE_URL`` set → that database,
``AWS_STORAGE_BUCKET_NAME`` set → S3, ``CELERY_BROKER_URL`` set → a real broker,
``EMAIL_URL`` set → SMTP. Only with ``DEBUG`` on may a missing one fall back to its
embedded default; with ``DEBUG`` off each one is required, and whatever is missing or
malformed is reported by the ``avataq.E001`` system check, naming the variable.
"""

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from celery.schedules import crontab

from avataq import embedded
from avataq.config import SMTP_EMAIL_BACKEND, Config, database_from_url, email_from_url
from avataq.logformat import JSON_FORMATTER, TEXT_FORMATTER

BASE_DIR = Path(__file__).resolve().parent.parent
env = Config()

DATA_DIR = Path(env.str("AVATAQ_DATA_DIR") or BASE_DIR / ".data")
DEBUG = env.bool("DEBUG", default=False)
FULL_MODE_REASON = "when DEBUG is off"

# --- Core -------------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        env.require("SECRET_KEY", FULL_MODE_REASON)
    # Only usable with DEBUG on; Django's deploy check flags the prefix.
    SECRET_KEY = "django-insecure-embedded-default-for-local-development-only"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    env.error("SECRET_KEY", "SECRET_KEY must be at least 50 random characters.")
# Keys retired by a rotation, still accepted (never used to sign) until removed: sessions,
# password-reset and confirmation links signed before the rotation stay valid meanwhile.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    env.require("ALLOWED_HOSTS", FULL_MODE_REASON)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "csp",
    "guardian",
    "simple_history",
    # Before avataq, whose admin replaces this library's pages with its failed tasks.
    "django_celery_results",
    "avataq",
    "scholarships",
    "enrollment",
    "billing",
    "documents",
    "portal",
    "axes",
    "django_prometheus",
]

MIDDLEWARE = [
    # Prometheus: first and last, so a request's latency and its answer are measured
    # around everything else (per view: django_http_*_by_view_*).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the cookie the portal sets (the student's choice), else
    # from the browser's Accept-Language; URLs carry no language prefix.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "avataq.http.NoStoreMiddleware",
    "avataq.middleware.DependencyFailureMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "avataq.metrics.PrometheusAfterMiddleware",  # a malformed Content-Length: no 500
]

if not DEBUG:
    # Production serves its collected static files itself; runserver does in development.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "avataq.urls"
WSGI_APPLICATION = "avataq.wsgi.application"

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
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Database ---------------------------------------------------------------------------
_database = env.parsed("DATABASE_URL", database_from_url, "PostgreSQL database")
if _database is None:
    if DEBUG and env.raw("DATABASE_URL") is None:
        _database = embedded.database_settings(DATA_DIR / "pg")
    else:
        if env.raw("DATABASE_URL") is None:
            env.require("DATABASE_URL", FULL_MODE_REASON)
        _database = {"ENGINE": "django.db.backends.postgresql", "NAME": "unconfigured"}
# Every query timed and counted (django_db_query_duration_seconds…): django-prometheus's
# wrapper of Django's own PostgreSQL backend (psycopg 3 included), nothing else changed.
_database["ENGINE"] = "django_prometheus.db.backends.postgresql"
_database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60, minimum=0)
_database["CONN_HEALTH_CHECKS"] = True
_database.setdefault("OPTIONS", {})["connect_timeout"] = 5
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery (broker) --------------------------------------------------------------------
CELERY_BROKER_URL = env.url("CELERY_BROKER_URL", schemes={"redis", "rediss"})
if CELERY_BROKER_URL is None and env.raw("CELERY_BROKER_URL") is None and not DEBUG:
    env.require("CELERY_BROKER_URL", FULL_MODE_REASON)
# Without a broker (embedded default) tasks run inline.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# No task's return value is kept; a task that fails for good is (django-celery-results:
# its name, the error and the traceback), for /metrics to count and Ops to read in the
# admin. Kept 14 days (beat's daily celery.backend_cleanup removes older ones). Arguments
# are recorded as avataq.queue sends them: ids as they are, any text masked.
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_STORE_ERRORS_EVEN_IF_IGNORED = True
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = dt.timedelta(days=14)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 60  # tasks that need longer say so (the backup: 4 h)
CELERY_TASK_SOFT_TIME_LIMIT = 55 * 60
# A late-acked message whose worker died is handed out again after this long. Longer than
# any task without a lock of its own may run (CELERY_TASK_TIME_LIMIT, 1 h), shorter than a
# backup or a verification may (4 h): one still running when its message comes back finds
# its advisory lock held and stands down (avataq/tasks.py), and a backup whose worker was
# killed is retried within 1 h 30, not after 5 h.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 90 * 60,
    # A broker that is down or hanging answers a publish within seconds, never holds a
    # request until the web server kills it (avataq.queue falls back or leaves the row).
    "socket_connect_timeout": 3,
    "socket_timeout": 3,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TIMEZONE = "America/Montreal"
CELERY_BEAT_SCHEDULE = {
    "nightly-backup": {
        "task": "avataq.tasks.backup_database_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "nightly-backup-pruning": {
        "task": "avataq.tasks.prune_backups_task",
        "schedule": crontab(hour=5, minute=0),
    },
    "weekly-backup-verification": {
        "task": "avataq.tasks.verify_backup_task",
        "schedule": crontab(hour=4, minute=0, day_of_week="sunday"),
    },
    "hourly-backup-freshness": {
        "task": "avataq.tasks.backups_freshness_task",
        "schedule": crontab(minute=30),
    },
    "daily-document-reminders": {
        "task": "portal.tasks.document_reminders_send_task",
        "schedule": crontab(hour=9, minute=0),
    },
    # Portal accounts never confirmed, whose confirmation link has expired, are removed.
    "nightly-unconfirmed-accounts-expiry": {
        "task": "portal.tasks.unconfirmed_accounts_expire_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Statement files whose import task was lost are imported by this sweep.
    "statement-files-sweep": {
        "task": "billing.tasks.statement_files_sweep_task",
        "schedule": crontab(minute="*"),
    },
    # What the retention schedule makes due, listed for the privacy officer to confirm.
    "nightly-retention-review": {
        "task": "portal.tasks.retention_review_task",
        "schedule": crontab(hour=4, minute=30),
    },
    # Emails whose send task was lost (the broker was down) go out within a minute or two.
    "outbox-retry": {
        "task": "portal.tasks.outgoing_emails_retry_task",
        "schedule": crontab(minute="*"),
    },
}

# --- Documents storage ------------------------------------------------------------------
DOCUMENT_URL_TTL = 60  # seconds: S3 presigned URLs and local signed URLs alike
DOCUMENT_MAX_UPLOAD_SIZE = env.int("DOCUMENT_MAX_UPLOAD_SIZE", default=25 * 1024 * 1024, minimum=1)
# Every upload streams to a temporary file (never memory), hashed and measured as it arrives.
FILE_UPLOAD_HANDLERS = ["documents.uploads.HashingUploadHandler"]
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env.url("AWS_S3_ENDPOINT_URL", schemes={"http", "https"})
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY")
# AWS itself encrypts at rest when asked; S3-compatible servers may refuse the header.
AWS_S3_SERVER_SIDE_ENCRYPTION = env.str(
    "AWS_S3_SERVER_SIDE_ENCRYPTION", "" if AWS_S3_ENDPOINT_URL else "AES256"
)
if AWS_STORAGE_BUCKET_NAME:
    if not AWS_S3_REGION_NAME:
        env.require("AWS_S3_REGION_NAME", "when AWS_STORAGE_BUCKET_NAME is set")
    if bool(AWS_ACCESS_KEY_ID) != bool(AWS_SECRET_ACCESS_KEY):
        missing = "AWS_SECRET_ACCESS_KEY" if AWS_ACCESS_KEY_ID else "AWS_ACCESS_KEY_ID"
        env.error(missing, f"{missing} is required with the other AWS access key variable.")
    _documents_storage = {
        "BACKEND": "documents.storage.S3DocumentStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": AWS_S3_REGION_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            "server_side_encryption": AWS_S3_SERVER_SIDE_ENCRYPTION,
        },
    }
else:
    if not DEBUG:
        env.require("AWS_STORAGE_BUCKET_NAME", FULL_MODE_REASON)
    _documents_storage = {
        "BACKEND": "documents.storage.LocalDocumentStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    }
STORAGES = {
    "default": _documents_storage,
    "documents": _documents_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Backups ----------------------------------------------------------------------------
BACKUP_BUCKET = env.str("BACKUP_BUCKET")  # default: the documents bucket, under backups/
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=30, minimum=1)
BACKUP_MAX_AGE_HOURS = env.int("BACKUP_MAX_AGE_HOURS", default=26, minimum=1)
BACKUP_PART_SIZE = env.int("BACKUP_PART_SIZE", default=64 * 1024 * 1024, minimum=5 * 1024 * 1024)
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY")
if BACKUP_ENCRYPTION_KEY:
    import base64
    import binascii

    try:
        if len(base64.b64decode(BACKUP_ENCRYPTION_KEY, validate=True)) != 32:
            raise ValueError
    except (binascii.Error, ValueError):
        env.error(
            "BACKUP_ENCRYPTION_KEY", "BACKUP_ENCRYPTION_KEY must be 32 bytes, base64-encoded."
        )
        BACKUP_ENCRYPTION_KEY = None
# Bank details (account numbers) are encrypted at rest with Fernet. BANK_DETAILS_KEYS: one
# or more Fernet keys, comma-separated, the first encrypting; the others still decrypt
# until `manage.py rotate_bank_key` has re-encrypted every number under the first.
BANK_DETAILS_KEYS = env.list("BANK_DETAILS_KEYS", default=[])
if not BANK_DETAILS_KEYS:
    if not DEBUG:
        env.require("BANK_DETAILS_KEYS", FULL_MODE_REASON)
    # Only with DEBUG on: a fixed key for development data, never for real accounts.
    BANK_DETAILS_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1iYW5rLWtleS0wMDAwMDA="]
else:
    import base64
    import binascii as _binascii

    for _key in BANK_DETAILS_KEYS:
        try:
            if len(base64.urlsafe_b64decode(_key)) != 32:
                raise ValueError
        except (_binascii.Error, ValueError):
            env.error("BANK_DETAILS_KEYS", "each BANK_DETAILS_KEYS entry must be a Fernet key.")
            break
# The program's own account, which payment files debit, and its bank's identifiers.
PAYMENTS_DEBTOR_NAME = env.str("PAYMENTS_DEBTOR_NAME", "Avataq Sponsorship Program")
PAYMENTS_DEBTOR_INSTITUTION = env.str("PAYMENTS_DEBTOR_INSTITUTION", "815")
PAYMENTS_DEBTOR_TRANSIT = env.str("PAYMENTS_DEBTOR_TRANSIT", "00001")
PAYMENTS_DEBTOR_ACCOUNT = env.str("PAYMENTS_DEBTOR_ACCOUNT", "0000000")
# CPA-005: the originator id the bank assigned, and the bank's data centre.
PAYMENTS_CPA_ORIGINATOR_ID = env.str("PAYMENTS_CPA_ORIGINATOR_ID", "0000000000")
PAYMENTS_CPA_DATA_CENTRE = env.str("PAYMENTS_CPA_DATA_CENTRE", "00000")
PG_BIN_DIR = env.str("PG_BIN_DIR")  # where pg_dump/pg_restore live, if not found by version

# --- Email ------------------------------------------------------------------------------
_email = env.parsed("EMAIL_URL", email_from_url, "email (smtp://, smtp+tls://, consolemail://)")
if _email is not None and not DEBUG and _email["EMAIL_BACKEND"] != SMTP_EMAIL_BACKEND:
    _scheme = urlsplit(env.raw("EMAIL_URL") or "").scheme
    env.error(
        "EMAIL_URL",
        f"EMAIL_URL must be smtp://, smtp+tls:// or smtp+ssl:// when DEBUG is off: "
        f"{_scheme}:// sends nothing, and prints or keeps each email, one-time links "
        f"included.",
    )
if _email is None:
    if env.raw("EMAIL_URL") is None and not DEBUG:
        env.require("EMAIL_URL", FULL_MODE_REASON)
    # Development: each email is a file under .data/mail/ (its links work from there);
    # the console says who it went to, never the one-time link in it.
    _email = {
        "EMAIL_BACKEND": "avataq.devmail.FileEmailBackend",
        "EMAIL_FILE_PATH": DATA_DIR / "mail",
    }
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Avataq <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Ops", address) for address in env.list("OPS_EMAILS", default=[])]

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.timezone("TIME_ZONE", default="America/Montreal")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT") or BASE_DIR / "staticfiles")

# --- Security (production behind a TLS-terminating proxy) ------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Sessions (avataq.sessions sets each sign-in's lifetime) ----------------------------
# Students use shared community computers: a session ends when the browser closes, and
# the server drops it SESSION_COOKIE_AGE after its last change (a browser left open);
# a student who ticks "Keep me signed in on this device" gets KEPT_SESSION_SECONDS from
# sign-in. Staff get a working day from sign-in, however busy.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
KEPT_SESSION_SECONDS = 14 * 24 * 60 * 60
STAFF_SESSION_SECONDS = 10 * 60 * 60

# Content-Security-Policy: only this site's own scripts, styles, images and forms.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # the admin sets a few style attributes
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging ----------------------------------------------------------------------------
# One JSON object a line in production (for the log shipper); plain text when debugging.
LOG_FORMAT = env.str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": JSON_FORMATTER,
        "text": TEXT_FORMATTER,
    },
    "filters": {"production": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        # Errors to OPS_EMAILS, once per kind every 10 minutes, never inside the request.
        "ops_mail": {
            "()": "avataq.logformat.ThrottledOpsMailHandler",
            "formatter": "text",
            "filters": ["production"],
        },
    },
    "root": {"handlers": ["console", "ops_mail"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own mail_admins handler emails every 5xx synchronously: replaced by the
        # root's throttled one.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
if LOG_FORMAT not in {"json", "text"}:
    env.error("LOG_FORMAT", "LOG_FORMAT must be json or text.")
    LOGGING["handlers"]["console"]["formatter"] = "text"

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
# Password-reset links expire within hours; account-confirmation links after days.
PASSWORD_RESET_TIMEOUT = 3 * 60 * 60
PORTAL_CONFIRMATION_TIMEOUT = 7 * 24 * 60 * 60
PORTAL_INVITATION_DAYS = 14
# Where students write or call for help (shown on the contact page and in emails).
PORTAL_CONTACT_EMAIL = env.str("PORTAL_CONTACT_EMAIL", "sponsorship@localhost")
PORTAL_CONTACT_PHONE = env.str("PORTAL_CONTACT_PHONE", "")
# The program's postal address on its letterhead (computing sheets), lines separated by ";".
PORTAL_PROGRAM_ADDRESS = env.str("PORTAL_PROGRAM_ADDRESS", "PO Box 150; Kuujjuaq QC  J0M 1C0")
# Who hears about a refused claim (besides the record's counsellor, or the Staff group).
PORTAL_HELP_EMAILS = env.list("PORTAL_HELP_EMAILS", default=[])
# Privacy (Quebec's private-sector privacy law): who is responsible for personal
# information (shown on the public privacy page, told of unusual access), the version of
# the privacy notice students accept (a new version asks them again), and how many
# students' files one staff user may open in a day before the officer is told.
PRIVACY_OFFICER_NAME = env.str("PRIVACY_OFFICER_NAME", "Privacy officer")
PRIVACY_OFFICER_EMAIL = env.str("PRIVACY_OFFICER_EMAIL", "privacy@localhost")
PRIVACY_OFFICER_PHONE = env.str("PRIVACY_OFFICER_PHONE", "")
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", "2025-1")
PRIVACY_ALERT_FILES_PER_DAY = env.int("PRIVACY_ALERT_FILES_PER_DAY", default=40, minimum=1)
# Links in emails (sent by tasks, with no request to read the host from).
PORTAL_BASE_URL = env.url("PORTAL_BASE_URL", schemes={"http", "https"})
if PORTAL_BASE_URL is None:
    if not DEBUG and env.raw("PORTAL_BASE_URL") is None:
        env.require("PORTAL_BASE_URL", FULL_MODE_REASON)
    PORTAL_BASE_URL = "http://127.0.0.1:8000"

# Failed logins: after 10 in a row for one account, or from one address, that account
# or address waits 15 minutes. Shared community connections are why the limit is not 3.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_USERNAME_CALLABLE = "portal.forms.login_username"
AXES_VERBOSE = False
# Failures are counted per client address: behind a proxy that is not REMOTE_ADDR (the
# proxy's, the same for everyone) but what the trusted proxies put in X-Forwarded-For.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "avataq.http.client_ip"

# django-guardian: object permissions per student (counsellors see only theirs).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# --- Admin ------------------------------------------------------------------------------
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Monitoring -------------------------------------------------------------------------
# /metrics answers only with "Authorization: Bearer <METRICS_TOKEN>"; without a token it
# does not exist (404), except from this machine with DEBUG on.
METRICS_TOKEN = env.str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    env.error("METRICS_TOKEN", "METRICS_TOKEN must be at least 32 random characters.")
# Optional error reports to Sentry, personal data scrubbed first (avataq.sentry).
SENTRY_DSN = env.str("SENTRY_DSN")
if SENTRY_DSN:
    from avataq.sentry import init_sentry

    try:
        init_sentry(
            dsn=SENTRY_DSN,
            environment=env.str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
            release=env.str("SENTRY_RELEASE"),
        )
    except Exception:  # sentry_sdk's BadDsn; its text would repeat the key
        env.error("SENTRY_DSN", "SENTRY_DSN is not a valid Sentry DSN.")

# Read by the avataq.E001 system check; keep last so every reader above has run.
AVATAQ_CONFIG_ERRORS = list(env.errors)
