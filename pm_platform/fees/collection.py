"""Property fees: the collection rate (figures per compound for a month and the year to date,
the overview) and the compound's bills and payments for export.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.core.naturalsort import unit_key
from pm_platform.fees.common import READ_ROLES
from pm_platform.fees.models import Bill, FeeItem, Payment
from pm_platform.places import scope
from pm_platform.places.models import Building, Compound, Unit, unit_label


# --- collection rate --------------------------------------------------------------------------

@dataclass(frozen=True)
class CollectionFigures:
    """Bills due in a month (net of waivers) and what has been paid on them."""

    billed_fen: int = 0
    paid_fen: int = 0

    @property
    def rate(self) -> float | None:
        return self.paid_fen / self.billed_fen if self.billed_fen else None


def _figures(session: Session, compound_ids: list[int], start: dt.date, end: dt.date) -> dict[int, CollectionFigures]:
    figures = dict.fromkeys(compound_ids, CollectionFigures())
    if compound_ids:
        rows = session.execute(
            select(Bill.compound_id, func.sum(Bill.amount_fen - Bill.waived_fen), func.sum(Bill.paid_fen))
            .where(Bill.compound_id.in_(compound_ids), Bill.due_on >= start, Bill.due_on < end)
            .group_by(Bill.compound_id)).all()
        for compound_id, billed, paid in rows:
            figures[compound_id] = CollectionFigures(int(billed or 0), int(paid or 0))
    return figures


def collection_figures(session: Session, compound_ids: list[int], period: str) -> dict[int, CollectionFigures]:
    """For scoring: per compound, billed and paid for the bills due in `period` (an entry for
    every id asked, zeros if none)."""
    start, end = clock.period_bounds(period)
    return _figures(session, list(compound_ids), start, end)


def collection_figures_ytd(session: Session, compound_ids: list[int], period: str) -> dict[int, CollectionFigures]:
    """The same from January of that year through `period`."""
    start, end = clock.period_bounds(period)
    return _figures(session, list(compound_ids), start.replace(month=1), end)


def compound_collection_rate(session: Session, user: User, compound_id: int, period: str) -> dict:
    """One compound's collection rate for a month and the year to date, for someone who may read
    its fees (the API's answer)."""
    scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    month = collection_figures(session, [compound_id], period)[compound_id]
    ytd = collection_figures_ytd(session, [compound_id], period)[compound_id]
    return {"compound_id": compound_id, "period": period, "billed_fen": month.billed_fen,
            "paid_fen": month.paid_fen, "rate": month.rate, "ytd_billed_fen": ytd.billed_fen,
            "ytd_paid_fen": ytd.paid_fen, "ytd_rate": ytd.rate}


def collection_records(session: Session, compound_id: int, period: str) -> list[dict]:
    """The bills behind a compound's collection figures for `period`."""
    start, end = clock.period_bounds(period)
    bills = session.execute(
        select(Bill, FeeItem.name, Building.name, Unit.entrance, Unit.room)
        .join(FeeItem, FeeItem.id == Bill.fee_item_id).join(Unit, Unit.id == Bill.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .where(Bill.compound_id == compound_id, Bill.due_on >= start, Bill.due_on < end)
        .order_by(Building.name, Unit.entrance, Unit.room, Bill.id)).all()
    bills.sort(key=lambda row: unit_key(*row[2:]))
    return [{"id": bill.id, "label": f"{unit_label(building, entrance, room)} {item} {bill.period}",
             "status": bill.status, "at": bill.due_on, "billed_fen": bill.amount_fen - bill.waived_fen,
             "paid_fen": bill.paid_fen} for bill, item, building, entrance, room in bills]


def collection_overview(session: Session, user: User, period: str) -> list[dict]:
    """The compounds the user oversees, each with its month and year-to-date figures, plus the
    total per firm (for the firm's and the community office's pages)."""
    from pm_platform.places.service import current_firm

    clock.parse_period(period)
    compounds = list(session.scalars(select(Compound).where(Compound.id.in_(scope.compound_ids(session, user, READ_ROLES)))
                                     .order_by(Compound.id)))
    ids = [c.id for c in compounds]
    month, ytd = collection_figures(session, ids, period), collection_figures_ytd(session, ids, period)
    return [{"compound": c, "firm": current_firm(session, c.id), "month": month[c.id], "ytd": ytd[c.id]}
            for c in compounds]


def sum_figures(figures) -> CollectionFigures:
    figures = list(figures)
    return CollectionFigures(sum(f.billed_fen for f in figures), sum(f.paid_fen for f in figures))


# --- exports ------------------------------------------------------------------------------------

def compound_bills(session: Session, user: User, compound_id: int, period: str | None = None):
    scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    query = (select(Bill, FeeItem.name, Building.name, Unit.entrance, Unit.room)
             .join(FeeItem, FeeItem.id == Bill.fee_item_id).join(Unit, Unit.id == Bill.unit_id)
             .join(Building, Building.id == Unit.building_id).where(Bill.compound_id == compound_id))
    if period:
        query = query.where(Bill.period == clock.parse_period(period))
    rows = session.execute(query.order_by(Bill.period, Building.name, Unit.entrance, Unit.room, Bill.id)).all()
    return sorted(rows, key=lambda row: (row[0].period, unit_key(*row[2:])))


def compound_payments(session: Session, user: User, compound_id: int, period: str | None = None):
    scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    query = (select(Payment, Building.name, Unit.entrance, Unit.room).join(Unit, Unit.id == Payment.unit_id)
             .join(Building, Building.id == Unit.building_id).where(Payment.compound_id == compound_id))
    if period:
        start, end = clock.period_bounds(period)
        query = query.where(Payment.paid_at >= clock.local_midnight_utc(start),
                            Payment.paid_at < clock.local_midnight_utc(end))
    return session.execute(query.order_by(Payment.id))
