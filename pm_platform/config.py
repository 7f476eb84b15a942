"""Configuration read from the environment; the embedded default needs none of it."""
from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class Config:
    # No default for any secret (see core/secrets_config.py): the app refuses to start without
    # them, unless PM_LOCAL_SECRETS=1 (the demo, the tests) generates them under instance/.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # Key for hashing ID and certificate numbers; must never change once owners are imported.
    IDENTITY_KEY = os.environ.get("IDENTITY_KEY") or None
    LOCAL_SECRETS = os.environ.get("PM_LOCAL_SECRETS") or None
    # The sandbox payment provider: only when asked for, and only with local secrets.
    PAYMENT_SANDBOX = os.environ.get("PAYMENT_SANDBOX") or None
    PAYMENT_SANDBOX_SECRET = os.environ.get("PAYMENT_SANDBOX_SECRET") or None
    # No DATABASE_URL: SQLite in instance/ so the platform runs with no server at all.
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'pm_platform.db'}"
    # No REDIS_URL: Celery runs tasks eagerly, in-process.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # seconds before a job taken by a worker that died is delivered again (Celery acks late)
    CELERY_VISIBILITY_TIMEOUT = os.environ.get("CELERY_VISIBILITY_TIMEOUT") or 3600
    # more modules of jobs to load, comma-separated (the tests' own, e.g. tests.jobs)
    EXTRA_TASK_MODULES = os.environ.get("EXTRA_TASK_MODULES") or ""
    # How many proxies in front set X-Forwarded-For (core/headers.py); 0: the peer's address is the
    # client's. Set 1 behind one TLS proxy that the app can only be reached through.
    PROXY_FORWARDED_FOR = os.environ.get("PROXY_FORWARDED_FOR", "0")
    # Logs (core/logs.py): json (default) or text lines on stderr; "none" leaves logging to the host.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_REQUESTS = os.environ.get("LOG_REQUESTS", "1")  # one line per answered request
    # /metrics from another machine: `Authorization: Bearer <METRICS_TOKEN>` (core/metrics.py)
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads above this are refused with 413
    BABEL_DEFAULT_LOCALE = "zh"  # Simplified Chinese; catalogs live in translations/zh/
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # Redis down: the login limit counts in each process's memory meanwhile (and the per-account
    # throttle in the database holds) instead of failing every sign-in with a 500
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    API_TITLE = "pm_platform API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    TESTING = False


def normalise_database_url(url: str) -> str:
    """Let plain postgresql:// URLs use psycopg 3, the driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
