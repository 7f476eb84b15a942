"""Fee jobs: billing runs, and the monthly run for every district on the 1st."""
from __future__ import annotations

from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.extensions import db
from pm_platform.fees import service
from pm_platform.places.models import AdminArea
from tasks.base import service_task
from tasks.celery_app import crontab, register_periodic


@service_task("fees.run_billing")
def run_billing(session, run_id: int):
    """One transaction: a run killed half way leaves nothing behind, and the redelivered job
    (or a new run for the same period) creates each missing bill exactly once."""
    try:
        run = service.execute_billing_run(session, run_id)
    except Exception as exc:
        session.rollback()
        service.mark_billing_run_failed(db.session, run_id, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        raise
    return {"run_id": run.id, "bills_created": run.bills_created}


@service_task("fees.monthly_billing")
def monthly_billing(session):
    """Start this month's run for every district (each run is idempotent, so a second beat
    tick, or a rerun, creates nothing new)."""
    period = clock.period_of(clock.local_today())
    districts = session.scalars(select(AdminArea.id).where(AdminArea.kind == "district")).all()
    return [service.start_billing_run(session, None, "district", district_id, period).id for district_id in districts]


register_periodic("fees-monthly-billing", "fees.monthly_billing", crontab(minute=30, hour=0, day_of_month=1))
