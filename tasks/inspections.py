"""Inspection jobs: rounds created ahead of time, missed items marked when windows close."""
from __future__ import annotations

from celery.schedules import crontab

from pm_platform.inspections import service
from tasks.base import service_task
from tasks.celery_app import register_periodic


@service_task("inspections.create_rounds")
def create_rounds(session):
    return service.create_rounds_ahead(session)


@service_task("inspections.mark_missed")
def mark_missed(session):
    return service.mark_missed(session)


register_periodic("inspections-create-rounds", "inspections.create_rounds", crontab(minute=7))
# Every 5 minutes: a window that closes shows its missed items on the board within minutes.
register_periodic("inspections-mark-missed", "inspections.mark_missed", crontab(minute="*/5"))
