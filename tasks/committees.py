"""Owners' assembly jobs: close motions at the window's end, finalise after the objection
period, remind committees of terms ending. Each is safe to run twice."""
from __future__ import annotations

from pm_platform.committees import service
from tasks.base import service_task
from tasks.celery_app import crontab, register_periodic


@service_task("committees.close_due")
def close_due(session):
    return service.close_due_motions(session)


@service_task("committees.finalise_due")
def finalise_due(session):
    return service.finalise_due_motions(session)


@service_task("committees.remind_terms")
def remind_terms(session):
    return service.remind_terms_ending(session)


register_periodic("committees-close-due", "committees.close_due", crontab())  # every minute
register_periodic("committees-finalise-due", "committees.finalise_due", crontab(minute="*/10"))
register_periodic("committees-remind-terms", "committees.remind_terms", crontab(hour=8, minute=0))
