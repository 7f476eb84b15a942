"""`/healthz`: is this web process able to serve, i.e. are the database and Redis reachable?

Cheap on purpose (load balancers call it every few seconds, and it is the gate benchmark's
baseline): one `SELECT 1` on a pooled connection and one Redis PING with a short timeout, no ORM.
The answer names what is down; why is logged, not shown (the endpoint is public).
"""
from __future__ import annotations

import logging

import redis
from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from pm_platform.extensions import db

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 0.5  # seconds, to connect and to answer


def database_ok() -> bool:
    for attempt in (1, 2):  # a pooled connection the server closed fails once, then is replaced
        try:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except DBAPIError as exc:
            if attempt == 1 and exc.connection_invalidated:
                continue
            log.warning("healthz: database unreachable: %s", exc.__class__.__name__, exc_info=exc)
            return False
        except Exception as exc:
            log.warning("healthz: database unreachable: %s", exc.__class__.__name__, exc_info=exc)
            return False
    return False


def _redis_client(app: Flask, url: str) -> redis.Redis:
    """One client (one small connection pool) per URL and process; redis-py reopens after a fork."""
    clients = app.extensions.setdefault("health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT,
                                            socket_timeout=REDIS_TIMEOUT)
    return clients[url]


def redis_status(app: Flask) -> str:
    url = app.config.get("REDIS_URL")
    if not url:
        return "not configured"  # tasks run in-process
    try:
        _redis_client(app, url).ping()
        return "ok"
    except Exception as exc:
        log.warning("healthz: redis unreachable: %s: %s", exc.__class__.__name__, exc)
        return "down"


def check() -> tuple[dict, int]:
    app = current_app._get_current_object()
    report = {"status": "ok", "database": "ok" if database_ok() else "down", "redis": redis_status(app)}
    down = [name for name in ("database", "redis") if report[name] == "down"]
    if down:
        report["status"] = "down"
        return report, 503
    return report, 200
