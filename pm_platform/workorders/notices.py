"""Notices to a compound, some buildings or some units; outage notices explain work orders.

A resident reporting a water fault during an announced water cut sees the notice at once: the
order is linked to it on creation.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Building, Unit
from pm_platform.workorders.models import (
    NOTICE_KINDS, OUTAGE_KINDS, Notice, NoticeBuilding, NoticeRead, NoticeUnit, NoticeWorkOrder, WorkOrder,
)

NOTICE_ROLES = {"admin", "street", "community", "firm_manager"}
OUTAGE_CATEGORIES = {"water_outage": {"water"}, "power_outage": {"power"}, "lift_outage": {"lift"}}


def create_notice(session: Session, actor: User, *, compound_id: int, kind: str, title: str, body: str = "",
                  starts_at: dt.datetime, ends_at: dt.datetime, building_ids=(), unit_ids=(),
                  work_order_ids=()) -> Notice:
    """Post a notice; with buildings or units it is addressed to those only."""
    scope.get_compound(session, actor, compound_id, NOTICE_ROLES)
    if kind not in NOTICE_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(NOTICE_KINDS))
    if not title or not title.strip() or len(title) > 200:
        raise ValidationError("give a title of at most 200 characters", "title")
    if clock.as_utc(ends_at) < clock.as_utc(starts_at):
        raise ValidationError("the notice ends before it starts", "ends_at")
    building_ids, unit_ids = sorted(set(building_ids or ())), sorted(set(unit_ids or ()))
    if building_ids and unit_ids:
        raise ValidationError("address a notice to buildings or to units, not both", "unit_ids")
    for model, ids, field in ((Building, building_ids, "building_ids"), (Unit, unit_ids, "unit_ids")):
        found = session.scalar(select(func.count()).select_from(model)
                               .where(model.id.in_(ids), model.compound_id == compound_id)) if ids else 0
        if found != len(ids):
            raise ValidationError("some of these places are not in this compound", field)
    notice = Notice(compound_id=compound_id, kind=kind, title=title, body=body or "",
                    target="buildings" if building_ids else "units" if unit_ids else "compound",
                    starts_at=clock.as_utc(starts_at), ends_at=clock.as_utc(ends_at), author_id=actor.id)
    notice.buildings = [NoticeBuilding(building_id=i) for i in building_ids]
    notice.units = [NoticeUnit(unit_id=i) for i in unit_ids]
    session.add(notice)
    session.flush()
    for work_order_id in work_order_ids or ():
        order = session.get(WorkOrder, work_order_id)
        if order is None or order.compound_id != compound_id:
            raise ValidationError("work order {order} is not in this compound", "work_order_ids", order=work_order_id)
        _link(session, notice, order)
    session.flush()
    return notice


def _link(session: Session, notice: Notice, order: WorkOrder) -> None:
    if not session.scalar(select(NoticeWorkOrder.id).where(NoticeWorkOrder.notice_id == notice.id,
                                                           NoticeWorkOrder.work_order_id == order.id)):
        session.add(NoticeWorkOrder(notice_id=notice.id, work_order_id=order.id))


def _addressed_to(unit_ids: list[int], building_ids: list[int]):
    """Condition on Notice: addressed to the whole compound, one of these buildings or units."""
    return or_(Notice.target == "compound",
               exists().where(NoticeBuilding.notice_id == Notice.id, NoticeBuilding.building_id.in_(building_ids)),
               exists().where(NoticeUnit.notice_id == Notice.id, NoticeUnit.unit_id.in_(unit_ids)))


def active_outages(session: Session, compound_id: int, unit_id: int | None, building_id: int | None,
                   category: str | None = None, now: dt.datetime | None = None) -> list[Notice]:
    now = now or clock.now_utc()
    kinds = [kind for kind in OUTAGE_KINDS if category is None or category in OUTAGE_CATEGORIES[kind]]
    if not kinds:
        return []
    return list(session.scalars(
        select(Notice).where(Notice.compound_id == compound_id, Notice.kind.in_(kinds), Notice.starts_at <= now,
                             Notice.ends_at >= now,
                             _addressed_to([unit_id] if unit_id else [], [building_id] if building_id else []))
        .order_by(Notice.starts_at)
    ))


def link_to_outages(session: Session, order: WorkOrder) -> list[Notice]:
    """Link a new order to the announced outages that explain it."""
    found = active_outages(session, order.compound_id, order.unit_id, order.building_id, order.category)
    for notice in found:
        _link(session, notice, order)
    return found


def notices_for_order(session: Session, order: WorkOrder) -> list[Notice]:
    return list(session.scalars(select(Notice).join(NoticeWorkOrder, NoticeWorkOrder.notice_id == Notice.id)
                                .where(NoticeWorkOrder.work_order_id == order.id)))


def _own_places(session: Session, user: User) -> tuple[list[int], list[int], list[int]]:
    unit_ids = scope.owned_unit_ids(session, user)
    rows = session.execute(select(Unit.compound_id, Unit.building_id).where(Unit.id.in_(unit_ids))).all()
    return unit_ids, sorted({r[1] for r in rows}), sorted({r[0] for r in rows})


def notices_for_resident(session: Session, user: User, now: dt.datetime | None = None) -> list[Notice]:
    """Current and coming notices addressed to the resident's units, buildings or compounds."""
    now = now or clock.now_utc()
    unit_ids, building_ids, compound_ids = _own_places(session, user)
    return list(session.scalars(
        select(Notice).where(Notice.compound_id.in_(compound_ids), Notice.ends_at >= now,
                             Notice.compound_id.in_(scope.compound_ids(session, user, {"owner"})),
                             _addressed_to(unit_ids, building_ids))
        .order_by(Notice.starts_at.desc())
    ))


def notices_for_staff(session: Session, user: User, limit: int = 100) -> list[Notice]:
    return list(session.scalars(
        select(Notice).where(Notice.compound_id.in_(scope.compound_ids(session, user, scope.STAFF_ROLES)))
        .order_by(Notice.starts_at.desc()).limit(limit)))


def get_notice(session: Session, user: User, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is not None:
        staff = scope.roles_on(session, user, notice.compound_id) & scope.STAFF_ROLES
        if staff or notice in notices_for_resident(session, user, now=notice.ends_at):
            return notice
    raise NotFound("notice {notice} not found", notice=notice_id)


def mark_read(session: Session, user: User, notice_id: int) -> NoticeRead:
    """Record that a user read a notice (once; reading again changes nothing)."""
    notice = get_notice(session, user, notice_id)
    read = session.scalar(select(NoticeRead).where(NoticeRead.notice_id == notice.id, NoticeRead.user_id == user.id))
    if read is None:
        read = NoticeRead(notice_id=notice.id, user_id=user.id, read_at=clock.now_utc())
        session.add(read)
        session.flush()
    return read


def has_read(session: Session, user: User, notice_id: int) -> bool:
    return bool(session.scalar(select(NoticeRead.id).where(NoticeRead.notice_id == notice_id,
                                                           NoticeRead.user_id == user.id)))


def unread_notices(session: Session, user: User, now: dt.datetime | None = None) -> list[Notice]:
    """The resident's current and coming notices they have not marked as read."""
    read = set(session.scalars(select(NoticeRead.notice_id).where(NoticeRead.user_id == user.id)))
    return [n for n in notices_for_resident(session, user, now) if n.id not in read]


def readers(session: Session, user: User, notice_id: int) -> list[tuple[User, dt.datetime]]:
    """Who has read a notice (for the staff who posted it)."""
    notice = get_notice(session, user, notice_id)
    scope.get_compound(session, user, notice.compound_id, scope.STAFF_ROLES)
    return [tuple(row) for row in session.execute(
        select(User, NoticeRead.read_at).join(NoticeRead, NoticeRead.user_id == User.id)
        .where(NoticeRead.notice_id == notice.id).order_by(NoticeRead.read_at))]
