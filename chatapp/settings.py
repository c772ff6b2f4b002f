"""chatapp settings: everything comes from the environment (see .env.example).

With nothing set, the server runs on an embedded default (SQLite under var/ and the in-memory
channel layer) so `make run` works on a fresh machine. Setting DATABASE_URL / REDIS_URL switches
to PostgreSQL and Redis.
"""

import secrets
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from chatapp.env import env_bool, env_int, env_list, env_networks, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
TESTING = "pytest" in sys.modules or env_bool("TESTING", False)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example), "
            "or set DEBUG=true for a local development server (as make run, make createsuperuser "
            "and make manage do)."
        )
    # A development key that survives restarts, so tokens issued before a restart still work.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "dev_secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
JWT_SECRET = env_str("JWT_SECRET") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
ALLOWED_ORIGINS = env_list("ALLOWED_ORIGINS", ["http://localhost:8080", "http://localhost:3000"])
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
PORT = env_int("PORT", 8080, minimum=1)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "channels",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "jobs",
    "accounts",
    "rooms",
    "messaging",
    "previews",
    "dms",
    "uploads",
    "search",
    "realtime",
    "notifications",
    "sso",
]

MIDDLEWARE = [
    "chatapp.middleware.RequestIdMiddleware",
    "chatapp.middleware.JsonErrorMiddleware",
    "chatapp.middleware.PreflightNoContentMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "chatapp.middleware.RateLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chatapp.urls"
ASGI_APPLICATION = "chatapp.asgi.application"
# Threads that run HTTP requests (chatapp.handlers); each keeps its own database connection.
HTTP_WORKER_THREADS = env_int("HTTP_WORKER_THREADS", 8, minimum=1)
APPEND_SLASH = False

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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # Under pytest, worker-thread connections must not outlive a test (they would block
            # dropping the test database); servers keep theirs for reuse.
            conn_max_age=0 if TESTING else env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast when PostgreSQL is unreachable instead of hanging a request (readiness, 503s).
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3, minimum=1)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "chatapp.sqlite3"),
            # IMMEDIATE: a transaction takes the write lock when it begins, waiting up to `timeout`.
            # A deferred one that read first is refused at once when it comes to write while
            # another connection commits ("database is locked" without waiting): a REST send beside
            # a live socket hit that under load (realtime/tests/test_rest_send.py, 3 in 20 runs).
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Message search: the language whose stems and stop words queries are matched by (a PostgreSQL text
# search configuration name: english, german, ..., or simple for no stemming). Read when the index
# is built: after changing it, run `manage.py search_reindex` (messaging/fulltext.py).
SEARCH_LANGUAGE = env_str("SEARCH_LANGUAGE", "english")

# --- Background jobs (jobs/): rows in this database, run by `manage.py jobs_worker` -------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# `manage.py serve` starts a worker process beside the server and stops it with the server; set it
# false where workers run on their own (`manage.py jobs_worker`, as many as wanted).
JOBS_WORKER = env_bool("JOBS_WORKER", True)
# How often an idle worker looks for new jobs, and how long finished attempts stay in the table.
JOBS_POLL_SECONDS = env_int("JOBS_POLL_SECONDS", 1, minimum=1)
JOBS_KEEP_FINISHED_HOURS = env_int("JOBS_KEEP_FINISHED_HOURS", 24, minimum=1)

# --- Web Push (notifications/) ----------------------------------------------------------------
# The server's VAPID key pair (base64url: the raw 32-byte private key, the 65-byte uncompressed
# public point; `manage.py vapid_keys` prints a new pair). Unset: with DEBUG a pair is generated
# into VAR_DIR, without it push is off (GET /api/v1/push/key answers 404).
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
if bool(VAPID_PRIVATE_KEY) != bool(VAPID_PUBLIC_KEY):
    raise ImproperlyConfigured("Set both VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY, or neither")
# Who push services contact about this server's pushes: a mailto: or https: URL.
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:admin@localhost" if DEBUG or TESTING else "")
if VAPID_PRIVATE_KEY and not VAPID_SUBJECT.startswith(("mailto:", "https:")):
    raise ImproperlyConfigured("VAPID_SUBJECT must be a mailto: or https: URL when VAPID keys are set")
# Push endpoints are user input the server POSTs to: only https on public addresses, unless their
# origin is listed here (comma separated, e.g. http://127.0.0.1:9911 for tests or an intranet service).
PUSH_ENDPOINT_ALLOWLIST = env_list("PUSH_ENDPOINT_ALLOWLIST", [])

# --- Link previews (previews/) ------------------------------------------------------------------
# The first link of a message is fetched after it is sent (title, description, site name, image).
LINK_PREVIEWS = env_bool("LINK_PREVIEWS", True)
# Links are fetched only from public addresses, on ports 80 and 443; these networks (CIDRs, comma
# separated: an intranet's 10.0.0.0/8, the tests' 127.0.0.2/32) are admitted besides.
LINK_PREVIEW_ALLOWED_NETWORKS = env_networks("LINK_PREVIEW_ALLOWED_NETWORKS")

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Redis connections per process (channel layer and presence each); callers queue beyond it.
REDIS_POOL_SIZE = env_int("REDIS_POOL_SIZE", 64, minimum=4)
REDIS_POOL_TIMEOUT_SECONDS = env_int("REDIS_POOL_TIMEOUT_SECONDS", 20, minimum=1)
# Events queued for one process before its inbox counts as full (then its sockets are told to
# resume), and how long a group membership lives unless renewed (each process renews its own).
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 5000, minimum=10)
CHANNEL_GROUP_EXPIRY = env_int("CHANNEL_GROUP_EXPIRY", 86400, minimum=3)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "broadcast.layers.PooledRedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNEL_PREFIX", "chatapp"),
                "capacity": CHANNEL_CAPACITY,
                "expiry": 60,
                # A group member not re-added for this long is dropped (it belonged to a process
                # that died); each process's hub re-adds its groups well within it (realtime.hub).
                "group_expiry": CHANNEL_GROUP_EXPIRY,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "chatapp.cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "chatapp"),
            # The rate limiter asks the cache on every API request: a Redis that stops answering
            # fails those calls within seconds instead of holding a worker thread for minutes.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured(
            "REDIS_URL is not set. The in-memory channel layer only works for a single "
            "development process; set REDIS_URL in production (or DEBUG=true locally)."
        )
    CHANNEL_LAYERS = {
        "default": {
            # channels' in-memory layer, except that an inbox overflow is announced (4503).
            "BACKEND": "broadcast.layers.SignallingInMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "group_expiry": CHANNEL_GROUP_EXPIRY},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_MIN_LENGTH = 6
# Not a rule on passwords: its hook revokes the old password's tokens and closes its sockets
# whatever path changed a password (admin form, `changepassword`, `set_password()` + save).
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.passwords.EndSessionsOnPasswordChange"}]

# --- Single sign-on (OpenID Connect, sso/) ----------------------------------------------------------
# Enabled when OIDC_ISSUER and OIDC_CLIENT_ID are set; the endpoints come from the issuer's
# discovery document. mozilla-django-oidc runs the code flow with state, nonce and PKCE (S256).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_BUTTON_LABEL = env_str("OIDC_BUTTON_LABEL", "Sign in with SSO")
OIDC_ONLY = env_bool("OIDC_ONLY", False)
OIDC_AUTO_CREATE = env_bool("OIDC_AUTO_CREATE", False)
OIDC_ENABLED = bool(OIDC_ISSUER and OIDC_CLIENT_ID)
if (OIDC_ISSUER or OIDC_CLIENT_ID) and not OIDC_ENABLED:
    raise ImproperlyConfigured("Single sign-on needs both OIDC_ISSUER and OIDC_CLIENT_ID")
if OIDC_ONLY and not OIDC_ENABLED:
    raise ImproperlyConfigured("OIDC_ONLY=true hides password sign-in: set OIDC_ISSUER and OIDC_CLIENT_ID too")
# mozilla-django-oidc's own settings (the provider's endpoints are not among them: sso.oidc reads
# them from discovery).
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = "openid email profile"
OIDC_RP_SIGN_ALGO = "RS256"  # the algorithm every OpenID provider must support for ID tokens
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "sso.oidc.ChatOIDCBackend"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "chatapp.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "chatapp.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# OpenAPI 3 at /api/schema, Swagger UI at /api/docs (assets from drf-spectacular-sidecar, no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "chatapp API",
    "DESCRIPTION": (
        'REST API of chatapp. Every error answer is `{"error": "..."}` (plus `fields` for invalid input). '
        "The WebSocket protocol at /api/v1/ws is described in docs/websocket.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Clients send JSON (uploads: multipart, declared on their view); documenting the form parsers
    # too would describe bodies nobody sends and the fuzzer would spend its examples on them.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "chatapp.openapi.add_standard_answers",
    ],
    # Rooms and messages both have a `type` field with different choices.
    "ENUM_NAME_OVERRIDES": {
        "RoomTypeEnum": "rooms.models.Room.Type",
        "MessageTypeEnum": "messaging.models.Message.Type",
        # A membership's `notify_level` and the `level` that sets it.
        "NotifyLevelEnum": "rooms.models.RoomMember.NotifyLevel",
        # A room membership's role and a workspace account's role are different choice sets.
        "WorkspaceRoleEnum": "accounts.models.Role",
    },
}

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "ACCESS_TOKEN_LIFETIME": timedelta(days=7),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "JTI_CLAIM": "jti",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

# --- HTTP surface ---------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = ALLOWED_ORIGINS
CORS_ALLOW_METHODS = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-request-id"]
CORS_EXPOSE_HEADERS = ["x-request-id", "retry-after"]
CORS_PREFLIGHT_MAX_AGE = 600
CSRF_TRUSTED_ORIGINS = ALLOWED_ORIGINS

# WebSocket: how long a socket may stay open without authenticating (first-message auth).
WS_AUTH_TIMEOUT_SECONDS = env_int("WS_AUTH_TIMEOUT_SECONDS", 10, minimum=1)
# WebSocket admission: open sockets per user on all processes together (one more is closed with
# 4429), and handshakes per client address and minute (more are refused with HTTP 403).
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 20, minimum=1)
WS_HANDSHAKES_PER_IP_PER_MINUTE = env_int("WS_HANDSHAKES_PER_IP_PER_MINUTE", 120, minimum=1)

# Presence: how long a connection counts without being refreshed, and how often processes refresh.
PRESENCE_TTL_SECONDS = env_int("PRESENCE_TTL_SECONDS", 90, minimum=2)
PRESENCE_REFRESH_SECONDS = env_int("PRESENCE_REFRESH_SECONDS", 30, minimum=1)
if PRESENCE_REFRESH_SECONDS >= PRESENCE_TTL_SECONDS:
    raise ImproperlyConfigured("PRESENCE_REFRESH_SECONDS must be shorter than PRESENCE_TTL_SECONDS")
# Rooms larger than this do not announce members coming online and going offline (direct rooms
# always do): announcing costs members² frames when a big room reconnects at once.
PRESENCE_ROOM_MAX_MEMBERS = env_int("PRESENCE_ROOM_MAX_MEMBERS", 100, minimum=2)
# WebSocket liveness: ping every WS_PING_INTERVAL_SECONDS; drop a socket that has not answered a
# ping within WS_PING_TIMEOUT_SECONDS (so a silent socket goes after at most their sum).
WS_PING_INTERVAL_SECONDS = env_int("WS_PING_INTERVAL_SECONDS", 30, minimum=1)
WS_PING_TIMEOUT_SECONDS = env_int("WS_PING_TIMEOUT_SECONDS", 30, minimum=1)
# A socket whose client stops reading piles its frames up in the server's write buffer (Twisted
# applies no backpressure to it); past this many bytes the connection is dropped and the client,
# when it comes back, resumes (tests/chaos/test_slow_consumer.py).
WS_MAX_BUFFERED_BYTES = env_int("WS_MAX_BUFFERED_BYTES", 2 * 1024 * 1024, minimum=64 * 1024)

# The HTTP edge (realtime.transport.http): a request's line and headers must all arrive within
# HTTP_HEAD_TIMEOUT_SECONDS of the connection opening (or of the previous response), and its body
# within HTTP_BODY_TIMEOUT_SECONDS of its headers; a trickling client is cut off instead of holding
# a file descriptor. At most HTTP_MAX_CONNECTIONS_PER_IP connections (HTTP and WebSocket) per client
# address, 0 for no cap; TRUSTED_PROXIES are exempt, as every client arrives through them.
HTTP_HEAD_TIMEOUT_SECONDS = env_int("HTTP_HEAD_TIMEOUT_SECONDS", 10, minimum=1)
HTTP_BODY_TIMEOUT_SECONDS = env_int("HTTP_BODY_TIMEOUT_SECONDS", 120, minimum=1)
HTTP_MAX_CONNECTIONS_PER_IP = env_int("HTTP_MAX_CONNECTIONS_PER_IP", 256, minimum=0)

RATE_LIMIT_AUTH = env_rate("RATE_LIMIT_AUTH", "10/m")
RATE_LIMIT_API = env_rate("RATE_LIMIT_API", "120/m")
# With Redis unreachable the limiter stops asking it for this long after each failure (register and
# login answer 503 with this Retry-After meanwhile), and logs the outage at most once per
# RATE_LIMIT_LOG_SECONDS (chatapp.middleware.RateLimitMiddleware).
RATE_LIMIT_RETRY_SECONDS = env_int("RATE_LIMIT_RETRY_SECONDS", 2, minimum=1)
RATE_LIMIT_LOG_SECONDS = env_int("RATE_LIMIT_LOG_SECONDS", 60, minimum=1)
# Failed logins per account (API and admin alike, from any address) within a window, after which
# the account's logins are refused until the window ends (accounts.login_limits).
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 10, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60, minimum=1)
RATELIMIT_IP_META_KEY = "chatapp.net.client_ip"

# --- Who may sign up (accounts.registration) -------------------------------------------------
# open: anyone who reaches the server (the default: clients written for the Go server register so);
# invite: only with a valid invite code; closed: nobody, invited or not (accounts then come from
# Django admin or `createsuperuser`, whose accounts are owners).
REGISTRATION = env_str("REGISTRATION", "open").strip().lower()
if REGISTRATION not in {"open", "invite", "closed"}:
    raise ImproperlyConfigured(f"REGISTRATION must be open, invite or closed, got {REGISTRATION!r}")
# Email domains a new account may use (lower-case, exact match); empty: any.
REGISTRATION_EMAIL_DOMAINS = [domain.lower().lstrip("@") for domain in env_list("REGISTRATION_EMAIL_DOMAINS", [])]

# --- Outgoing mail (password reset) -----------------------------------------------------------
# EMAIL_URL: smtp://user:password@host:587/?tls=True, smtps://... for implicit TLS, console:// (the
# default: mails are printed to the log) or dummy:// (dropped). Parsed by dj-email-url.
_EMAIL = dj_email_url.parse(env_str("EMAIL_URL", "console://"))
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _EMAIL["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _EMAIL["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _EMAIL["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_EMAIL["EMAIL_USE_TLS"])
EMAIL_USE_SSL = bool(_EMAIL["EMAIL_USE_SSL"])
EMAIL_TIMEOUT = _EMAIL["EMAIL_TIMEOUT"] or 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chatapp <noreply@localhost>")
# The address links in mails and invites point at (e.g. https://chat.example.com). Unset: the
# address of the request that asked for the link (its Host is one of ALLOWED_HOSTS).
PUBLIC_URL = env_str("PUBLIC_URL").rstrip("/")
# A password-reset link works once, for this long (Django's token generator).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3600, minimum=60)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
# Production (DEBUG=false) is HTTPS-only by default: redirect, HSTS, cookies that never travel over
# plain HTTP. Behind a TLS-terminating proxy, list it in TRUSTED_PROXIES so X-Forwarded-Proto is
# believed; a plain-HTTP deployment (a laptop, the browser tests) sets SECURE_SSL_REDIRECT=false.
_HTTPS_ONLY = not DEBUG and not TESTING
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS_ONLY)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health(/ready)?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _HTTPS_ONLY else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _HTTPS_ONLY)
# Cookies follow the HTTPS choice: a Secure cookie is never sent back over plain HTTP, so on a
# plain-HTTP deployment (SECURE_SSL_REDIRECT=false) the admin's CSRF check could never pass.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_SSL_REDIRECT)

# The web client's pages: no inline scripts or styles, sockets and fetches to this origin only,
# uploads previewed from blob:/data: URLs. The API, admin and media set (or need) their own policy.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/", "/admin/", "/media/", "/health"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Caps what one request may hold in memory (uploads stream to disk above this size).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
# Image uploads are decoded and re-encoded in their HTTP thread (uploads/images.py): per process at
# most IMAGE_JOBS at once and IMAGE_JOBS_WAITING more waiting up to IMAGE_JOB_WAIT_SECONDS for a
# turn; further image uploads get 503 at once. Together never all HTTP_WORKER_THREADS.
IMAGE_JOBS = env_int("IMAGE_JOBS", 2, minimum=1)
IMAGE_JOBS_WAITING = env_int("IMAGE_JOBS_WAITING", 2, minimum=0)
IMAGE_JOB_WAIT_SECONDS = env_int("IMAGE_JOB_WAIT_SECONDS", 10, minimum=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise serves static/ straight from the finders, so daphne alone serves the web client
# without a collectstatic step; in DEBUG it picks up edits without a restart.
WHITENOISE_USE_FINDERS = True
# Static files are served from the finders; STATIC_ROOT exists only after collectstatic (the
# container runs it), so WhiteNoise's warning about it missing is noise everywhere else.
warnings.filterwarnings("ignore", message=r"No directory at: .*staticfiles", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Logging: one JSON object per line on stdout ---------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "chatapp.logging.RequestContextFilter"},
        "redact": {"()": "chatapp.logging.RedactSecretsFilter"},
        "unavailable_is_not_an_error": {"()": "chatapp.logging.UnavailableIsNotAnErrorFilter"},
    },
    "formatters": {"json": {"()": "chatapp.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Our access log line replaces Django's own "Not Found: ..." request warnings.
        "django.request": {"level": "ERROR", "filters": ["unavailable_is_not_an_error"]},
        "django.server": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
