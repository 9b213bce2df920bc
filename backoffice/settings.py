"""Caseload settings: one module, driven by the environment (12-factor).

Embedded defaults (SQLite, Huey on SQLite, email and SMS kept on disk) need no variables.
Production sets DJANGO_ENV=production plus DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS,
an anymail ESP, Vonage credentials and S3 storage; see README.md.
"""

import os
from datetime import time, timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = DJANGO_ENV == "test"
VAR_DIR = Path(env.str("CASELOAD_VAR_DIR", default=str(BASE_DIR / "var")))
if not PRODUCTION:  # the embedded database, queue, mail and media live here
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=not PRODUCTION and not TESTING)
# Keys are read as written: django-environ takes a value starting with "$" (one generated key
# in fifty) for the name of another variable.
if PRODUCTION and not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("Set the SECRET_KEY environment variable")
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-development-key-never-used-in-production")
# The keys before a rotation: sessions and links they signed keep working until they expire
# (docs/deploy.md, Rotate secrets).
SECRET_KEY_FALLBACKS = [
    key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
# Where the site is reached from outside (scheme and host, no path): links in emails
# (therapists' alerts, invitations, password resets), so production must say it.
SITE_URL = (
    env.str("SITE_URL") if PRODUCTION else env.str("SITE_URL", default="http://127.0.0.1:8000")
).rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "unfold.apps.BasicAppConfig",  # the site is Caseload's: backoffice.apps.CaseloadAdminConfig
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "backoffice.apps.CaseloadAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "anymail",
    "huey.contrib.djhuey",
    "backoffice.documents",
    "backoffice.accounts",
    "backoffice.caseload",
    "backoffice.scheduling",
    "backoffice.messaging",
    "backoffice.billing",
    "backoffice.payouts",
    "backoffice.access",
    "backoffice.reminders",
    "backoffice.reports",
    "backoffice.worklist",
    "backoffice.alerts",
    "backoffice.notifications",
    "backoffice.privacy",
    "backoffice.operations",
    "portal",
    "jobs",
    "fixtures",
]

MIDDLEWARE = [
    # First: the load balancer's /healthz, before the host check, the HTTPS redirect, sessions.
    "backoffice.operations.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "backoffice.headers.ContentSecurityPolicyMiddleware",
    "backoffice.headers.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's request.user.otp_device (from the session), then a staff user's second factor.
    "backoffice.accounts.middleware.SessionOTPMiddleware",
    "backoffice.accounts.middleware.TwoFactorRequiredMiddleware",
    "backoffice.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost: it sees the view's answer and what the view noted on the request.
    "backoffice.access.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
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

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'caseload.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: compiling a query costs ~50 ms, more than any of ours takes to run, and the
    # planner's estimates on the years of history pass its threshold (docs/quality.md).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Task queue: Huey on its own SQLite file, or on Redis when REDIS_URL is set.
# A process manager stops a consumer with SIGTERM: it finishes the tasks in hand (up to a
# minute) and leaves the queue to the other consumers.
HUEY_CONSUMER = {
    "workers": 2,
    "worker_type": "thread",
    "graceful_signal": "TERM",
    "shutdown_timeout": 60,
}
REDIS_URL = env.str("REDIS_URL", default="")
HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.str("HUEY_NAME", default="caseload"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "caseload",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
        "consumer": HUEY_CONSUMER,
    }

# Authentication: Argon2 first, axes throttling by username + IP with a cool-off.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "backoffice.accounts.backends.CaseloadBackend",
    "backoffice.accounts.backends.SignInLinkBackend",  # clients' emailed links (django-sesame)
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # accounts.admin shows sign-in attempts in the unfold style
# Proxies of the clinic's own in front of gunicorn (1: the shipped nginx): a sign-in's address is
# the one the first of them saw, never an X-Forwarded-For entry the client wrote.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if PRODUCTION else 0)
AXES_CLIENT_IP_CALLABLE = "backoffice.accounts.client_address.client_address"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "landing"
LOGOUT_REDIRECT_URL = "portal:login"
# A therapist's link to set a password (an invitation, a reset) works once, for this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_LINK_DAYS", default=3) * 24 * 60 * 60
# A client's emailed sign-in link works once, for this long; one is emailed to an address at
# most every CLIENT_LINK_INTERVAL_SECONDS.
SESAME_MAX_AGE = env.int("CLIENT_LINK_MINUTES", default=15) * 60
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "link"
CLIENT_LINK_INTERVAL_SECONDS = env.int("CLIENT_LINK_INTERVAL_SECONDS", default=120)
# Two-factor sign-in (django-otp): every staff user enrols an authenticator app (TOTP) and gets
# recovery codes; therapists may, and must when this is on.
TWO_FACTOR_REQUIRED_FOR_THERAPISTS = env.bool("TWO_FACTOR_REQUIRED_FOR_THERAPISTS", default=False)
OTP_TOTP_ISSUER = "Caseload"

# Sessions: 30 minutes idle, 12 hours at most (SessionLimitsMiddleware refreshes the expiry).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Internationalisation: English and Canadian French; Vancouver time; CAD.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr-ca", _("French (Canada)"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["backoffice.formats"]
TIME_ZONE = "America/Vancouver"
USE_I18N = True
USE_TZ = True
CURRENCY = "CAD"

# Static and media files: local under var/ by default, S3-compatible storage by env.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "backoffice" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env.str("AWS_S3_REGION_NAME", default="ca-central-1"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            # Documents are handed out as signed URLs only after a permission check, to be
            # followed at once (documents.downloads).
            "querystring_expire": 60,
            "file_overwrite": False,
            # An unreachable bucket answers /healthz within the load balancer's timeout.
            "client_config": Config(
                connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}
            ),
        },
    }

# Email: kept on disk by default; an anymail ESP in production (EMAIL_BACKEND + ANYMAIL).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
# Django's SMTP backend (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): a relay.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Caseload <office@caseload.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key: value
    for key, value in {
        "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
        "MAILGUN_SENDER_DOMAIN": env.str("MAILGUN_SENDER_DOMAIN", default=""),
        "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
        "SENDGRID_API_KEY": env.str("SENDGRID_API_KEY", default=""),
        "AMAZON_SES_CLIENT_PARAMS": {"region_name": env.str("AWS_SES_REGION_NAME", default="")},
        # "user:password" the ESP's tracking webhook sends (basic auth); anymail refuses
        # calls without it. Production must set it.
        "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET")
        if PRODUCTION
        else env.str("ANYMAIL_WEBHOOK_SECRET", default="caseload:development-webhook-secret"),
    }.items()
    if value and value != {"region_name": ""}
}

# SMS: "console" keeps messages in var/sms.log; "vonage" sends through Vonage.
SMS_TRANSPORT = env.str("SMS_TRANSPORT", default="console")
SMS_LOG_PATH = VAR_DIR / "sms.log"
VONAGE_API_KEY = env.str("VONAGE_API_KEY", default="")
VONAGE_API_SECRET = env.str("VONAGE_API_SECRET", default="")
VONAGE_FROM = env.str("VONAGE_FROM", default="Caseload")
# Where the SDK sends SMS (tests point it at tests/peers/vonage.py on loopback).
VONAGE_REST_HOST = env.str("VONAGE_REST_HOST", default="rest.nexmo.com")
# Vonage's signed webhooks (inbound SMS, delivery receipts): the account's signature secret and
# its HMAC method (md5, sha1, sha256, sha512); without a secret every call is refused.
VONAGE_SIGNATURE_SECRET = env.str("VONAGE_SIGNATURE_SECRET", default="")
VONAGE_SIGNATURE_METHOD = env.str("VONAGE_SIGNATURE_METHOD", default="sha256")
# A signed call older (or newer) than this is a replay: refused.
VONAGE_WEBHOOK_MAX_AGE_SECONDS = env.int("VONAGE_WEBHOOK_MAX_AGE_SECONDS", default=300)

# Scheduling: a cancellation less than this many hours before the start is late.
LATE_CANCEL_WINDOW_HOURS = env.int("LATE_CANCEL_WINDOW_HOURS", default=24)

# Reminders: no SMS from the start to the end of quiet hours (Vancouver time); reminders are
# planned for the sessions of the next REMINDER_PLAN_DAYS days (at least the largest offset).
REMINDER_SMS_QUIET_START = time.fromisoformat(env.str("REMINDER_SMS_QUIET_START", default="21:00"))
REMINDER_SMS_QUIET_END = time.fromisoformat(env.str("REMINDER_SMS_QUIET_END", default="08:00"))
REMINDER_PLAN_DAYS = env.int("REMINDER_PLAN_DAYS", default=7)

# Outbox retries: attempt n waits OUTBOX_RETRY_BASE_SECONDS * 2**(n-1).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)

# Therapist statements: on this day of each month, last month's statements are generated and
# emailed (sessions delivered and paid by the end of that month; the rest are held).
STATEMENT_DAY = env.int("STATEMENT_DAY", default=5)

# Room utilization: rooms and therapists using less of their reserved time are highlighted.
UNDERUSED_THRESHOLD_PERCENT = env.int("UNDERUSED_THRESHOLD_PERCENT", default=50)

# Client colour: red when an authorization has this many sessions left or expires this soon.
CLIENT_RED_SESSIONS_LEFT = env.int("CLIENT_RED_SESSIONS_LEFT", default=2)
CLIENT_RED_EXPIRY_DAYS = env.int("CLIENT_RED_EXPIRY_DAYS", default=14)

# Worklist: a task to renew an authorization when it has this many sessions left or expires
# this soon (earlier than the red colour, so staff act before the client turns red).
TASK_AUTHORIZATION_SESSIONS_LEFT = env.int("TASK_AUTHORIZATION_SESSIONS_LEFT", default=2)
TASK_AUTHORIZATION_EXPIRY_DAYS = env.int("TASK_AUTHORIZATION_EXPIRY_DAYS", default=30)
# Worklist: a task to follow up with the payer when a renewal is unanswered this many days on.
TASK_RENEWAL_ANSWER_DAYS = env.int("TASK_RENEWAL_ANSWER_DAYS", default=14)
# Worklist: last month's invoices are due on this day (the run before issuing them on the 3rd).
TASK_INVOICING_DAY = env.int("TASK_INVOICING_DAY", default=3)

# The access log (who saw which client's information) is kept this long, then the retention job
# removes older records; 10 years by default, as long as the clinic's records (docs/security.md).
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=3653)

# Uploaded documents (therapists' renewal documents): at most this size, PDF/JPEG/PNG only.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)

# Security headers; production behind nginx terminating TLS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline scripts or styles, nothing from other origins; unfold's pages add its two needs
# (backoffice.headers.UNFOLD_RELAXATIONS). docs/security.md, Headers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page uses, off for every page and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# /healthz says the worker is stale when its every-minute heartbeat is older than this.
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=180)

# "json": one object a line without exceptions' messages (backoffice/logs.py), for production's
# log collector; "plain" for a person reading a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "backoffice.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Libraries that log request bodies at DEBUG would put message text (PHI) in the logs.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "vonage": {"level": "ERROR"},
        "urllib3": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # The Huey consumer attaches its own handler only to a "huey" logger without one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Letterhead on invoices, receipts and their emails (synthetic defaults; real values by env).
LETTERHEAD = {
    "NAME": env.str("LETTERHEAD_NAME", default="Caseload Counselling"),
    "ADDRESS": env.str(
        "LETTERHEAD_ADDRESS", default="400 Example Street, Suite 500\nVancouver BC  V6B 0A0"
    ),
    "PHONE": env.str("LETTERHEAD_PHONE", default="604-555-0100"),
    "EMAIL": env.str("LETTERHEAD_EMAIL", default="billing@caseload.example"),
    # Empty: psychology and counselling services are GST/HST-exempt, so no number is shown.
    "GST_NUMBER": env.str("LETTERHEAD_GST_NUMBER", default=""),
}

# Demo logins exist only when DEBUG is on (fixtures.seed); this is their documented password.
DEMO_PASSWORD = "caseload-demo-2026"

UNFOLD = {
    "SITE_TITLE": _("Caseload"),
    "SITE_HEADER": _("Caseload"),
    "SITE_SUBHEADER": _("Back office"),
    "SITE_SYMBOL": "psychology",
    "SITE_URL": "/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "ENVIRONMENT": "backoffice.admin_site.environment_callback",
    "DASHBOARD_CALLBACK": "backoffice.admin_site.dashboard_callback",
    "STYLES": [lambda request: static("backoffice/caseload.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "backoffice.admin_site.sidebar_navigation",
    },
}
