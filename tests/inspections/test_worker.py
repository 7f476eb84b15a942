"""Missed detection through Redis and a real Celery worker process: the periodic job marks a
closed window's unscanned items missed, once, however often it is delivered."""
import datetime as dt

from sqlalchemy import func, select

from pm_platform.core import clock, outbox
from pm_platform.core.models import AuditEntry
from pm_platform.inspections import service
from pm_platform.inspections.models import Round, RoundItem
from tests import factories
from tests.inspections.helpers import facility, inspect, jpeg, plan


def test_a_real_worker_marks_a_closed_windows_items_missed(app, worker_env):
    worker_env.start_redis()
    worker_env.start_worker()
    with app.app_context(), worker_env.session() as session:
        world = factories.World.build(session)
        manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
        compound = world.compounds[0]
        items = [facility(session, manager, compound, name=f"{n}号水泵", kind="pump", lat=31.23 + n * 1e-4)
                 for n in range(3)]
        # The worker process runs on the real clock, so the window is the two hours just gone, whatever
        # the time of day (crossing midnight it is still one round, due the day it opened).
        now_local = clock.to_local(clock.now_utc())
        plan(session, manager, compound, items, [staff], start=(now_local - dt.timedelta(hours=2)).time(),
             end=(now_local - dt.timedelta(minutes=2)).time(), late_minutes=0,
             starts_on=clock.local_today() - dt.timedelta(days=1))
        service.create_rounds_ahead(session, now=clock.now_utc() - dt.timedelta(hours=3))  # made ahead
        round_id = session.scalars(select(Round.id).where(Round.closes_at <= clock.now_utc())).one()
        pump = [{"item": "outlet_pressure", "value": 0.5}, {"item": "noise", "value": "pass"},
                {"item": "control", "value": "pass"}]
        inspect(session, staff, items[0], answers=pump, photos=[("photo", jpeg())],
                opened=clock.now_utc() - dt.timedelta(minutes=30))
        message_ids = [outbox.enqueue(session, "inspections.mark_missed").id for _ in range(2)]
        session.commit()

    assert "relayed 2 job(s)" in worker_env.flask("outbox", "relay")
    worker_env.wait_for(lambda s: all(s.get(outbox.OutboxMessage, i).done_at for i in message_ids), what="both jobs")
    with worker_env.session() as session:
        statuses = session.scalars(select(RoundItem.status).where(RoundItem.round_id == round_id)
                                   .order_by(RoundItem.position)).all()
        assert statuses == ["on_time", "missed", "missed"]
        assert session.get(Round, round_id).missed_marked_at is not None
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "inspection.round.missed")) == 1  # the second delivery did nothing
