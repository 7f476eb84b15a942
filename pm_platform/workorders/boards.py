"""The lists people work from: the repairer's phone list, the firm manager's queue, the
community office's board, a resident's own orders and the public state of their building."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import NotFound
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Unit
from pm_platform.workorders.models import OPEN_STATUSES, WorkOrder, WorkOrderReport
from pm_platform.workorders.service import DISPATCH_ROLES, overdue_since

LIMIT = 200
RECENT_DAYS = 30
# The lowest escalation level each role's board shows.
ESCALATION_SEEN_FROM = {"firm_manager": 1, "community": 2, "street": 3, "bureau": 1, "admin": 1}


def is_overdue(order: WorkOrder, now: dt.datetime | None = None) -> bool:
    since = overdue_since(order)
    return since is not None and since < (now or clock.now_utc())


def repairer_board(session: Session, user: User) -> list[WorkOrder]:
    """What is assigned to me and not yet closed, most urgent deadline first."""
    return list(session.scalars(
        select(WorkOrder).where(WorkOrder.assignee_id == user.id,
                                WorkOrder.compound_id.in_(scope.compound_ids(session, user, scope.FIRM_ROLES)),
                                WorkOrder.status.in_((*OPEN_STATUSES, "resolved")))
        .order_by(WorkOrder.resolve_due_at, WorkOrder.id).limit(LIMIT)))


def manager_queue(session: Session, user: User) -> list[WorkOrder]:
    """Open orders of the compounds I dispatch for, by resolve deadline."""
    return list(session.scalars(
        select(WorkOrder).where(WorkOrder.compound_id.in_(scope.compound_ids(session, user, DISPATCH_ROLES)),
                                WorkOrder.status.in_(OPEN_STATUSES))
        .order_by(WorkOrder.resolve_due_at, WorkOrder.id).limit(LIMIT)))


def office_board(session: Session, user: User, now: dt.datetime | None = None) -> dict[str, list[WorkOrder]]:
    """Overdue, escalated (to my level or beyond), rebounding and unconfirmed orders."""
    now = now or clock.now_utc()
    roles = scope.roles_of(session, user)
    in_scope = WorkOrder.compound_id.in_(scope.compound_ids(session, user, scope.OFFICE_ROLES | {"firm_manager"}))
    seen_from = min((ESCALATION_SEEN_FROM[r] for r in roles if r in ESCALATION_SEEN_FROM), default=3)
    recent = now - dt.timedelta(days=RECENT_DAYS)
    open_orders = session.scalars(select(WorkOrder).where(in_scope, WorkOrder.status.in_(OPEN_STATUSES))
                                  .order_by(WorkOrder.resolve_due_at, WorkOrder.id)).all()
    return {
        "overdue": [o for o in open_orders if is_overdue(o, now)][:LIMIT],
        "escalated": [o for o in open_orders if o.escalation_level >= seen_from][:LIMIT],
        "rebounding": list(session.scalars(
            select(WorkOrder).where(in_scope, WorkOrder.rebound_of_id.is_not(None),
                                    or_(WorkOrder.status.in_(OPEN_STATUSES), WorkOrder.created_at >= recent))
            .order_by(WorkOrder.created_at.desc()).limit(LIMIT))),
        "unconfirmed": list(session.scalars(
            select(WorkOrder).where(in_scope, WorkOrder.close_kind == "unconfirmed", WorkOrder.closed_at >= recent)
            .order_by(WorkOrder.closed_at.desc()).limit(LIMIT))),
    }


def resident_orders(session: Session, user: User) -> list[WorkOrder]:
    """Orders I reported (or joined as a further reporter), newest first."""
    mine = select(WorkOrderReport.work_order_id).where(WorkOrderReport.reporter_id == user.id)
    return list(session.scalars(
        select(WorkOrder).where(WorkOrder.id.in_(mine),
                                WorkOrder.compound_id.in_(scope.compound_ids(session, user, {"owner"})))
        .order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(LIMIT)))


def building_public_state(session: Session, user: User, building_id: int) -> list[dict]:
    """The open orders about my building as neighbours may see them: what, since when, where it
    stands; never who reported it or what they wrote."""
    buildings = session.scalars(select(Unit.building_id).where(Unit.id.in_(scope.owned_unit_ids(session, user)))).all()
    if building_id not in buildings:
        raise NotFound("building {building} not found", building=building_id)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.building_id == building_id, WorkOrder.unit_id.is_(None),
                                                     WorkOrder.status.in_((*OPEN_STATUSES, "resolved")))
                             .order_by(WorkOrder.created_at.desc()).limit(LIMIT))
    return [{"id": o.id, "category": o.category, "status": o.status, "created_at": o.created_at} for o in orders]
