"""Locker jobs."""
from __future__ import annotations

import datetime as dt

from celery.schedules import crontab

from pm_platform.core import clock
from pm_platform.lockers import service
from tasks.base import service_task
from tasks.celery_app import register_periodic


@service_task("lockers.settle_month")
def settle_month(session, period: str | None = None):
    """Settle last month (or `period`) for every operator contract; safe to run twice."""
    if period is None:
        period = clock.period_of(clock.local_today().replace(day=1) - dt.timedelta(days=1))
    return service.settle_all(session, period)


# 02:00 Shanghai time on the first of each month
register_periodic("lockers-settle-month", "lockers.settle_month", crontab(minute=0, hour=2, day_of_month=1))
