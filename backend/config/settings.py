"""PoseForge settings: one file, every value from the environment.

Without any variable set this is the *embedded default*: SQLite, Celery over
kombu's filesystem transport, media on local disk under ``var/``. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis with the
same code path. See ``.env.example`` for every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from backend.config.env import (
    env_bool,
    env_int,
    env_list,
    env_memory_mb,
    env_secret,
    env_str,
    env_url,
    s3_storage_options,
)

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(env_str("POSEFORGE_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_secret("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return key
    # Single-machine installs get a random key kept beside the database, so
    # sessions survive restarts without anyone having to invent a secret.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "backend.accounts",
    "backend.projects",
    "backend.videos",
    "backend.labels",
    "backend.demo",
    "backend.interchange",
    "backend.training",
    "backend.inference",
]

MIDDLEWARE = [
    "backend.common.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "backend.common.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- database -------------------------------------------------------------
_database_url = env_url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file (not :memory:) so a real worker process can share the test database.
    # Per process, so two test runs on one machine never share it.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        VAR_DIR / f"test-db-{os.getpid()}.sqlite3"
    )
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login"
# Sign-in guard (backend/accounts/throttling.py): every attempt counts against LOGIN_RATE
# per client address; failures count per address and per username, and too many lock
# that address or username out for LOGIN_LOCKOUT_MINUTES.
LOGIN_RATE = env_str("LOGIN_RATE", "20/min")
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10, minimum=1)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 50, minimum=1)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Reverse proxies in front of the app that append to X-Forwarded-For. 0: the header is
# ignored and the client is REMOTE_ADDR (a client can write any X-Forwarded-For it likes).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# API tokens for scripts stop working this many hours after they were issued.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 30, minimum=1)
# An invite link to a project works once and only for this long.
INVITE_TTL_HOURS = env_int("INVITE_TTL_HOURS", 72, minimum=1)

# --- i18n / static / media ------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
# Where media live (backend/common/storage.py): "local" (files under MEDIA_ROOT) or "s3"
# (an S3-compatible store: MinIO, AWS), so web and workers on different machines share
# no folder. Workers keep local copies of S3 objects they decode in MEDIA_CACHE_DIR.
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "local").strip().lower() or "local"
MEDIA_CACHE_DIR = Path(env_str("MEDIA_CACHE_DIR", str(VAR_DIR / "media-cache"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(),
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"MEDIA_STORAGE={MEDIA_STORAGE!r} must be 'local' or 's3'")
MAX_VIDEO_UPLOAD_MB = env_int("MAX_VIDEO_UPLOAD_MB", 2048, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
FRAME_CACHE_JPEG_QUALITY = env_int("FRAME_CACHE_JPEG_QUALITY", 90, minimum=10)

# Project imports (backend/interchange): uploads are untrusted. Per user at most this many
# import jobs queued or running; a zip may unpack to at most this many bytes, and no entry
# may inflate more than IMPORT_MAX_COMPRESSION_RATIO times (zip bombs). Files are parsed in
# a child process (backend/interchange/sandbox.py) capped at IMPORT_MAX_MEMORY_MB of memory
# and IMPORT_MAX_SECONDS of CPU time, running as IMPORT_RUN_AS_USER when the worker is root.
IMPORT_MAX_CONCURRENT_PER_USER = env_int("IMPORT_MAX_CONCURRENT_PER_USER", 2, minimum=1)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int(
    "IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3, minimum=1024 * 1024
)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2)
IMPORT_MAX_MEMORY_MB = env_int("IMPORT_MAX_MEMORY_MB", 4096, minimum=512)
IMPORT_MAX_SECONDS = env_int("IMPORT_MAX_SECONDS", 1800, minimum=10)
IMPORT_RUN_AS_USER = env_str("IMPORT_RUN_AS_USER", "nobody")

# Encoder pretraining on a project's footage starts by itself when an uploaded video is
# ready (backend.training.unlabeled.pretrain_after_upload); training jobs use the latest
# one by default. Off: only the training page's "Pretrain encoder" starts one.
PRETRAIN_ON_UPLOAD = env_bool("PRETRAIN_ON_UPLOAD", True)

# Real labeled data sets used by tests and benchmarks (never copied into the repo).
POSEFORGE_DATA_DIR = Path(env_str("POSEFORGE_DATA_DIR", str(BASE_DIR.parent / "shared" / "data")))

# --- security headers -----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it to send X-CSRFToken
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS-only deployments (behind a TLS proxy or not). All off by default: the embedded
# single-machine mode serves plain HTTP on localhost. See docs/operations.md.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself (and strips it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.authentication.SessionAuthentication",
        "backend.accounts.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.common.exceptions.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Every DRF throttle finds the client the way the login guard does (never a spoofed XFF).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "login": LOGIN_RATE,
        "invite": env_str("INVITE_RATE", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PoseForge API",
    "DESCRIPTION": "Team pose labeling, training and active learning.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # A field DRF always writes is required in a response (see the hook's docstring).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.common.schema.require_sent_fields",
    ],
    # Several models have a "status" with different choices: name each set (an unnamed
    # collision is a drf_spectacular.W001 warning, which `check --deploy` reports).
    "ENUM_NAME_OVERRIDES": {
        # Every job model (training, inference, picking, import/export) shares one lifecycle.
        "JobStatusEnum": "backend.common.jobs.JobStatus",
        "VideoStatusEnum": "backend.videos.models.Video.Status",
        "FrameStatusEnum": "backend.labels.models.LabeledFrame.Status",
        "SuggestionStatusEnum": "backend.inference.models.Suggestion.Status",
        "RoleEnum": "backend.projects.models.Membership.Role",
        "PickMethodEnum": "backend.labels.models.FramePickJob.Method",
        "SmoothingMethodEnum": ["median", "savgol"],
    },
}

# --- Celery ---------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", ("redis", "rediss"))
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Long trainings must not be redelivered while still running; the job row
    # is also claimed atomically so a redelivery can never run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
else:
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
# Training and inference tasks keep their historical names (they live in backend/training and
# backend/inference now), so messages queued before an upgrade still find them.
CELERY_TASK_ROUTES = {"ml_worker.tasks.*": {"queue": "gpu"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery beat (`manage.py serve` embeds it; docker-compose runs it as the `beat` service)
# sends the job reaper every JOB_REAPER_SECONDS; a reap nobody ran within a period expires.
JOB_REAPER_SECONDS = env_int("JOB_REAPER_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "reap-lost-jobs": {
        "task": "common.reap_jobs",
        "schedule": float(JOB_REAPER_SECONDS),
        "options": {"queue": "default", "expires": float(JOB_REAPER_SECONDS)},
    }
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- cache ----------------------------------------------------------------
# Login throttles and lockouts are counted here, so every web process (and every
# machine) must see the same numbers: Redis when there is one, on its own database
# number so clearing the cache never drops Celery's queues; otherwise a table in the
# database (created after `migrate` by backend.accounts). Never per-process memory.


def _redis_cache_url(broker_url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(broker_url)
    broker_db = int(parts.path.strip("/") or 0)
    cache_db = env_int("REDIS_CACHE_DB", 1, minimum=0)
    if cache_db == broker_db:
        raise ImproperlyConfigured(
            f"REDIS_CACHE_DB={cache_db} is the Celery broker's database; pick another number"
        )
    return urlunsplit(parts._replace(path=f"/{cache_db}"))


if REDIS_URL:
    # Sessions are read from Redis on every request (written through to the database).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_cache_url(REDIS_URL),
            "KEY_PREFIX": "poseforge",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "poseforge_cache",
            # Culling could evict a lockout; many distinct usernames must not reach it.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- jobs -----------------------------------------------------------------
# A running job whose worker sent no heartbeat for this long is requeued or failed by the
# reaper (backend.common.jobs.reap); workers beat every JOB_HEARTBEAT_SECONDS (at most a
# third of the timeout).
JOB_HEARTBEAT_TIMEOUT = env_int("JOB_HEARTBEAT_TIMEOUT", 120, minimum=2)
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 5, minimum=1)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 2, minimum=1)
# A training job runs in a child process that is stopped (the job fails with a message,
# the worker lives on) when it uses more memory than this; default 70 % of the machine's
# or container's memory. Inference runs stop at the same limit.
TRAINING_MAX_MEMORY_MB = env_memory_mb(
    "TRAINING_MAX_MEMORY_MB", share=0.7, fallback=8192, minimum=256
)
# Training jobs one user may have queued or running at once (others' jobs are not starved).
TRAINING_MAX_QUEUED_PER_USER = env_int("TRAINING_MAX_QUEUED_PER_USER", 2, minimum=1)
# How long a frame stays locked to an annotator without a heartbeat from their page.
LABEL_LOCK_SECONDS = env_int("LABEL_LOCK_SECONDS", 120, minimum=10)
# How long a proofreader's range lock on a run's tracks holds without a renewal.
TRACK_LOCK_SECONDS = env_int("TRACK_LOCK_SECONDS", 300, minimum=10)
