"""Property fees: arrears: the late fee, the aging report and the notices for a building.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import div_round_half_up
from pm_platform.core.naturalsort import unit_key
from pm_platform.fees.common import READ_ROLES, _compound_for
from pm_platform.fees.items import fee_settings
from pm_platform.fees.models import Bill
from pm_platform.places.models import Building, Compound, Owner, Ownership, Unit, unit_label


AGING_BUCKETS = ((30, "d0_30"), (90, "d31_90"), (180, "d91_180"), (365, "d181_365"), (None, "over_365"))


# --- arrears ----------------------------------------------------------------------------------

def late_fee_fen(owing_fen: int, days_overdue: int, per_10k_day: int) -> int:
    """滞纳金: owing × rate × days, rounded half-up, never more than the principal."""
    if per_10k_day <= 0 or days_overdue <= 0 or owing_fen <= 0:
        return 0
    return min(owing_fen, div_round_half_up(owing_fen * per_10k_day * days_overdue, 10_000))


@dataclass
class ArrearsRow:
    unit_id: int
    label: str
    buckets: dict[str, int]
    total: int
    late_fee: int = 0


@dataclass
class ArrearsReport:
    compound_id: int
    as_of: dt.date
    buckets: dict[str, int]
    total: int
    late_fee: int
    units: list[ArrearsRow] = field(default_factory=list)


def arrears_aging(session: Session, user: User | None, compound_id: int, as_of: dt.date,
                  building_id: int | None = None) -> ArrearsReport:
    """What is due and unpaid after the due date, by days overdue on `as_of`, per unit
    (`user` None: an operator's command).

    Balances are today's (payments made after `as_of` count as paid)."""
    _compound_for(session, user, compound_id, READ_ROLES)
    owing = Bill.amount_fen - Bill.waived_fen - Bill.paid_fen
    columns, previous = [], None
    for days, name in AGING_BUCKETS:
        # days overdue = as_of - due_on, 1.. ; bucket boundaries as dates keep this portable
        conditions = [Bill.due_on >= as_of - dt.timedelta(days=days)] if days else []
        if previous is not None:
            conditions.append(Bill.due_on < as_of - dt.timedelta(days=previous))
        columns.append(func.coalesce(func.sum(case((and_(*conditions), owing), else_=0)) if conditions
                                     else func.sum(owing), 0).label(name))
        previous = days
    filters = [Bill.compound_id == compound_id, Bill.due_on < as_of, owing > 0]
    if building_id is not None:
        filters.append(Bill.unit_id.in_(select(Unit.id).where(Unit.building_id == building_id)))
    per_unit = select(Bill.unit_id, *columns).where(*filters).group_by(Bill.unit_id).subquery()
    rows = session.execute(
        select(per_unit, Building.name, Unit.entrance, Unit.room)
        .join(Unit, Unit.id == per_unit.c.unit_id).join(Building, Building.id == Unit.building_id)
        .order_by(Building.name, Unit.entrance, Unit.floor, Unit.room)).all()
    rows.sort(key=lambda row: unit_key(*row[-3:]))  # "2栋" before "10栋"
    names = [name for _, name in AGING_BUCKETS]
    totals = [0] * len(names)
    report = ArrearsReport(compound_id, as_of, {}, 0, 0)
    for unit_id, *figures, building, entrance, room in rows:  # by position: tens of thousands of rows
        figures = [int(fen) for fen in figures]
        report.units.append(ArrearsRow(unit_id, unit_label(building, entrance, room), dict(zip(names, figures)),
                                       sum(figures)))
        totals = [total + fen for total, fen in zip(totals, figures)]
    report.buckets = dict(zip(names, totals))
    report.total = sum(totals)
    rate = fee_settings(session, compound_id).late_fee_per_10k_day
    if rate and report.units:
        fees: dict[int, int] = {}
        for unit_id, due_on, owed in session.execute(select(Bill.unit_id, Bill.due_on, owing).where(*filters)):
            fees[unit_id] = fees.get(unit_id, 0) + late_fee_fen(owed, (as_of - due_on).days, rate)
        for row in report.units:
            row.late_fee = fees.get(row.unit_id, 0)
        report.late_fee = sum(fees.values())
    return report


def overdue_bills(session: Session, unit_id: int, as_of: dt.date) -> list[Bill]:
    return list(session.scalars(select(Bill).where(Bill.unit_id == unit_id, Bill.due_on < as_of,
                                                   Bill.amount_fen - Bill.waived_fen - Bill.paid_fen > 0)
                                .order_by(Bill.due_on, Bill.id)))


def notices_context(session: Session, user: User, building_id: int, as_of: dt.date) -> dict:
    """催缴通知书 for every unit of a building with arrears: plain values, one page each."""
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("building {building} not found", building=building_id)
    report = arrears_aging(session, user, building.compound_id, as_of, building_id=building_id)
    if not report.units:
        raise ValidationError("no unit in this building is in arrears on that date", "building_id")
    compound = session.get(Compound, building.compound_id)
    from pm_platform.places.service import current_firm

    firm = current_firm(session, compound.id)
    rate = fee_settings(session, compound.id).late_fee_per_10k_day
    pages = []
    for row in report.units:
        owners = session.scalars(select(Owner.name).join(Ownership).where(Ownership.unit_id == row.unit_id)
                                 .order_by(Ownership.id)).all()
        bills = [{"period": b.period, "item": b.fee_item.name, "due_on": b.due_on.isoformat(),
                  "owing": b.owing_fen, "days": (as_of - b.due_on).days} for b in overdue_bills(session, row.unit_id, as_of)]
        pages.append({"unit": row.label, "owners": "、".join(owners), "bills": bills, "total": row.total,
                      "late_fee": row.late_fee})
    return {"compound": compound.name, "building": building.name, "firm": firm.name if firm else "",
            "as_of": as_of.isoformat(), "late_fee_rate": rate, "pages": pages}
