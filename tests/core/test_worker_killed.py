"""A worker killed with SIGKILL in the middle of a billing run and of a scoring run: the job is
delivered again (Celery acknowledges late), runs to the end on the next worker, and every row is
there once. The worker is caught mid-job by holding the table it writes: it has read, begun its
transaction and is waiting to write when it is killed."""
import time

import pytest
from celery import Celery
from sqlalchemy import func, select

from pm_platform.fees import service as fees
from pm_platform.fees.models import Bill, BillingRun
from pm_platform.places.models import Compound, Unit
from pm_platform.scoring.models import Scorecard
from tests.factories import World

MONTH = "2026-11"


@pytest.fixture(scope="module")
def killable(app, tmp_path_factory):
    from tests.live import LiveEnv

    env = LiveEnv(tmp_path_factory.mktemp("killed"), app.config["IDENTITY_KEY"])
    env.env["CELERY_VISIBILITY_TIMEOUT"] = "3"  # a dead worker's job comes back in seconds, not an hour
    env.start_redis()
    try:
        yield env
    finally:
        env.close()


class HeldTable:
    """Another connection holding `table` so that writers wait (PostgreSQL: a table lock; SQLite:
    the database's write lock)."""

    def __init__(self, env, table: str):
        self.env, self.table = env, table

    def __enter__(self):
        self.connection = self.env.engine.connect()
        if self.env.engine.dialect.name == "postgresql":
            self.transaction = self.connection.begin()
            self.connection.exec_driver_sql(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")
        else:
            self.transaction = self.connection.execution_options(sqlite_immediate=True).begin()
        return self

    def worker_waiting(self) -> bool:
        if self.env.engine.dialect.name != "postgresql":
            return "received" in self.env.worker_log()
        with self.env.engine.connect() as probe:
            return bool(probe.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'").scalar())

    def __exit__(self, *exc):
        self.transaction.rollback()
        self.connection.close()


def wait(predicate, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def kill_mid_job(env, table: str, task: str, args: list) -> None:
    env.start_worker()
    with HeldTable(env, table) as held:
        Celery(broker=env.redis_url, set_as_current=False).send_task(task, args=args)
        wait(held.worker_waiting, f"the worker to start {task} and wait on {table}")
        time.sleep(0.5 if env.engine.dialect.name == "postgresql" else 1.5)
        env.kill_worker()
    # A new worker, once the dead one's job is past its visibility timeout: a starting worker
    # puts such jobs back in the queue (later ones wait for Redis's periodic sweep, ~100 s).
    time.sleep(int(env.env["CELERY_VISIBILITY_TIMEOUT"]) + 1)
    env.start_worker()


def test_a_billing_run_killed_half_way_completes_once_on_the_next_worker(app, killable):
    with app.app_context(), killable.session() as session:
        world = World.build(session)
        for compound in world.compounds:
            fees.create_fee_item(session, world.user(session, "admin"), compound.id, name="物业服务费", kind="per_area",
                                 rate_fen=120, from_period="2026-01")
        run = fees.start_billing_run(session, world.user(session, "admin"), "district", world.district.id, MONTH)
        session.commit()
        run_id, units = run.id, session.scalar(select(func.count()).select_from(Unit))
    kill_mid_job(killable, "bills", "fees.run_billing", [run_id])
    with killable.session() as session:  # nothing of the killed attempt was kept
        assert session.scalar(select(func.count()).select_from(Bill)) in (0, units)
    killable.wait_for(lambda s: s.get(BillingRun, run_id).status == "done", timeout=90, what="the run redelivered and done")
    with killable.session() as session:
        bills = session.execute(select(Bill.unit_id, Bill.fee_item_id, Bill.period)).all()
        assert len(bills) == units == len(set(bills))  # every unit billed, none twice
        assert session.get(BillingRun, run_id).bills_created == units
    killable.stop_worker()


def test_a_scoring_run_killed_half_way_completes_once_on_the_next_worker(app, killable):
    kill_mid_job(killable, "scorecards", "scoring.compute_month", [MONTH])
    killable.wait_for(lambda s: s.scalar(select(func.count()).select_from(Scorecard)
                                         .where(Scorecard.month == MONTH)) > 0,
                      timeout=90, what="the month's cards after redelivery")
    time.sleep(1)
    with killable.session() as session:
        cards = session.execute(select(Scorecard.compound_id).where(Scorecard.month == MONTH, Scorecard.is_current)).all()
        assert len(cards) == session.scalar(select(func.count()).select_from(Compound)) == len(set(cards))
        assert session.scalar(select(func.count()).select_from(Scorecard).where(Scorecard.month == MONTH)) == len(cards)
    killable.stop_worker()
