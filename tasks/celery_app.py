"""Celery bound to the Flask app (Flask's `celery_init_app` pattern).

With no REDIS_URL tasks run eagerly, in-process; otherwise they go through Redis.
"""
from __future__ import annotations

import importlib

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, has_app_context

BEAT_SCHEDULE: dict[str, dict] = {}


def register_periodic(name: str, task: str, schedule) -> None:
    BEAT_SCHEDULE[name] = {"task": task, "schedule": schedule}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            if has_app_context():  # eager run inside a request or another task
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    redis_url = app.config.get("REDIS_URL")
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=redis_url or "memory://",
        task_always_eager=not redis_url,
        task_eager_propagates=bool(app.config.get("TESTING")),
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # visibility_timeout: how long a job taken by a worker that died (acks are late) waits
        # before Redis hands it to another; longer than the longest job (a city's billing run)
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5,
                                  "visibility_timeout": int(app.config.get("CELERY_VISIBILITY_TIMEOUT") or 3600)},
        timezone="Asia/Shanghai",
        enable_utc=True,
        beat_schedule=BEAT_SCHEDULE,
        worker_hijack_root_logger=False,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    from pm_platform import DOMAINS

    # tasks/<domain>.py where a domain has jobs, then any modules the setting adds (the tests'
    # own jobs live in tests/, not in the code that ships)
    extra = [name for name in str(app.config.get("EXTRA_TASK_MODULES") or "").split(",") if name.strip()]
    for name in extra:
        importlib.import_module(name.strip())
    for domain in DOMAINS:
        try:
            importlib.import_module(f"tasks.{domain}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tasks.{domain}":
                raise
    return celery


__all__ = ["celery_init_app", "crontab", "register_periodic"]
