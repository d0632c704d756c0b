"""The one settings module. Everything that differs between machines comes from the environment.

With nothing set it runs with no services at all: a SQLite file, a filesystem Celery broker and
console e-mail, all under the data directory. DATABASE_URL, CELERY_BROKER_URL, REDIS_URL,
EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG switch to the real ones (see README.md).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("SERVICEDESK_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY.strip() in {"", DEV_SECRET_KEY}:  # an empty SECRET_KEY= counts too
    raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off and the development key is public.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Links in e-mails. `make run PORT=...` passes WEB_PORT to every process (the Celery worker, which
# sends the e-mails, gets another PORT from the process manager), so links follow the port served.
SITE_URL = env.str("SITE_URL", default=f"http://localhost:{env.int('WEB_PORT', default=8000)}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "servicedesk",
    "accounts",
    "incidents",
    "changes",
    "catalogue",
    # After the catalogue: record types are registered (and listed) in this order.
    "problems",
    "sla",
    "cmdb",
    "knowledge",
    "portal",
    "dashboards",
    "inbound",
    "events",
    "sso",
    "privacy",
    "transfer",
    "prediction",
    "search",
    "timekeeping",
    "checklists",
    "customfields",
    "majorincidents",
    "live",
    "replies",
    "followsun",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "servicedesk.middleware.background_requests_keep_the_csrf_cookie",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.mfa.TwoFactorMiddleware",
    "servicedesk.middleware.BadInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"
ASGI_APPLICATION = "servicedesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.context_processors.navigation",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'servicedesk.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers take the lock when their transaction starts, so two saves wait instead of failing
    # with "database is locked" (SQLite has no row locks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite builds them without it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# A PostgreSQL read replica for the dashboards and lists (docs/operations.md): off unless set.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
READ_FROM_REPLICA = "replica" in DATABASES
DATABASE_ROUTERS = ["servicedesk.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache, not local memory: the web server and the Celery worker share it.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Sessions are read from the cache and written through to the database (which keeps them over
# a cache flush): one query less on every page. Signing a session out goes through the session
# store (accounts/sessions.py), which clears both.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- People -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # The directory first (when LDAP_SERVER_URI is set): its people sign in with its password.
    *(["sso.ldap_backend.DirectoryBackend"] if env.str("LDAP_SERVER_URI", default="") else []),
    # Local passwords, and everyone's permissions (cached: accounts/backends.py).
    "accounts.backends.PeopleBackend",
    # Permissions of the system actor automation acts as; it authenticates nobody.
    "servicedesk.actors.SystemActorBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins are throttled per (e-mail, client address) by django-axes.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
# Sign-in forms and authenticate() call the address "username"; axes must count failures under
# that key (its default is USERNAME_FIELD, "email", and then every failure is recorded with no
# username and the lockout never applies), in lower case so "Ann@x" and "ann@x" share a count.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.views.axes_username"
AXES_VERBOSE = False

# --- Single sign-on and directory accounts (docs/sso.md) ----------------------------------------
# OpenID Connect and SAML providers through django-allauth: from the environment (JSON lists, see
# docs/sso.md) and/or the admin's "Social applications". Groups map to roles and support groups
# in the admin's "Group mappings".
SSO_OIDC_PROVIDERS = env.json("SSO_OIDC_PROVIDERS", default=[])
SSO_SAML_PROVIDERS = env.json("SSO_SAML_PROVIDERS", default=[])
# The role of a person none of whose groups maps to a role; empty: such a person is refused.
SSO_DEFAULT_ROLE = env.str("SSO_DEFAULT_ROLE", default="end_user")
# Whether a first sign-in through a provider creates the account (else only known people).
SSO_CREATE_USERS = env.bool("SSO_CREATE_USERS", default=True)
# Whether end users (people who hold no staff role) may sign in with a local password.
LOCAL_PASSWORDS_FOR_END_USERS = env.bool("LOCAL_PASSWORDS_FOR_END_USERS", default=True)
SOCIALACCOUNT_ADAPTER = "sso.adapter.SocialAccountAdapter"
ACCOUNT_ADAPTER = "sso.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SSO_REQUESTS_TIMEOUT", default=10)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": provider["id"],
                "name": provider.get("name", provider["id"]),
                "client_id": provider["client_id"],
                "secret": provider.get("secret", ""),
                "settings": {
                    "server_url": provider["server_url"],
                    "groups_claim": provider.get("groups_claim", "groups"),
                    "scope": provider.get("scope", ["openid", "profile", "email"]),
                    **provider.get("settings", {}),
                },
            }
            for provider in SSO_OIDC_PROVIDERS
        ],
    },
    "saml": {
        "APPS": [
            {
                "client_id": provider["id"],
                "name": provider.get("name", provider["id"]),
                "settings": {
                    **{key: value for key, value in provider.items() if key != "id"},
                    # Assertions must be signed by the identity provider's certificate.
                    "advanced": {"want_assertion_signed": True, **provider.get("advanced", {})},
                },
            }
            for provider in SSO_SAML_PROVIDERS
        ]
    },
}

# LDAP / Active Directory through django-auth-ldap (sign-in) and the sync (sso.directory).
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
LDAP_TIMEOUT = env.int("LDAP_TIMEOUT", default=10)
LDAP_USER_BASE = env.str("LDAP_USER_BASE", default="")
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(objectClass=inetOrgPerson)")
LDAP_GROUP_BASE = env.str("LDAP_GROUP_BASE", default="")
LDAP_GROUP_FILTER = env.str("LDAP_GROUP_FILTER", default="(objectClass=groupOfNames)")
# Entries matching this filter are disabled: Active Directory's
# (userAccountControl:1.2.840.113556.1.4.803:=2); none by default.
LDAP_DISABLED_FILTER = env.str("LDAP_DISABLED_FILTER", default="")
LDAP_ATTRIBUTES = {
    "id": env.str("LDAP_ATTR_ID", default="entryUUID"),  # AD: objectGUID
    "email": env.str("LDAP_ATTR_EMAIL", default="mail"),
    "full_name": env.str("LDAP_ATTR_NAME", default="cn"),  # AD: displayName
    "phone": env.str("LDAP_ATTR_PHONE", default="telephoneNumber"),
    "job_title": env.str("LDAP_ATTR_TITLE", default="title"),
    "department": env.str("LDAP_ATTR_DEPARTMENT", default="departmentNumber"),  # AD: department
    "organisation": env.str("LDAP_ATTR_ORGANISATION", default="o"),  # AD: company
    "manager": env.str("LDAP_ATTR_MANAGER", default="manager"),
}
# The organisation of people whose entry names none (its short code); empty: none.
LDAP_DEFAULT_ORGANISATION = env.str("LDAP_DEFAULT_ORGANISATION", default="")
LDAP_SYNC_MINUTES = env.int("LDAP_SYNC_MINUTES", default=60)

# Two-factor sign-in (django-otp): the name authenticator apps show beside the code. Which roles
# must use it is chosen by an administrator (admin: "Two-factor requirements").
OTP_TOTP_ISSUER = env.str("TWO_FACTOR_ISSUER", default="Service Desk")
# Security keys and passkeys (WebAuthn) as a second factor: accounts/webauthn.py.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.webauthn.relying_party_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "accounts.webauthn.relying_party_name"
OTP_WEBAUTHN_HELPER_CLASS = "accounts.webauthn.Helper"
# Where the browser pages are served (the request's own host is accepted too).
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS",
    default=["/".join(SITE_URL.split("/")[:3])],  # scheme://host[:port]
)
TWO_FACTOR_RECOVERY_CODES = 10
# Personal access tokens for the API. The password exchange (POST /api/v1/auth/token/) issues one
# that expires after API_TOKEN_SIGN_IN_DAYS; a person's own tokens last at most API_TOKEN_MAX_DAYS.
API_TOKEN_SIGN_IN_DAYS = env.int("API_TOKEN_SIGN_IN_DAYS", default=30)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)

# Scoped visibility (servicedesk/scoping.py): a managed-service desk keeps each customer's records
# from other customers' agents. Off: every agent sees every record.
SCOPED_VISIBILITY = env.bool("SCOPED_VISIBILITY", default=False)

# --- Personal data ----------------------------------------------------------------------------
# Closed records older than this many months no longer name their requester (0 = keep for ever).
PERSONAL_DATA_RETENTION_MONTHS = env.int("PERSONAL_DATA_RETENTION_MONTHS", default=0)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fa", _("Persian")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from here after collectstatic
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
        "text/csv", "application/zip", "application/json", "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    ],
)  # fmt: skip
# HTML, XML and SVG can run scripts in a browser: refused unless switched on, and even then
# always sent as a download of opaque bytes.
ATTACHMENT_ALLOW_ACTIVE_CONTENT = env.bool("ATTACHMENT_ALLOW_ACTIVE_CONTENT", default=False)
# Who sends a download's bytes once the app has said yes: the app itself (""), nginx
# ("x-accel-redirect", from the internal location ATTACHMENT_INTERNAL_URL that maps to
# MEDIA_ROOT) or Apache/lighttpd ("x-sendfile", given the file's path).
ATTACHMENT_SERVE_VIA = env.str("ATTACHMENT_SERVE_VIA", default="").strip().lower()
ATTACHMENT_INTERNAL_URL = env.str("ATTACHMENT_INTERNAL_URL", default="/protected-media/")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Incidents --------------------------------------------------------------------------------
INCIDENT_REOPEN_WINDOW_DAYS = env.int("INCIDENT_REOPEN_WINDOW_DAYS", default=7)
INCIDENT_AUTO_CLOSE_DAYS = env.int("INCIDENT_AUTO_CLOSE_DAYS", default=3)
QUEUE_PAGE_SIZE = env.int("QUEUE_PAGE_SIZE", default=50)

# --- CMDB -------------------------------------------------------------------------------------
# How many hops impact analysis walks unless told otherwise: the impact page, the API and the
# impact proposed on an incident all start from this one number (1-10).
CMDB_IMPACT_DEPTH = env.int("CMDB_IMPACT_DEPTH", default=6)

# --- Service requests -------------------------------------------------------------------------
# How long the approve/reject link in an approver's e-mail works (it works once).
APPROVAL_LINK_MAX_AGE_DAYS = env.int("APPROVAL_LINK_MAX_AGE_DAYS", default=7)

# --- E-mail -----------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Service Desk <servicedesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- E-mail channel (inbound/, docs/email.md) --------------------------------------------------
# Fernet keys (comma-separated; the first encrypts, all decrypt) for mailbox passwords and
# tokens. Empty: a key derived from SECRET_KEY (development only).
MAILBOX_SECRET_KEYS = env.list("MAILBOX_SECRET_KEYS", default=[])
# A CA bundle trusted for IMAP/POP3 TLS besides the system's (a private CA).
MAILBOX_CA_FILE = env.str("MAILBOX_CA_FILE", default="")

# --- Security (a reverse proxy terminates TLS and may add HSTS and the HTTPS redirect) ----------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # links out of the desk never carry a record's URL
X_FRAME_OPTIONS = "DENY"
# Every script and style comes from our own static files: no inline code, no eval, no other
# origin (see docs/architecture.md, "Security headers"). The browser tests fail on a violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}
# The desk needs none of the browser's powerful features; deny them to any embedded content too.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb",
    )
}  # fmt: skip

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: DRF answers 401 with its `WWW-Authenticate: Token` header for a bad or missing
    # token; a browser without a token header still signs in with its session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "servicedesk.api.parsers.JSONParser",
        "servicedesk.api.parsers.FormParser",
        "servicedesk.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "servicedesk.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["servicedesk.api.filters.FilterBackend"],
    # Every list: a keyset cursor on the view's `ordering` (docs/architecture.md, "API").
    "DEFAULT_PAGINATION_CLASS": "servicedesk.api.pagination.KeysetCursorPagination",
    "EXCEPTION_HANDLER": "servicedesk.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("API_AUTH_RATE", default="20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service Desk API",
    "DESCRIPTION": "Incidents, problems and known errors, changes, service requests and their tasks, SLAs, the CMDB and the dashboards.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL}favicon.svg",
    # No badge from validator.swagger.io: the docs page must not call out of a closed network.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    # Status is also a transition's target: one name each.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "CILifecycleStatusEnum": "cmdb.choices.LifecycleStatus",
        "CriticalityEnum": "cmdb.choices.Criticality",
        "RequestStatusEnum": "catalogue.models.RequestStatus",
        "TaskStatusEnum": "catalogue.models.TaskStatus",
        "ServiceStatusEnum": "catalogue.models.ServiceStatus",
        "ServiceKindEnum": "catalogue.models.ServiceKind",
        "LinkKindEnum": "servicedesk.models.LinkKind",
        "ApprovalRuleEnum": "servicedesk.models.ApprovalRule",
        "DecisionEnum": "servicedesk.models.Decision",
        "ProblemStatusEnum": "problems.choices.ProblemStatus",
        "RcaMethodEnum": "problems.choices.RcaMethod",
        "ChangeTypeEnum": "changes.choices.ChangeType",
        "ChangeStatusEnum": "changes.choices.ChangeStatus",
        "RaisedChangeTypeEnum": "changes.choices.RAISED_BY_HAND",
        "ArticleStatusEnum": "knowledge.choices.ArticleStatus",
        # Impact and urgency of the rules and records that use the default three levels.
        "LevelEnum": "incidents.choices.Impact",
    },
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = DATA_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(DATA_DIR / "celery" / "control"),
    }
    (DATA_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    _default_backend = f"file://{DATA_DIR / 'celery' / 'results'}"
else:
    # Results must be visible to every process: Redis (the cache's, else the broker's).
    _broker_is_redis = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    _default_backend = REDIS_URL or (CELERY_BROKER_URL if _broker_is_redis else "cache+memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_backend)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_IGNORE_RESULT = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# What the worker prints (the console e-mail backend's messages) is logged at INFO, not at
# Celery's default WARNING: a delivered e-mail is no warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TIMEZONE = "UTC"
# Task modules outside an app's `tasks.py` (autodiscovery finds those).
CELERY_IMPORTS = ("problems.kedb.tasks",)
# Breach prediction (docs/prediction.md): no prediction until the history has this many closed
# SLA timers; the most recent PREDICTION_TEST_DAYS are held out to measure the model; a timer at
# PREDICTION_FLAG_AT or more counts as a predicted breach (dashboard, flags, lead times).
PREDICTION_MIN_HISTORY = env.int("PREDICTION_MIN_HISTORY", default=500)
PREDICTION_TRAINING_DAYS = env.int("PREDICTION_TRAINING_DAYS", default=365)
PREDICTION_TEST_DAYS = env.int("PREDICTION_TEST_DAYS", default=30)
PREDICTION_FLAG_AT = env.float("PREDICTION_FLAG_AT", default=0.5)
PREDICTION_REFRESH_MINUTES = env.int("PREDICTION_REFRESH_MINUTES", default=5)
PREDICTION_DIR = Path(env.str("PREDICTION_DIR", default=str(DATA_DIR / "models")))
# The main reasons are worked out for the PREDICTION_REASONS_TOP riskiest open timers at
# PREDICTION_REASONS_FROM or more; PREDICTION_CALIBRATION: "" (none), "isotonic" or "sigmoid".
PREDICTION_REASONS_TOP = env.int("PREDICTION_REASONS_TOP", default=1000)
PREDICTION_REASONS_FROM = env.float("PREDICTION_REASONS_FROM", default=0.2)
PREDICTION_CALIBRATION = env.str("PREDICTION_CALIBRATION", default="")

CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "follow-the-sun-handovers": {
        "task": "followsun.tasks.hand_over_desks_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "major-incident-update-reminders": {
        "task": "majorincidents.tasks.update_reminders_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "events-sweep": {
        "task": "events.tasks.events_sweep_task",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "deliver-webhooks": {
        "task": "events.tasks.deliver_webhooks_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "prune-cmdb-graph-changes": {
        "task": "cmdb.tasks.prune_graph_changes_task",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3000},
    },
    "prune-events": {
        "task": "events.tasks.prune_events_task",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3000},
    },
    "poll-mailboxes": {
        "task": "inbound.tasks.poll_mailboxes_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "record-heartbeat": {
        "task": "servicedesk.tasks.record_heartbeat_task",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "sla-sweep": {
        "task": "sla.tasks.sla_sweep_task",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "deliver-notifications": {
        "task": "servicedesk.tasks.deliver_notifications_task",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    "reprioritise-incidents": {
        "task": "incidents.tasks.reprioritise_pending_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "close-resolved-incidents": {
        "task": "incidents.tasks.close_resolved_incidents_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},
    },
    "dashboard-facts": {
        "task": "dashboards.tasks.refresh_facts_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "dashboard-facts-after-imports": {
        "task": "transfer.tasks.refresh_after_imports_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "dashboard-reports": {
        "task": "dashboards.tasks.send_reports_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},
    },
    "sync-directory": {
        "task": "sso.tasks.sync_directory_task",
        "schedule": timedelta(minutes=LDAP_SYNC_MINUTES),
        "options": {"expires": LDAP_SYNC_MINUTES * 60 - 30},
    },
    "train-breach-model": {
        "task": "prediction.tasks.train_breach_model_task",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
    "refresh-breach-predictions": {
        "task": "prediction.tasks.refresh_breach_predictions_task",
        "schedule": timedelta(minutes=PREDICTION_REFRESH_MINUTES),
        "options": {"expires": PREDICTION_REFRESH_MINUTES * 60 - 30},
    },
    "anonymise-expired-requesters": {
        "task": "privacy.tasks.anonymise_expired_requesters_task",
        "schedule": timedelta(hours=24),
        "options": {"expires": 3600},
    },
    "find-problem-candidates": {
        "task": "problems.kedb.tasks.find_problem_candidates_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3000},
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions_task",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    },
}

# Everything goes to one console handler through the root logger, once: Django's own "django"
# logger loses its console handler (with DEBUG on it printed every record a second time), and a
# 4xx response logs one line without a traceback. The development server's access lines keep
# their own handler and format, as in Django's defaults.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {"client_errors": {"()": "servicedesk.logs.ClientErrorWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        },
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Event management (docs/events.md).
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=90)
EVENTS_FLAP_COUNT = env.int("EVENTS_FLAP_COUNT", default=3)  # fired and cleared N times...
EVENTS_FLAP_MINUTES = env.int("EVENTS_FLAP_MINUTES", default=30)  # ...in M minutes: held
EVENTS_MAJOR_INCIDENT_CHILDREN = env.int("EVENTS_MAJOR_INCIDENT_CHILDREN", default=5)
EVENTS_CI_ATTRIBUTES = env.list("EVENTS_CI_ATTRIBUTES", default=["hostname", "fqdn", "ip_address"])
EVENTS_MAINTENANCE_HOOK = env.str(
    "EVENTS_MAINTENANCE_HOOK", default="changes.maintenance.ci_in_maintenance"
)
EVENTS_WEBHOOK_ATTEMPTS = env.int("EVENTS_WEBHOOK_ATTEMPTS", default=6)
EVENTS_WEBHOOK_BACKOFF_SECONDS = env.int("EVENTS_WEBHOOK_BACKOFF_SECONDS", default=30)
EVENTS_WEBHOOK_TIMEOUT = env.int("EVENTS_WEBHOOK_TIMEOUT", default=10)
