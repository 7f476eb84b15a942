"""Work-order jobs: escalate what is overdue, close what went unconfirmed, sample follow-ups."""
from __future__ import annotations

from pm_platform.workorders import followups, service
from tasks.base import service_task
from tasks.celery_app import crontab, register_periodic


@service_task("workorders.escalate_overdue")
def escalate_overdue(session):
    return service.escalate_overdue(session)


@service_task("workorders.close_unconfirmed")
def close_unconfirmed(session):
    return service.close_unconfirmed(session)


@service_task("workorders.sample_follow_ups")
def sample_follow_ups(session):
    return followups.sample_follow_ups(session)


register_periodic("workorders-escalate", "workorders.escalate_overdue", crontab(minute="*/5"))
register_periodic("workorders-close-unconfirmed", "workorders.close_unconfirmed", crontab(minute=7))
register_periodic("workorders-follow-ups", "workorders.sample_follow_ups", crontab(hour=8, minute=0, day_of_week=1))
