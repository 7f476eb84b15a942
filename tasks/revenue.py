"""Common-fund jobs."""
from __future__ import annotations

from celery.schedules import crontab

from pm_platform.revenue import service
from tasks.base import service_task
from tasks.celery_app import register_periodic


@service_task("revenue.prepare_disclosures")
def prepare_disclosures(session):
    """Draft last quarter's disclosure for every compound (safe to run twice)."""
    return service.prepare_quarter_disclosures(session)


# 01:00 Shanghai time on the first day of each quarter (beat runs in Asia/Shanghai)
register_periodic("revenue-prepare-disclosures", "revenue.prepare_disclosures",
                  crontab(minute=0, hour=1, day_of_month=1, month_of_year="1,4,7,10"))
