"""The work-orders part of `flask demo` (on the small district): every order's page opens."""
import datetime as dt
import random

from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.places import demo as places_demo
from pm_platform.workorders import demo
from pm_platform.workorders.models import WorkOrder, WorkOrderEvent


def test_every_demo_work_order_page_opens_with_its_timeline_in_the_past(session, login):
    """Regression: the demo moved events back with SQL date arithmetic (`at - interval`), which
    SQLite stores as an integer; the order's page then answered 500."""
    rng = random.Random(2022)
    places_demo.build_demo(session, rng, size="small")
    demo.build_demo(session, rng, size="small")
    session.commit()
    session.expire_all()
    events = session.scalars(select(WorkOrderEvent)).all()
    assert events and all(isinstance(e.at, dt.datetime) for e in events)
    assert min(clock.as_utc(e.at) for e in events) < clock.now_utc() - dt.timedelta(days=7)  # moved back
    client = login(get_user_by_name(session, "admin"))
    for order_id in session.scalars(select(WorkOrder.id)):
        page = client.get(f"/workorders/{order_id}")
        assert page.status_code == 200, order_id
