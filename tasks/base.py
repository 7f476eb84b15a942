"""The one decorator every job uses: named, ids in, claims its outbox row, commits once."""
from __future__ import annotations

import functools

from celery import shared_task
from flask import current_app

from pm_platform.core import outbox
from pm_platform.extensions import db


def service_task(name: str, **options):
    """Wrap `fn(session, *ids)` as a Celery task named `name`.

    The work and the outbox claim commit together, so a redelivered message does nothing.
    """

    def decorator(fn):
        @shared_task(name=name, **options)
        @functools.wraps(fn)
        def task(*args, outbox_id: int | None = None):
            session = db.session
            try:
                if outbox_id is not None and not outbox.claim(session, outbox_id):
                    session.rollback()
                    return None
                result = fn(session, *args)
                session.commit()
                if session.info.pop(outbox.PENDING_FLAG, False):  # jobs this job enqueued
                    outbox.relay(session, current_app.extensions["celery"])
                return result
            except Exception:
                session.rollback()
                raise

        return task

    return decorator
