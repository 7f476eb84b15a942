"""Demo work orders over the last three months in the compounds of the demo district's first
firm: residents' reports and 12345 tickets in every state, escalations, rebounds, a follow-up
sample and a water-cut notice."""
from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.places.models import Compound, ServiceContract, Unit
from pm_platform.places import scope
from pm_platform.workorders import followups, notices, service
from pm_platform.workorders.models import WorkOrder, WorkOrderEvent

ORDERS = {"full": 200, "small": 30}
PROBLEMS = [
    ("water", "厨房水管漏水,楼下天花板渗水"), ("lighting", "楼道声控灯不亮"), ("drain", "单元门口下水道堵塞,污水外溢"),
    ("road", "改造后新铺的路面出现坑洼"), ("lift", "电梯运行有异响"), ("greenery", "绿化带杂草很多"),
    ("noise", "夜间有人装修噪音大"), ("parking", "消防通道被私家车占用"), ("roof_leak", "顶楼下雨天渗水"),
    ("ev_charging", "充电桩无法启动"), ("sanitation", "垃圾桶满溢无人清运"), ("fire_safety", "楼道灭火器过期"),
]


def _photo(rng: random.Random) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), tuple(rng.randrange(256) for _ in range(3))).save(out, "JPEG")
    return out.getvalue()


def _shift(session: Session, order: WorkOrder, delta: dt.timedelta) -> None:
    """Move an order and its timeline into the past, as if it had happened then."""
    for name in ("created_at", "respond_due_at", "resolve_due_at", "accepted_at", "first_resolved_at",
                 "resolved_at", "closed_at", "escalated_at"):
        value = getattr(order, name)
        if value is not None:
            setattr(order, name, clock.as_utc(value) - delta)
    # In Python, as the services write them (UTC datetimes): SQL `at - interval` is an integer on SQLite.
    for event in session.scalars(select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order.id)):
        event.at = clock.as_utc(event.at) - delta


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    if session.scalar(select(WorkOrder.id).limit(1)):
        return "already present"
    users = {u.username: u for u in session.scalars(select(User).where(
        User.username.in_(("owner", "manager", "inspector", "admin")))).all()}
    if len(users) < 4:
        return "skipped (no demo users)"
    manager, repairer, office, resident = users["manager"], users["inspector"], users["admin"], users["owner"]
    firm_id = session.scalar(select(ServiceContract.firm_id).join(Compound).order_by(Compound.id).limit(1))
    compound_ids = session.scalars(select(ServiceContract.compound_id).where(ServiceContract.firm_id == firm_id)
                                   .order_by(ServiceContract.compound_id)).all()
    units = {cid: session.scalars(select(Unit).where(Unit.compound_id == cid).limit(40)).all() for cid in compound_ids}
    now = clock.now_utc()
    counts = {"closed": 0, "open": 0, "rebounds": 0}
    for n in range(ORDERS[size]):
        compound_id = compound_ids[n % len(compound_ids)]
        unit = rng.choice(units[compound_id])
        category, text = rng.choice(PROBLEMS)
        hotline = rng.random() < 0.2
        place = {"building_id": unit.building_id} if category in ("lighting", "drain", "lift", "roof_leak") \
            else {"unit_id": unit.id}
        order = service.create_work_order(
            session, office if hotline else None, compound_id=compound_id,
            source="hotline_12345" if hotline else "staff", category=category, description=text,
            external_ref=f"12345-DEMO-{n:05d}" if hotline else None, reporter_phone=f"139{rng.randrange(10**7, 10**8)}",
            **place)
        if order.status != "new":  # joined an open order
            continue
        counts["rebounds"] += order.rebound_of_id is not None
        age = dt.timedelta(days=rng.uniform(0, 90))
        stage = rng.random()
        if stage > 0.1:
            service.transition_work_order(session, manager, order.id, "accepted")
            service.transition_work_order(session, manager, order.id, "assigned", assignee_id=repairer.id)
        if stage > 0.2:
            service.transition_work_order(session, repairer, order.id, "in_progress")
            service.transition_work_order(session, repairer, order.id, "resolved", note="已处理", photos=[_photo(rng)])
        if stage > 0.3:
            if rng.random() < 0.85:
                service.rate_work_order(session, office, order.id, rng.choices([5, 4, 3, 2], [60, 25, 10, 5])[0])
            else:
                order.resolved_at = clock.as_utc(order.resolved_at) - dt.timedelta(days=4)
                service.close_unconfirmed(session, now)
            counts["closed"] += 1
        else:
            counts["open"] += 1
        _shift(session, order, age)
    session.flush()
    service.escalate_overdue(session, now)
    followups.sample_follow_ups(session, now)
    first = session.get(Compound, compound_ids[0])
    notices.create_notice(session, manager, compound_id=first.id, kind="water_outage", title="二次供水水箱清洗停水",
                          body="请提前储水,给您带来不便敬请谅解。", starts_at=now - dt.timedelta(hours=2),
                          ends_at=now + dt.timedelta(hours=6))
    own_unit = scope.owned_unit_ids(session, resident)
    if own_unit:
        service.create_work_order(session, resident, compound_id=first.id, source="resident", category="water",
                                  description="家里没有水了", unit_id=own_unit[0], photos=[_photo(rng)])
    session.flush()
    return (f"{ORDERS[size]} reports in {len(compound_ids)} compounds: {counts['closed']} closed, {counts['open']} open, "
            f"{counts['rebounds']} rebounds")
