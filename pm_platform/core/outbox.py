"""The job outbox: requests write jobs as rows; a relay hands committed rows to Celery.

A job is never sent for work that was rolled back, and while Redis is down the jobs wait
in the database. Each task claims its row with a conditional update in the same
transaction as its work, so a message delivered twice does its work once.
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session

from pm_platform.core import clock, logs
from pm_platform.core.models import OutboxMessage

log = logging.getLogger(__name__)
PENDING_FLAG = "outbox_pending"


def enqueue(session: Session, task_name: str, *args) -> OutboxMessage:
    message = OutboxMessage(task_name=task_name, args=json.dumps(list(args)),
                            request_id=logs.current_request_id())
    session.add(message)
    session.flush()
    session.info[PENDING_FLAG] = True
    return message


def claim(session: Session, message_id: int) -> bool:
    """Mark a message done; False if another delivery already did its work."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.done_at.is_(None))
        .values(done_at=clock.now_utc())
    )
    return result.rowcount == 1


def relay(session: Session, celery_app, limit: int = 500) -> int:
    """Send committed, unsent messages to Celery; returns how many were sent.

    Stops at the first failure to reach the broker; the rest wait for the next call.
    """
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    elif not (session() if isinstance(session, scoped_session) else session).in_transaction():
        # SQLite: the worker claims a message as soon as it is sent, while we still have to mark
        # it sent; holding the write lock from the start makes the worker wait for our commit
        session.connection(execution_options={"sqlite_immediate": True})
    sent = 0
    for message in session.scalars(query).all():
        task = celery_app.tasks[message.task_name]
        message.attempts += 1
        try:
            task.apply_async(args=json.loads(message.args), kwargs={"outbox_id": message.id},
                             task_id=f"outbox-{message.id}", retry=False,
                             headers={logs.CELERY_HEADER: message.request_id} if message.request_id else None)
        except Exception as exc:  # broker unreachable: keep the row for later
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning("outbox relay stopped: %s", message.last_error)
            break
        message.sent_at = clock.now_utc()
        sent += 1
    session.commit()
    return sent


def relay_after_request(response):
    """After a request that enqueued jobs, hand them over at once (the relay process is the
    safety net when this fails)."""
    from flask import current_app

    from pm_platform.extensions import db

    session = db.session
    if session.info.pop(PENDING_FLAG, False):
        try:
            relay(session, current_app.extensions["celery"])
        except Exception:  # never fail a finished request over a job hand-off
            log.exception("outbox relay after request failed")
            session.rollback()
    return response
