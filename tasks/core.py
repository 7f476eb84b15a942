"""Platform-wide jobs."""
from __future__ import annotations

from flask import current_app

from pm_platform.core import outbox
from tasks.base import service_task
from tasks.celery_app import register_periodic


@service_task("core.relay_outbox")
def relay_outbox(session):
    """Fallback relay on a schedule; the `flask outbox relay --loop` process is the main one."""
    return outbox.relay(session, current_app.extensions["celery"])


register_periodic("relay-outbox", "core.relay_outbox", 30.0)
