"""A billing run started like a page does it, carried out by a real Celery worker over Redis."""
from celery import Celery
from sqlalchemy import func, select

from pm_platform.fees import service
from pm_platform.fees.models import Bill, BillingRun
from tests.factories import World


def test_a_real_worker_bills_the_month_and_a_redelivered_job_adds_nothing(app, worker_env):
    worker_env.start_redis()
    worker_env.start_worker()
    with app.app_context(), worker_env.session() as session:
        world = World.build(session)
        manager = world.user(session, "firm_manager")
        compound = world.compounds[0]
        service.create_fee_item(session, manager, compound.id, name="物业服务费", kind="per_area", rate_fen=120,
                                from_period="2026-01")
        run = service.start_billing_run(session, manager, "compound", compound.id, "2026-11")
        session.commit()
        run_id, compound_id = run.id, compound.id

    assert "relayed 1 job(s)" in worker_env.flask("outbox", "relay")
    done = worker_env.wait_for(lambda s: s.get(BillingRun, run_id).status == "done", what="billing run done")
    assert done
    with worker_env.session() as session:
        assert session.get(BillingRun, run_id).bills_created == 3
        amounts = session.scalars(select(Bill.amount_fen).where(Bill.compound_id == compound_id)).all()
        assert amounts == [10724, 10724, 10724]  # 89.37 m² × 1.20 yuan

    # the broker delivers the job again (as after a worker crash): still one bill per unit
    Celery(broker=worker_env.redis_url, set_as_current=False).send_task("fees.run_billing", args=[run_id])
    worker_env.wait_for(lambda s: s.get(BillingRun, run_id).attempts == 2, what="second delivery ran")
    with worker_env.session() as session:
        assert session.scalar(select(func.count()).select_from(Bill).where(Bill.compound_id == compound_id)) == 3
        assert session.get(BillingRun, run_id).bills_created == 0
