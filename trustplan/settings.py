"""Settings for trustplan.

Development is the default: SQLite in the project folder, DEBUG on, a fixed throwaway secret.
Production is chosen by one environment variable, ``TRUSTPLAN_PRODUCTION=1``; then
``SECRET_KEY`` is required, ``DEBUG`` is off and the secure-cookie / HSTS / SSL settings are on.
Every other setting that differs between machines comes from the environment too (README,
"Configuration").
"""

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
import openpyxl
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from xstatic.pkg import bootstrap as xstatic_bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("TRUSTPLAN_PRODUCTION")

if PRODUCTION:
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "TRUSTPLAN_PRODUCTION is set, so SECRET_KEY must be set to a random string of at "
            "least 50 characters (python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    DEBUG = False
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("TRUSTPLAN_PRODUCTION is set, so ALLOWED_HOSTS must be set.")
else:
    SECRET_KEY = os.environ.get(
        "SECRET_KEY", "django-insecure-development-only-key-never-use-in-production-trustplan"
    )
    DEBUG = env_bool("DEBUG", default=True)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The trust whose plan this installation holds; shown in the header of every page.
TRUST_NAME = os.environ.get("TRUSTPLAN_TRUST_NAME", "Amethyst Academies Trust")
# The protective marking at the top of every page of a board paper (PDF).
PAPER_MARKING = os.environ.get("TRUSTPLAN_PAPER_MARKING", "Official – sensitive")
# The most academies whose PDF board pack /kpis/pack.pdf makes while the reader waits: about
# 0.9 s an academy of 60 KPIs (40 academies: 35 s, 228 pages; 150: 166 s, 834 pages, 4.7 GB;
# the demo's five: under 3 s); a larger pack is published by central team or made by
# `manage.py export_board_pack --format pdf` (bench/run.py measures the full-scale pack).
TRUSTPLAN_PACK_WEB_MAX_ACADEMIES = int(os.environ.get("TRUSTPLAN_PACK_WEB_MAX_ACADEMIES", "15"))
# Above this many academies (in the reader's scope) the board opens by academy group: one
# column per group plus the trust's on the matrix, groups first on a KPI's page, exceptions
# counted by group and academy on the overview; a group's academies on request. At or below
# it, every academy has its own column as before.
TRUSTPLAN_GROUP_COLUMNS_ABOVE = int(os.environ.get("TRUSTPLAN_GROUP_COLUMNS_ABOVE", "20"))
# An academy's scorecard table shows its latest N periods (each KPI's chart shows them all;
# ?periods=all shows every period in the table too): 18 periods × 60 KPIs is neither readable
# nor quick to open.
TRUSTPLAN_SCORECARD_PERIODS = int(os.environ.get("TRUSTPLAN_SCORECARD_PERIODS", "6"))

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
    "django_filters",
    "import_export",
    "simple_history",
    "csp",
    "axes",
    # Two-factor sign-in: authenticator apps (TOTP) and recovery codes (signin.twofactor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's apps, lowest layer first (imports run one way: see pyproject's
    # [tool.importlinter] and the README's "What is here").
    "core",
    "academies",
    "kpis",
    "plans",
    "board",
    "spreadsheets",
    "papers",
    "people",
    "signin",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses pages (the full-scale board's HTML shrinks about tenfold); before every
    # middleware that reads or changes the body. BREACH: the CSRF token is masked anew on
    # every response (Django's own mitigation) and no other secret is echoed from a request.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    # 400 for a NUL character anywhere in the request, before anything is looked up or saved
    # (PostgreSQL refuses NUL in text); after the two above so the answer has their headers.
    "core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Cache-Control: private, no-store on every response to a signed-in user (its response
    # side runs after every inner middleware; whitenoise has answered static files already).
    "core.middleware.PrivateCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): this session gave a second-factor code (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Every page requires login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A signed-in session that owes a second factor reaches only the pages that collect it.
    "signin.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (OpenID Connect): only its callback calls it (signin.oidc).
    "signin.oidc.OIDCBackend",
]

ROOT_URLCONF = "trustplan.urls"

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
                "board.context_processors.trustplan",
                "papers.context_processors.packs",
                "signin.context_processors.single_sign_on",
                "people.context_processors.people",
            ],
        },
    },
]

WSGI_APPLICATION = "trustplan.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # Reconnect by itself after a database restart instead of failing the next request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for a writer instead of failing at once with "database is locked", and use
    # the write-ahead log so readers never wait for a writer (several gunicorn workers).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # In memory (tmpfs) where the machine has one: the same locking as a disk file, no disk I/O.
    _TEST_DB_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    # Tests use a file too (not Django's shared in-memory database, whose table locks fail at
    # once instead of waiting), so tests/test_races.py meets SQLite's real locking. One file per
    # test process, so parallel runs never share one.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get(
            "TRUSTPLAN_TEST_DB",
            str(_TEST_DB_DIR / f"trustplan-test-{os.getpid()}.sqlite3"),
        )
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Each process keeps its own copies of the board's rendered fragments; they are keyed by a
# version token in the database, so no process can serve a stale one (kpis/cache.py). With
# REDIS_URL (redis://host:6379/0) every worker of every app server shares one Redis instead.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {
        # Per process, bounded in bytes too (core.cache); what it holds is keyed by version
        # tokens in the database, so workers never serve each other's stale copies.
        "BACKEND": "core.cache.BoundedLocMemCache",
        "LOCATION": "trustplan",
        "OPTIONS": {
            # The matrix keeps each academy's judged column of a period apart (150 entries
            # for each period viewed at full scale): the bytes bound is the one that bites.
            "MAX_ENTRIES": 5000,
            "MAX_BYTES": int(os.environ.get("TRUSTPLAN_CACHE_MB", "256")) * 1024 * 1024,
        },
    }
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Keys of one trustplan apart from anything else kept in the same Redis.
        "KEY_PREFIX": os.environ.get("TRUSTPLAN_CACHE_PREFIX", "trustplan"),
    }

# Argon2 first (argon2-cffi); older hashes still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from the xstatic-bootstrap package, never from a CDN.
    ("bootstrap", xstatic_bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (development and tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not PRODUCTION

# Published board packs (papers.models.PublishedPack): their PDF and XLSX, kept exactly as
# published, are only ever served by the packs pages after the permission check, never from a
# public folder. A folder outside the static files (default: packs/ beside the database), or
# any store of django-storages given as JSON in TRUSTPLAN_PACKS_STORAGE, e.g.
# {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "trust-packs"}}
# (install django-storages[s3] yourself; the bucket must not be public).
TRUSTPLAN_PACKS_DIR = Path(os.environ.get("TRUSTPLAN_PACKS_DIR", str(BASE_DIR / "packs")))
if os.environ.get("TRUSTPLAN_PACKS_STORAGE"):
    try:
        STORAGES["packs"] = json.loads(os.environ["TRUSTPLAN_PACKS_STORAGE"])
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTPLAN_PACKS_STORAGE is not JSON: {error}") from error
    if not isinstance(STORAGES["packs"], dict) or "BACKEND" not in STORAGES["packs"]:
        raise ImproperlyConfigured(
            'TRUSTPLAN_PACKS_STORAGE must be a JSON object with a "BACKEND" (and "OPTIONS").'
        )
else:
    STORAGES["packs"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(TRUSTPLAN_PACKS_DIR)},
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# django-import-export: imports are atomic (a failed import writes nothing).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Formula escaping of admin exports is done by core.admin.SafeModelResource (all triggers).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Workbook imports: refused above these bounds (README, "Spreadsheets"). The web server in front
# must allow the same body size (nginx: client_max_body_size).
TRUSTPLAN_IMPORT_MAX_BYTES = int(os.environ.get("TRUSTPLAN_IMPORT_MAX_BYTES", str(20_000_000)))
TRUSTPLAN_IMPORT_MAX_ROWS = int(os.environ.get("TRUSTPLAN_IMPORT_MAX_ROWS", str(250_000)))
TRUSTPLAN_IMPORT_MAX_ZIP_ENTRIES = 200
TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES = int(
    os.environ.get("TRUSTPLAN_IMPORT_MAX_UNZIPPED_BYTES", str(150_000_000))
)
# The DfE's GIAS establishment file holds every school in England (about 65 MB in 2026): it is
# streamed, never read whole, and has its own bound (academies.gias).
TRUSTPLAN_GIAS_MAX_BYTES = int(os.environ.get("TRUSTPLAN_GIAS_MAX_BYTES", str(200_000_000)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5_000_000
# Uploads wait for confirmation here, named by a random token held in the session (the admin's
# django-import-export uploads in its admin/ folder); one never confirmed expires after this
# many hours, removed at the next upload or by `manage.py purge_staged_imports` (core.staging).
TRUSTPLAN_IMPORT_DIR = Path(
    os.environ.get("TRUSTPLAN_IMPORT_DIR", str(BASE_DIR / "var" / "imports"))
)
TRUSTPLAN_IMPORT_STAGED_HOURS = float(os.environ.get("TRUSTPLAN_IMPORT_STAGED_HOURS", "24"))
IMPORT_EXPORT_TMP_STORAGE_CLASS = "core.import_formats.StagedAdminImport"

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Login throttling (django-axes): 5 failures for one username from one address lock that pair
# out for 15 minutes (not forever, and not everyone behind one proxy address).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind N reverse proxies, the client address is the Nth entry from the right of
# X-Forwarded-For: the one the outermost trusted proxy appended, never one the client wrote
# (trustplan/client_ip.py; it reads TRUSTPLAN_PROXY_COUNT at each request).
TRUSTPLAN_PROXY_COUNT = int(os.environ.get("TRUSTPLAN_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
# A wrong two-factor code counts as a failed sign-in too (signin.views.verify); it is never
# kept in the failure log.
AXES_SENSITIVE_PARAMETERS = ["otp_token"]

# Single sign-on with OpenID Connect (signin.oidc; README, "People and sign-in"). On when
# OIDC_ISSUER and OIDC_CLIENT_ID are set; the endpoints come from the issuer's discovery
# document, fetched at the first single sign-on and kept OIDC_DISCOVERY_SECONDS.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_NAME = os.environ.get("OIDC_NAME", "").strip()  # the button: "Sign in with <OIDC_NAME>"
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "OIDC_ISSUER is set, so OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be."
    )
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_DISCOVERY_SECONDS = int(os.environ.get("OIDC_DISCOVERY_SECONDS", "3600"))
OIDC_STATE_SECONDS = 15 * 60  # from the button to the provider's answer
OIDC_AUTHENTICATION_CALLBACK_URL = "signin:oidc_callback"
# Off: a single sign-on is the first factor and administrators and central team still give a
# code. On: an ID token whose amr claim says "mfa" counts as the second factor too.
OIDC_TRUST_IDP_MFA = env_bool("OIDC_TRUST_IDP_MFA")

# Two-factor sign-in (signin.twofactor): administrators and central team must use it when on;
# on by default when DEBUG is off (production), off in the demo and tests.
TRUSTPLAN_REQUIRE_2FA = env_bool("TRUSTPLAN_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = TRUST_NAME

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz is probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# E-mail (people.mail; README, "People and sign-in"): Django's SMTP backend when EMAIL_HOST is
# set, else every message is printed to the console (development, `make demo`).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587" if EMAIL_HOST else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# The first host name of ALLOWED_HOSTS that is one ("*" and ".example.org" are patterns).
_MAIL_HOST = next(
    (h for h in ALLOWED_HOSTS if h != "*" and not h.startswith(".")),
    next((h.lstrip(".") for h in ALLOWED_HOSTS if h.lstrip(".") not in ("", "*")), "localhost"),
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{TRUST_NAME} <trustplan@{_MAIL_HOST}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people reach trustplan: every link in a message starts with it.
TRUSTPLAN_SITE_URL = os.environ.get(
    "TRUSTPLAN_SITE_URL", f"https://{_MAIL_HOST}" if PRODUCTION else "http://127.0.0.1:8000"
)
# Password-reset links work this long, once; invitation links TRUSTPLAN_INVITATION_DAYS.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("TRUSTPLAN_PASSWORD_RESET_HOURS", "2")) * 3600
TRUSTPLAN_INVITATION_DAYS = int(os.environ.get("TRUSTPLAN_INVITATION_DAYS", "7"))
# Reminders (manage.py send_reminders, daily): returns and actions due within this many days;
# a subject is reminded again after TRUSTPLAN_REMINDER_REPEAT_DAYS while it is still owed; a
# message the mail server refused is tried at every run for TRUSTPLAN_REMINDER_RETRY_DAYS;
# weekly digests go on TRUSTPLAN_DIGEST_WEEKDAY (0 = Monday).
TRUSTPLAN_REMINDER_DAYS_BEFORE = int(os.environ.get("TRUSTPLAN_REMINDER_DAYS_BEFORE", "7"))
TRUSTPLAN_REMINDER_REPEAT_DAYS = int(os.environ.get("TRUSTPLAN_REMINDER_REPEAT_DAYS", "7"))
TRUSTPLAN_REMINDER_RETRY_DAYS = int(os.environ.get("TRUSTPLAN_REMINDER_RETRY_DAYS", "7"))
TRUSTPLAN_DIGEST_WEEKDAY = int(os.environ.get("TRUSTPLAN_DIGEST_WEEKDAY", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# openpyxl only guards against XML entity bombs when defusedxml is importable.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - defusedxml is a hard dependency
    raise ImproperlyConfigured("defusedxml must be installed so openpyxl parses XML safely.")
