"""Monthly work-order figures per compound (optionally one firm's share), for scoring.

Every rate is an integer numerator and denominator; nothing here is a float. Definitions:
- response / resolution within deadline: orders whose respond (resolve) deadline fell in the
  month and has passed or been met; on time when accepted (first resolved) by the deadline.
- satisfaction: of orders closed with a rating in the month, (satisfied + 0.9 × basically
  satisfied) ÷ rated, 5★ = satisfied, 4★ = basically satisfied; kept as (10·s + 9·b) ÷ 10·rated.
- rebound: rebounds reported in the month ÷ orders closed in the month; a rebound counts
  against the compound and firm that closed the earlier order.
- reopen: orders reopened in the month ÷ orders resolved in the month (distinct orders).
- closed without fix: follow-up visits in the month finding the problem still there ÷ visits.
- median time to resolve: seconds from report to the last resolution, orders closed in the month.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from pm_platform.core import clock
from pm_platform.workorders.models import FollowUpVisit, WorkOrder, WorkOrderEvent


@dataclass
class WorkOrderFigures:
    received: int = 0
    responses_due: int = 0
    responded_on_time: int = 0
    resolutions_due: int = 0
    resolved_on_time: int = 0
    closed: int = 0
    closed_unconfirmed: int = 0
    rated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    rebounds: int = 0
    resolved: int = 0
    reopened: int = 0
    follow_ups: int = 0
    closed_not_fixed: int = 0
    resolve_seconds: list[int] = field(default_factory=list, repr=False)

    @property
    def satisfaction_numerator(self) -> int:
        return 10 * self.satisfied + 9 * self.basically_satisfied

    @property
    def satisfaction_denominator(self) -> int:
        return 10 * self.rated

    @property
    def median_resolve_seconds(self) -> int | None:
        values = sorted(self.resolve_seconds)
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) // 2

    def ratios(self) -> dict[str, tuple[int, int]]:
        """Each rate as (numerator, denominator); a zero denominator means "nothing to rate"."""
        return {
            "response_on_time": (self.responded_on_time, self.responses_due),
            "resolution_on_time": (self.resolved_on_time, self.resolutions_due),
            "satisfaction": (self.satisfaction_numerator, self.satisfaction_denominator),
            "rebound": (self.rebounds, self.closed),
            "reopen": (self.reopened, self.resolved),
            "closed_without_fix": (self.closed_not_fixed, self.follow_ups),
        }

    def rate(self, name: str) -> Fraction | None:
        numerator, denominator = self.ratios()[name]
        return Fraction(numerator, denominator) if denominator else None


def _bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    start, end = clock.period_bounds(period)
    return clock.local_midnight_utc(start), clock.local_midnight_utc(end)


def _firm(column, firm_id):
    return true() if firm_id is None else column == firm_id


def workorder_figures(session: Session, compound_ids: list[int], period: str,
                      firm_id: int | None = None) -> dict[int, WorkOrderFigures]:
    """Figures for each compound asked (zeros where nothing happened). With `firm_id`, only
    what that firm handled (deadlines of orders it was serving, closures it made)."""
    start, end = _bounds(period)
    now = clock.now_utc()
    figures = {compound_id: WorkOrderFigures() for compound_id in compound_ids}
    if not compound_ids:
        return figures
    in_compounds = WorkOrder.compound_id.in_(compound_ids)
    served = _firm(WorkOrder.firm_id, firm_id)
    closer = _firm(WorkOrder.closed_firm_id, firm_id)

    for order in session.scalars(select(WorkOrder).where(in_compounds, or_(
            and_(served, WorkOrder.created_at >= start, WorkOrder.created_at < end),
            and_(served, WorkOrder.respond_due_at >= start, WorkOrder.respond_due_at < end),
            and_(served, WorkOrder.resolve_due_at >= start, WorkOrder.resolve_due_at < end),
            and_(closer, WorkOrder.closed_at >= start, WorkOrder.closed_at < end)))):
        f = figures[order.compound_id]
        firm_ok = firm_id is None or order.firm_id == firm_id
        if firm_ok and start <= clock.as_utc(order.created_at) < end:
            f.received += 1
        respond_due = clock.as_utc(order.respond_due_at)
        if firm_ok and start <= respond_due < end:
            accepted = clock.as_utc(order.accepted_at) if order.accepted_at else None
            if accepted is not None or respond_due < now:
                f.responses_due += 1
                f.responded_on_time += accepted is not None and accepted <= respond_due
        resolve_due = clock.as_utc(order.resolve_due_at)
        if firm_ok and start <= resolve_due < end:
            resolved = clock.as_utc(order.first_resolved_at) if order.first_resolved_at else None
            if resolved is not None or resolve_due < now:
                f.resolutions_due += 1
                f.resolved_on_time += resolved is not None and resolved <= resolve_due
        closed_at = clock.as_utc(order.closed_at) if order.closed_at else None
        if closed_at and start <= closed_at < end and (firm_id is None or order.closed_firm_id == firm_id):
            f.closed += 1
            f.closed_unconfirmed += order.close_kind == "unconfirmed"
            if order.rating is not None:
                f.rated += 1
                f.satisfied += order.rating == 5
                f.basically_satisfied += order.rating == 4
            if order.resolved_at is not None:
                f.resolve_seconds.append(int((clock.as_utc(order.resolved_at) - clock.as_utc(order.created_at))
                                             .total_seconds()))

    earlier = aliased(WorkOrder)
    rebounds = (select(earlier.compound_id, func.count()).select_from(WorkOrder)
                .join(earlier, WorkOrder.rebound_of_id == earlier.id)
                .where(earlier.compound_id.in_(compound_ids), WorkOrder.created_at >= start,
                       WorkOrder.created_at < end, _firm(earlier.closed_firm_id, firm_id))
                .group_by(earlier.compound_id))
    for compound_id, n in session.execute(rebounds):
        figures[compound_id].rebounds = n

    for kind, attribute in (("resolved", "resolved"), ("reopened", "reopened")):
        rows = session.execute(
            select(WorkOrder.compound_id, func.count(func.distinct(WorkOrder.id)))
            .join(WorkOrderEvent, WorkOrderEvent.work_order_id == WorkOrder.id)
            .where(in_compounds, served, WorkOrderEvent.kind == kind, WorkOrderEvent.at >= start,
                   WorkOrderEvent.at < end).group_by(WorkOrder.compound_id))
        for compound_id, n in rows:
            setattr(figures[compound_id], attribute, n)

    visits = session.execute(
        select(FollowUpVisit.compound_id, FollowUpVisit.is_fixed, func.count())
        .join(WorkOrder, WorkOrder.id == FollowUpVisit.work_order_id)
        .where(FollowUpVisit.compound_id.in_(compound_ids), closer, FollowUpVisit.visited_at >= start,
               FollowUpVisit.visited_at < end)
        .group_by(FollowUpVisit.compound_id, FollowUpVisit.is_fixed))
    for compound_id, is_fixed, n in visits:
        figures[compound_id].follow_ups += n
        if not is_fixed:
            figures[compound_id].closed_not_fixed += n
    return figures


def workorder_records(session: Session, compound_id: int, period: str) -> list[dict]:
    """The orders behind a compound's figures for a month: reported, due, or closed in it."""
    start, end = _bounds(period)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.compound_id == compound_id, or_(
        and_(WorkOrder.created_at >= start, WorkOrder.created_at < end),
        and_(WorkOrder.respond_due_at >= start, WorkOrder.respond_due_at < end),
        and_(WorkOrder.resolve_due_at >= start, WorkOrder.resolve_due_at < end),
        and_(WorkOrder.closed_at >= start, WorkOrder.closed_at < end))).order_by(WorkOrder.created_at, WorkOrder.id))
    not_fixed = set(session.scalars(select(FollowUpVisit.work_order_id).where(
        FollowUpVisit.compound_id == compound_id, FollowUpVisit.is_fixed.is_(False),
        FollowUpVisit.visited_at >= start, FollowUpVisit.visited_at < end)))
    records = []
    for order in orders:
        accepted = clock.as_utc(order.accepted_at) if order.accepted_at else None
        resolved = clock.as_utc(order.first_resolved_at) if order.first_resolved_at else None
        records.append({
            "id": order.id, "label": f"#{order.id} {order.category}", "status": order.status,
            "at": clock.as_utc(order.created_at), "source": order.source, "category": order.category,
            "priority": order.priority, "firm_id": order.firm_id, "closed_firm_id": order.closed_firm_id,
            "responded_on_time": accepted is not None and accepted <= clock.as_utc(order.respond_due_at),
            "resolved_on_time": resolved is not None and resolved <= clock.as_utc(order.resolve_due_at),
            "closed_at": clock.as_utc(order.closed_at) if order.closed_at else None,
            "close_kind": order.close_kind, "rating": order.rating, "rebound_of": order.rebound_of_id,
            "has_rebounded": order.has_rebounded, "reopen_count": order.reopen_count,
            "escalation_level": order.escalation_level, "closed_not_fixed": order.id in not_fixed,
        })
    return records
