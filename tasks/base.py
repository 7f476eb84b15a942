"""The one decorator every job uses: named, ids in, claims its outbox row, commits once.

Each run is counted and timed (core/metrics.py) and logs under the id of the request that queued
it (the `request_id` Celery header the outbox relay sends; core/logs.py)."""
from __future__ import annotations

import functools
import logging

from celery import current_task, shared_task
from celery.signals import task_postrun, task_prerun
from flask import current_app

from pm_platform.core import logs, metrics, outbox
from pm_platform.extensions import db

log = logging.getLogger(__name__)


def _queued_by() -> str | None:
    """The request id the job's message carries, if any."""
    request = getattr(current_task, "request", None)  # the proxy raises (caught) when no task runs
    headers = getattr(request, "headers", None) or {}
    return headers.get(logs.CELERY_HEADER) if isinstance(headers, dict) else None


_bound: dict[str, object] = {}


@task_prerun.connect
def _bind_request_id(task_id=None, task=None, **_):
    """Celery's own lines about the job (succeeded, raised) carry the request id too."""
    headers = getattr(getattr(task, "request", None), "headers", None) or {}
    request_id = headers.get(logs.CELERY_HEADER) if isinstance(headers, dict) else None
    if request_id and task_id:
        _bound[task_id] = logs.request_id_var.set(request_id)


@task_postrun.connect
def _unbind_request_id(task_id=None, **_):
    token = _bound.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            logs.request_id_var.reset(token)
        except ValueError:  # set in another context: leave it to that context
            pass


def service_task(name: str, **options):
    """Wrap `fn(session, *ids)` as a Celery task named `name`.

    The work and the outbox claim commit together, so a redelivered message does nothing.
    """

    def decorator(fn):
        @shared_task(name=name, **options)
        @functools.wraps(fn)
        def task(*args, outbox_id: int | None = None):
            session = db.session
            with logs.request_id_context(_queued_by()), metrics.task_timer(name) as outcome:
                try:
                    if outbox_id is not None and not outbox.claim(session, outbox_id):
                        session.rollback()
                        outcome["value"] = "duplicate"
                        log.info("job %s (outbox %s) was already done", name, outbox_id)
                        return None
                    result = fn(session, *args)
                    session.commit()
                    if session.info.pop(outbox.PENDING_FLAG, False):  # jobs this job enqueued
                        outbox.relay(session, current_app.extensions["celery"])
                    log.info("job %s done", name, extra={"task": name, "outbox_id": outbox_id})
                    return result
                except Exception as exc:
                    session.rollback()
                    # the traceback is Celery's to log (or the caller's, when run in-process)
                    log.warning("job %s failed: %s: %s", name, type(exc).__name__, exc,
                                extra={"task": name, "outbox_id": outbox_id})
                    raise

        return task

    return decorator
