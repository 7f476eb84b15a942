"""Overdue orders climb: firm manager, then the community office, then the street office."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core import clock, outbox
from pm_platform.workorders import boards, service
from pm_platform.workorders.models import WorkOrder, WorkOrderEvent
from tests import factories
from tests.workorders.helpers import report


@pytest.fixture
def people(session, world):
    return {"resident": world.user(session, "owner"), "manager": world.user(session, "firm_manager"),
            "community": world.user(session, "community"), "street": world.user(session, "street")}


def test_deadlines_follow_priority_and_district_policy(session, world, people):
    urgent = report(session, world, people["resident"], category="water")
    assert urgent.priority == "urgent"
    assert urgent.respond_due_at - urgent.created_at == dt.timedelta(minutes=30)
    assert urgent.resolve_due_at - urgent.created_at == dt.timedelta(hours=24)
    normal = report(session, world, people["resident"], category="noise")
    assert normal.resolve_due_at - normal.created_at == dt.timedelta(days=7)
    bureau = world.user(session, "bureau")
    service.set_deadline_policy(session, bureau, world.district.id, "normal", 12 * 60, 3 * 24 * 60)
    faster = report(session, world, people["resident"], category="greenery")
    assert faster.respond_due_at - faster.created_at == dt.timedelta(hours=12)
    assert faster.resolve_due_at - faster.created_at == dt.timedelta(days=3)
    complex_ = report(session, world, people["resident"], category="roof_leak", priority="complex")
    assert complex_.resolve_due_at - complex_.created_at == dt.timedelta(days=15)


def test_escalation_levels_and_boards(session, world, people):
    order = report(session, world, people["resident"], category="water")
    start = clock.as_utc(order.respond_due_at)
    assert service.escalate_overdue(session, start - dt.timedelta(minutes=1)) == 0
    assert service.escalate_overdue(session, start + dt.timedelta(minutes=1)) == 1
    assert order.escalation_level == 1
    assert service.escalate_overdue(session, start + dt.timedelta(minutes=2)) == 0  # rerun: nothing new
    service.escalate_overdue(session, start + dt.timedelta(hours=25))
    assert order.escalation_level == 2
    service.escalate_overdue(session, start + dt.timedelta(hours=49))
    assert order.escalation_level == 3
    assert [e.kind for e in order.events].count("escalated") == 3

    later = start + dt.timedelta(hours=49)
    assert order in boards.office_board(session, people["community"], later)["escalated"]
    assert order in boards.office_board(session, people["street"], later)["escalated"]
    assert order in boards.office_board(session, people["manager"], later)["overdue"]


def test_accepted_in_time_escalates_only_on_the_resolve_deadline(session, world, people):
    order = report(session, world, people["resident"], category="noise")
    service.transition_work_order(session, people["manager"], order.id, "accepted")
    assert service.escalate_overdue(session, clock.as_utc(order.respond_due_at) + dt.timedelta(hours=1)) == 0
    assert service.escalate_overdue(session, clock.as_utc(order.resolve_due_at) + dt.timedelta(hours=1)) == 1
    assert order.escalation_level == 1


def test_a_real_worker_escalates_overdue_orders(app, worker_env):
    """Through Redis and a Celery worker process: the job runs, escalates, and a second
    delivery changes nothing."""
    worker_env.start_redis()
    worker_env.start_worker()
    with app.app_context(), worker_env.session() as session:
        world = factories.World.build(session)
        resident = world.user(session, "owner")
        order = report(session, world, resident, category="water")
        order.respond_due_at = clock.now_utc() - dt.timedelta(hours=1)
        order_id = order.id
        message_ids = [outbox.enqueue(session, "workorders.escalate_overdue").id for _ in range(2)]
        session.commit()
    assert "relayed 2 job(s)" in worker_env.flask("outbox", "relay")
    worker_env.wait_for(lambda s: s.get(WorkOrder, order_id).escalation_level == 1, what="escalation")
    worker_env.wait_for(lambda s: all(s.get(outbox.OutboxMessage, i).done_at for i in message_ids), what="both jobs")
    with worker_env.session() as session:
        kinds = session.scalars(select(WorkOrderEvent.kind).where(WorkOrderEvent.work_order_id == order_id)).all()
        assert kinds.count("escalated") == 1
