"""Property fees: billing runs (a period's bills for a compound, a street or a district) and
waivers (requested by a clerk, decided by the community office, applied to the bills).
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Integer, String, and_, func, literal, or_, select, true, update
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock, outbox
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import area_charge_fen, div_round_half_up
from pm_platform.fees.common import (
    APPROVE_ROLES, CLERK_ROLES, MANAGE_ROLES, READ_ROLES, _compound_for, _dialect_insert, _unit_for_staff,
)
from pm_platform.fees.items import bills_in_period, rate_for
from pm_platform.fees.models import CYCLE_MONTHS, AreaCharge, Bill, BillingRun, FeeItem, Waiver
from pm_platform.fees.receipts import _apply_credits
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Compound, Unit


# --- billing runs -----------------------------------------------------------------------------

def start_billing_run(session: Session, actor: User | None, scope_kind: str, scope_id: int, period: str) -> BillingRun:
    """Record a run and queue its job (fees.run_billing). `actor` None: the monthly schedule
    or an operator's command."""
    clock.parse_period(period)
    if scope_kind == "compound":
        _compound_for(session, actor, scope_id, MANAGE_ROLES)
    elif scope_kind in ("street", "district"):
        area = session.get(AdminArea, scope_id)
        if area is None or area.kind != scope_kind or (
                actor is not None and not scope.covers_area(session, actor, area, roles={"admin", "bureau", "street"})):
            raise NotFound("{kind} {area} not found", kind=scope_kind, area=scope_id)
    else:
        raise ValidationError("scope must be compound, street or district", "scope_kind")
    run = BillingRun(scope_kind=scope_kind, scope_id=scope_id, period=period, status="queued",
                     requested_by=actor.id if actor else None)
    session.add(run)
    session.flush()
    outbox.enqueue(session, "fees.run_billing", run.id)
    return run


def get_billing_run(session: Session, user: User, run_id: int) -> BillingRun:
    run = session.get(BillingRun, run_id)
    ids = set(session.scalars(scope.compound_ids(session, user, READ_ROLES)))
    if run is None or not ids & set(_run_compound_ids(session, run)):
        raise NotFound("billing run {run} not found", run=run_id)
    return run


def list_billing_runs(session: Session, user: User, compound_id: int, limit: int = 20) -> list[BillingRun]:
    compound = scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    covers = or_(and_(BillingRun.scope_kind == "compound", BillingRun.scope_id == compound.id),
                 and_(BillingRun.scope_kind == "street", BillingRun.scope_id == compound.street_id),
                 and_(BillingRun.scope_kind == "district", BillingRun.scope_id == compound.district_id))
    return list(session.scalars(select(BillingRun).where(covers).order_by(BillingRun.id.desc()).limit(limit)))


def _run_compound_ids(session: Session, run: BillingRun) -> list[int]:
    column = {"compound": Compound.id, "street": Compound.street_id, "district": Compound.district_id}[run.scope_kind]
    return list(session.scalars(select(Compound.id).where(column == run.scope_id).order_by(Compound.id)))


def execute_billing_run(session: Session, run_id: int) -> BillingRun:
    """Bill every compound of the run. Safe to run again, whole or after a crash: a bill is
    unique per (unit, fee item, period) and the insert skips the ones that exist."""
    run = session.get(BillingRun, run_id)
    if run is None:
        raise NotFound("billing run {run} not found", run=run_id)
    run.status, run.started_at, run.attempts = "running", clock.now_utc(), run.attempts + 1
    run.bills_created = run.compounds_done = 0
    for compound_id in _run_compound_ids(session, run):
        run.bills_created += bill_compound(session, compound_id, run.period, run.id)
        run.compounds_done += 1
    run.status, run.finished_at, run.error = "done", clock.now_utc(), ""
    session.flush()
    audit.record(session, None, "billing_run.done", "billing_run", run.id,
                 {"scope": f"{run.scope_kind}:{run.scope_id}", "period": run.period,
                  "bills_created": run.bills_created, "compounds": run.compounds_done})
    return run


def mark_billing_run_failed(session: Session, run_id: int, error: str) -> None:
    session.execute(update(BillingRun).where(BillingRun.id == run_id, BillingRun.status != "done")
                    .values(status="failed", error=error[:500], finished_at=clock.now_utc()))


def bill_compound(session: Session, compound_id: int, period: str, run_id: int | None = None) -> int:
    """Create the missing bills of one compound for one period, set-based; returns how many.

    Units without an owner are billed too (the owner of record, often the developer, owes the
    fee); approved waivers are applied to the new bills, then any prepayment credit."""
    year, month = int(period[:4]), int(period[5:7])
    created = 0
    items = session.scalars(select(FeeItem).where(FeeItem.compound_id == compound_id, FeeItem.is_active)
                            .order_by(FeeItem.id)).all()
    for item in items:
        rate = rate_for(item, period)
        if rate is None or not bills_in_period(item.cycle, period):
            continue
        months = CYCLE_MONTHS[item.cycle]
        units = select(Unit).where(Unit.compound_id == compound_id)
        if item.applies_to != "all":
            units = units.where(Unit.use == item.applies_to)
        units = units.subquery()
        if item.kind == "per_area":
            _memo_area_charges(session, select(units.c.area_cm2).subquery(), rate, months)
            # a primary-key lookup per unit, not a join: right after the memo is filled the planner
            # still believes the table empty and would scan it once per unit
            source, amount = units, select(AreaCharge.amount_fen).where(
                AreaCharge.area_cm2 == units.c.area_cm2, AreaCharge.rate_fen == rate,
                AreaCharge.months == months).scalar_subquery()
        else:
            source, amount = units, literal(rate * months, BigInteger)
        rows = select(
            units.c.compound_id, units.c.id, literal(item.id, Integer), literal(period, String), literal(months, Integer),
            units.c.area_cm2, literal(rate, BigInteger), amount, literal(0, BigInteger), literal(0, BigInteger),
            literal(dt.date(year, month, item.due_day), Date), literal(run_id, Integer),
        ).select_from(source).where(true())  # SQLite parses ON CONFLICT after INSERT … SELECT only behind a WHERE
        statement = _dialect_insert(session, Bill).from_select(
            ["compound_id", "unit_id", "fee_item_id", "period", "months", "area_cm2", "rate_fen", "amount_fen",
             "waived_fen", "paid_fen", "due_on", "billing_run_id"], rows,
        ).on_conflict_do_nothing(index_elements=["unit_id", "fee_item_id", "period"])
        # rowcount of an INSERT is kept only when asked for (it is the count of bills created)
        created += session.execute(statement, execution_options={"preserve_rowcount": True}).rowcount
    if created:
        _apply_waivers(session, select(Bill).where(Bill.compound_id == compound_id, Bill.period == period,
                                                   Bill.waived_fen == 0, Bill.paid_fen == 0))
        _apply_credits(session, compound_id)
    session.flush()
    return created


def _memo_area_charges(session: Session, areas, rate: int, months: int) -> None:
    """Add the (area, rate, months) charges a billing insert will join to, each computed by
    core.money.area_charge_fen: the one place where fee rounding happens. `areas` is a
    one-column subquery of floor areas."""
    known = select(AreaCharge.area_cm2).where(AreaCharge.rate_fen == rate, AreaCharge.months == months)
    missing = session.scalars(select(areas.c.area_cm2).distinct().where(areas.c.area_cm2.not_in(known))).all()
    if missing:
        rows = [{"area_cm2": area, "rate_fen": rate, "months": months,
                 "amount_fen": area_charge_fen(area, rate, months)} for area in missing]
        session.execute(_dialect_insert(session, AreaCharge).on_conflict_do_nothing(), rows)


# --- waivers --------------------------------------------------------------------------------

def request_waiver(session: Session, actor: User, unit_id: int, *, percent: int, from_period: str, to_period: str,
                   reason: str, fee_item_id: int | None = None) -> Waiver:
    unit = _unit_for_staff(session, actor, unit_id, CLERK_ROLES)
    if not isinstance(percent, int) or isinstance(percent, bool) or not 1 <= percent <= 100:
        raise ValidationError("percent must be from 1 to 100", "percent")
    clock.parse_period(from_period, "from_period")
    clock.parse_period(to_period, "to_period")
    if to_period < from_period:
        raise ValidationError("the waiver ends before it starts", "to_period")
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise ValidationError("give a reason (up to 300 characters)", "reason")
    if fee_item_id is not None:
        item = session.get(FeeItem, fee_item_id)
        if item is None or item.compound_id != unit.compound_id:
            raise NotFound("fee item {fee_item} not found", "fee_item_id", fee_item=fee_item_id)
    waiver = Waiver(compound_id=unit.compound_id, unit_id=unit.id, fee_item_id=fee_item_id, percent=percent,
                    from_period=from_period, to_period=to_period, reason=reason, status="requested",
                    requested_by=actor.id)
    session.add(waiver)
    session.flush()
    audit.record(session, actor, "waiver.request", "waiver", waiver.id,
                 {"unit_id": unit.id, "percent": percent, "from_period": from_period, "to_period": to_period,
                  "fee_item_id": fee_item_id, "reason": reason})
    return waiver


def decide_waiver(session: Session, actor: User, waiver_id: int, approve: bool) -> Waiver:
    """The community office approves or rejects; an approval is applied to open bills at once."""
    waiver = session.get(Waiver, waiver_id)
    if waiver is None:
        raise NotFound("waiver {waiver} not found", waiver=waiver_id)
    scope.get_compound(session, actor, waiver.compound_id, roles=APPROVE_ROLES)
    if waiver.status == "approved":
        raise Conflict("this waiver was already approved")
    if waiver.status == "rejected":
        raise Conflict("this waiver was already rejected")
    waiver.status = "approved" if approve else "rejected"
    waiver.decided_by, waiver.decided_at = actor.id, clock.now_utc()
    session.flush()
    applied = 0
    if approve:
        applied = _apply_waivers(session, select(Bill).where(Bill.unit_id == waiver.unit_id, Bill.waived_fen == 0))
    audit.record(session, actor, f"waiver.{waiver.status}", "waiver", waiver.id,
                 {"unit_id": waiver.unit_id, "percent": waiver.percent, "bills_changed": applied})
    return waiver


def list_waivers(session: Session, user: User, status: str | None = None) -> list[Waiver]:
    query = select(Waiver).where(Waiver.compound_id.in_(scope.compound_ids(session, user, READ_ROLES)))
    if status:
        query = query.where(Waiver.status == status)
    return list(session.scalars(query.order_by(Waiver.id.desc()).limit(200)))


def waiver_share_fen(amount_fen: int, percent: int) -> int:
    return div_round_half_up(amount_fen * percent, 100)


def _apply_waivers(session: Session, bills_query) -> int:
    """Set waived_fen on the bills an approved waiver covers (the largest share when several do);
    a waiver never takes back money already paid."""
    bills = bills_query.subquery()
    matches = session.execute(
        select(Bill, func.max(Waiver.percent))
        .join(bills, bills.c.id == Bill.id)
        .join(Waiver, and_(Waiver.unit_id == Bill.unit_id, Waiver.status == "approved",
                           Waiver.from_period <= Bill.period, Waiver.to_period >= Bill.period,
                           or_(Waiver.fee_item_id.is_(None), Waiver.fee_item_id == Bill.fee_item_id)))
        .group_by(Bill.id)
    ).all()
    for bill, percent in matches:
        bill.waived_fen = min(waiver_share_fen(bill.amount_fen, percent), bill.amount_fen - bill.paid_fen)
    session.flush()
    return len(matches)
