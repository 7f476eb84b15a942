"""Follow-up visits (回访): each week the community office visits a sample of the orders closed
the week before; "closed but not fixed" reopens the order and is counted."""
from __future__ import annotations

import datetime as dt
import math
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock, locks
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.workorders.models import FollowUpVisit, WorkOrder
from pm_platform.workorders.service import FOLLOW_UP_ROLES, _event, _move, setting


def week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def sample_follow_ups(session: Session, now: dt.datetime | None = None) -> int:
    """Sample last week's (Monday–Sunday, Shanghai) closed orders in every compound. The sample
    of a compound and week is drawn once; running again adds nothing."""
    locks.serialize(session, "workorders.sample_follow_ups")
    now = now or clock.now_utc()
    today = clock.to_local(now).date()
    monday = today - dt.timedelta(days=today.weekday())
    start, end = monday - dt.timedelta(days=7), monday
    week = week_label(start)
    percent = setting("WORKORDER_FOLLOWUP_PERCENT")
    closed = session.execute(
        select(WorkOrder.compound_id, WorkOrder.id).where(
            WorkOrder.status == "closed", WorkOrder.closed_at >= clock.local_midnight_utc(start),
            WorkOrder.closed_at < clock.local_midnight_utc(end)).order_by(WorkOrder.id)
    ).all()
    sampled_compounds = set(session.scalars(select(FollowUpVisit.compound_id).where(FollowUpVisit.week == week)))
    by_compound: dict[int, list[int]] = {}
    for compound_id, order_id in closed:
        by_compound.setdefault(compound_id, []).append(order_id)
    added = 0
    for compound_id, order_ids in sorted(by_compound.items()):
        if compound_id in sampled_compounds:
            continue
        size = math.ceil(len(order_ids) * percent / 100)
        # seeded by week and compound, so the draw is reproducible and cannot be steered
        for order_id in random.Random(f"{week}:{compound_id}").sample(order_ids, size):
            session.add(FollowUpVisit(work_order_id=order_id, compound_id=compound_id, week=week, sampled_at=now))
            added += 1
    session.flush()
    return added


def pending_follow_ups(session: Session, user: User) -> list[FollowUpVisit]:
    return list(session.scalars(
        select(FollowUpVisit).where(FollowUpVisit.visited_at.is_(None),
                                    FollowUpVisit.compound_id.in_(scope.compound_ids(session, user, FOLLOW_UP_ROLES)))
        .order_by(FollowUpVisit.sampled_at, FollowUpVisit.id)))


def record_follow_up(session: Session, actor: User, visit_id: int, is_fixed: bool, note: str = "") -> FollowUpVisit:
    visit = session.get(FollowUpVisit, visit_id)
    if visit is None or not scope.roles_on(session, actor, visit.compound_id) & scope.STAFF_ROLES:
        raise NotFound("follow-up visit {visit} not found", visit=visit_id)
    scope.get_compound(session, actor, visit.compound_id, FOLLOW_UP_ROLES)
    if visit.visited_at is not None:
        raise Conflict("this visit has already been recorded")
    if not isinstance(is_fixed, bool):
        raise ValidationError("say whether the problem is gone", "is_fixed")
    if not is_fixed and not (note or "").strip():
        raise ValidationError("say what is still wrong", "note")
    visit.visited_at, visit.visitor_id, visit.is_fixed, visit.note = clock.now_utc(), actor.id, is_fixed, note or ""
    order = visit.work_order
    _event(session, order, "follow_up", actor, note=note or "", data={"is_fixed": is_fixed, "visit": visit.id})
    if not is_fixed and order.status == "closed":
        order.reopen_count += 1
        order.resolved_at = None
        _move(session, order, "reopened", actor, "reopened", note, {"by": "follow_up"})
    session.flush()
    return visit
