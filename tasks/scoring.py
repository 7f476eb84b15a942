"""Scoring's jobs: the monthly cards, computed on the 2nd for the month before."""
from __future__ import annotations

from pm_platform.core import locks
from pm_platform.scoring import service
from tasks.base import service_task
from tasks.celery_app import crontab, register_periodic


@service_task("scoring.compute_month")
def compute_month(session, month: str | None = None, district_id: int | None = None):
    """Cards for `month` (default: last month). Published months are left alone, so a rerun or a
    redelivery changes nothing; a lock keeps two runs from writing the same cards at once."""
    locks.serialize(session, "scoring.compute_month")
    return service.compute_month(session, month or service.previous_month(), district_id)


register_periodic("scoring-monthly-cards", "scoring.compute_month", crontab(minute=30, hour=2, day_of_month=2))
