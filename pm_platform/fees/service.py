"""Property fees: fee items and rates, billing runs, payments and receipts, waivers, arrears,
collection rate. Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Date, Integer, String, and_, case, func, literal, or_, select, true, update
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock, outbox
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import MAX_FEN, MAX_RATE_FEN, amount_in_words, area_charge_fen, div_round_half_up
from pm_platform.core.naturalsort import unit_key
from pm_platform.fees import payments
from pm_platform.fees.models import (
    APPLIES_TO, CYCLE_MONTHS, CYCLES, FEE_KINDS, AreaCharge, Bill, BillingRun, FeeItem, FeeRate,
    FeeSettings, Payment, PaymentAllocation, ReceiptCounter, Waiver,
)
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Building, Compound, Owner, Ownership, Unit, unit_label
from pm_platform.places.service import get_unit

MANAGE_ROLES = {"admin", "firm_manager"}                 # fee items, rates, billing, late fee
CLERK_ROLES = {"admin", "firm_manager", "firm_staff"}     # payments, waiver requests
APPROVE_ROLES = {"admin", "community"}                    # waiver decisions (the community office)
READ_ROLES = scope.STAFF_ROLES                           # staff who may read a compound's fees
CLERK_CHANNELS = ("cash", "bank", "pos")
PURPOSE_UNIT_FEES = "fees.unit"
AGING_BUCKETS = ((30, "d0_30"), (90, "d31_90"), (180, "d91_180"), (365, "d181_365"), (None, "over_365"))


def _positive_fen(value, field_name: str = "amount_fen") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_FEN:
        raise ValidationError("amount must be a positive whole number of fen, up to ten billion yuan", field_name)
    return value


def _rate_fen(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_RATE_FEN:
        raise ValidationError("rate must be a whole number of fen from 0 up to 10,000 yuan", "rate_fen")
    return value


def _choice(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise ValidationError("{name} must be one of {choices}", field_name, name=field_name,
                              choices=", ".join(allowed))
    return value


def _dialect_insert(session: Session, table):
    """INSERT with ON CONFLICT DO NOTHING for whichever database we are on."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


# --- fee items and rates ----------------------------------------------------------------------

def create_fee_item(session: Session, actor: User, compound_id: int, *, name: str, kind: str, rate_fen: int,
                    applies_to: str = "all", cycle: str = "monthly", due_day: int = 15,
                    from_period: str) -> FeeItem:
    scope.get_compound(session, actor, compound_id, roles=MANAGE_ROLES)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name must be 1–100 characters", "name")
    _choice(kind, FEE_KINDS, "kind")
    _choice(applies_to, APPLIES_TO, "applies_to")
    _choice(cycle, CYCLES, "cycle")
    if not isinstance(due_day, int) or not 1 <= due_day <= 28:
        raise ValidationError("due_day must be a day from 1 to 28", "due_day")
    clock.parse_period(from_period, "from_period")
    _rate_fen(rate_fen)
    if session.scalar(select(FeeItem.id).where(FeeItem.compound_id == compound_id, FeeItem.name == name)):
        raise Conflict("fee item {name!r} already exists in this compound", "name", name=name)
    item = FeeItem(compound_id=compound_id, name=name, kind=kind, applies_to=applies_to, cycle=cycle,
                   due_day=due_day, is_active=True)
    session.add(item)
    session.flush()
    session.add(FeeRate(fee_item_id=item.id, from_period=from_period, rate_fen=rate_fen))
    session.flush()
    audit.record(session, actor, "fee_item.create", "fee_item", item.id,
                 {"compound_id": compound_id, "name": name, "kind": kind, "applies_to": applies_to, "cycle": cycle,
                  "due_day": due_day, "rate_fen": rate_fen, "from_period": from_period})
    return item


def list_fee_items(session: Session, user: User, compound_id: int) -> list[FeeItem]:
    scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    return list(session.scalars(select(FeeItem).where(FeeItem.compound_id == compound_id).order_by(FeeItem.id)))


def get_fee_item(session: Session, user: User, fee_item_id: int, roles=READ_ROLES) -> FeeItem:
    item = session.get(FeeItem, fee_item_id)
    if item is None:
        raise NotFound("fee item {fee_item} not found", fee_item=fee_item_id)
    scope.get_compound(session, user, item.compound_id, roles=roles)
    return item


def set_fee_rate(session: Session, actor: User, fee_item_id: int, rate_fen: int, from_period: str) -> FeeRate:
    """A new rate from `from_period` on. Bills keep the amounts they were issued with, so a rate
    may only start after the last period already billed for the item."""
    item = get_fee_item(session, actor, fee_item_id, roles=MANAGE_ROLES)
    clock.parse_period(from_period, "from_period")
    _rate_fen(rate_fen)
    last_billed = session.scalar(select(func.max(Bill.period)).where(Bill.fee_item_id == item.id))
    if last_billed and from_period <= last_billed:
        raise Conflict("{period} is already billed; a new rate can start from a later period", "from_period",
                       period=last_billed)
    rate = session.scalar(select(FeeRate).where(FeeRate.fee_item_id == item.id, FeeRate.from_period == from_period))
    old = rate.rate_fen if rate else None
    if rate is None:
        rate = FeeRate(from_period=from_period, rate_fen=rate_fen)
        item.rates.append(rate)  # through the collection, so rate_for sees it in this transaction
    rate.rate_fen = rate_fen
    session.flush()
    audit.record(session, actor, "fee_rate.set", "fee_item", item.id,
                 {"from_period": from_period, "rate_fen": rate_fen, "previous_rate_fen": old})
    return rate


def rate_for(item: FeeItem, period: str) -> int | None:
    """The item's rate in force in `period`, or None before its first rate."""
    in_force = [rate for rate in item.rates if rate.from_period <= period]
    return max(in_force, key=lambda rate: rate.from_period).rate_fen if in_force else None


def bills_in_period(cycle: str, period: str) -> bool:
    """Monthly items bill every month, quarterly ones in Jan/Apr/Jul/Oct, yearly ones in January."""
    month = int(period[5:7])
    return (month - 1) % CYCLE_MONTHS[cycle] == 0


def set_late_fee(session: Session, actor: User, compound_id: int, per_10k_day: int) -> FeeSettings:
    scope.get_compound(session, actor, compound_id, roles=MANAGE_ROLES)
    if not isinstance(per_10k_day, int) or isinstance(per_10k_day, bool) or not 0 <= per_10k_day <= 100:
        raise ValidationError("late fee must be 0 (off) to 100 parts per ten thousand per day", "late_fee_per_10k_day")
    settings = fee_settings(session, compound_id)
    old = settings.late_fee_per_10k_day
    settings.late_fee_per_10k_day = per_10k_day
    session.flush()
    audit.record(session, actor, "fee_settings.late_fee", "compound", compound_id,
                 {"late_fee_per_10k_day": per_10k_day, "previous": old})
    return settings


def fee_settings(session: Session, compound_id: int) -> FeeSettings:
    settings = session.get(FeeSettings, compound_id)
    if settings is None:
        settings = FeeSettings(compound_id=compound_id, late_fee_per_10k_day=0)
        session.add(settings)
        session.flush()
    return settings


# --- billing runs -----------------------------------------------------------------------------

def _compound_for(session: Session, actor: User | None, compound_id: int, roles) -> Compound:
    """The compound if `actor` holds one of `roles` over it; `actor` None is the platform
    itself (the monthly schedule, an operator's command), which may act on any compound."""
    if actor is not None:
        return scope.get_compound(session, actor, compound_id, roles=roles)
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound("compound {compound} not found", compound=compound_id)
    return compound


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


# --- payments, allocation, receipts -----------------------------------------------------------

def _unit_for_staff(session: Session, actor: User, unit_id: int, roles) -> Unit:
    """The unit if the actor holds one of `roles` over its compound; 404 if they cannot see it."""
    unit = session.get(Unit, unit_id)
    if unit is None or not scope.roles_on(session, actor, unit.compound_id):
        raise NotFound("unit {unit} not found", "unit_id", unit=unit_id)
    scope.get_compound(session, actor, unit.compound_id, roles=roles)
    return unit


def unit_balances(session: Session, compound_id: int, limit: int = 500) -> list[tuple[Unit, str, int]]:
    """(unit, label, owing fen) for the compound's units, the largest debts first."""
    owing = (select(Bill.unit_id, func.sum(Bill.amount_fen - Bill.waived_fen - Bill.paid_fen).label("fen"))
             .where(Bill.compound_id == compound_id).group_by(Bill.unit_id).subquery())
    rows = session.execute(
        select(Unit, Building.name, func.coalesce(owing.c.fen, 0)).join(Building, Building.id == Unit.building_id)
        .outerjoin(owing, owing.c.unit_id == Unit.id).where(Unit.compound_id == compound_id)
        .order_by(func.coalesce(owing.c.fen, 0).desc(), Building.name, Unit.entrance, Unit.room).limit(limit)).all()
    rows.sort(key=lambda row: (-row[2], unit_key(row[1], row[0].entrance, row[0].room)))  # equal debts: natural order
    return [(unit, unit_label(building, unit.entrance, unit.room), int(fen)) for unit, building, fen in rows]


def unit_bills(session: Session, unit_id: int) -> list[Bill]:
    return list(session.scalars(select(Bill).where(Bill.unit_id == unit_id)
                                .order_by(Bill.due_on.desc(), Bill.period.desc(), Bill.id.desc())))


def unit_payments(session: Session, unit_id: int) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.unit_id == unit_id).order_by(Payment.id.desc())))


def unit_owing_fen(session: Session, unit_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Bill.amount_fen - Bill.waived_fen - Bill.paid_fen), 0))
                              .where(Bill.unit_id == unit_id)))  # PostgreSQL sums bigint as numeric


def unallocated_fen(session: Session, payment: Payment) -> int:
    """Money of a payment not yet applied to bills nor refunded (0 once it is reversed)."""
    if payment.kind != "payment":
        return 0
    drawn = session.execute(
        select(func.coalesce(func.sum(case((Payment.kind == "reversal", 1), else_=0)), 0),
               func.coalesce(func.sum(Payment.amount_fen), 0))
        .where(Payment.reverses_id == payment.id)).one()
    if drawn[0]:
        return 0
    allocated = session.scalar(select(func.coalesce(func.sum(PaymentAllocation.amount_fen), 0))
                               .where(PaymentAllocation.payment_id == payment.id))
    return payment.amount_fen - int(allocated) + int(drawn[1])


def unit_credit_fen(session: Session, unit_id: int) -> int:
    """Prepayment credit: paid in, not yet applied to bills nor refunded."""
    return sum(unallocated_fen(session, p) for p in session.scalars(
        select(Payment).where(Payment.unit_id == unit_id, Payment.kind == "payment")))


def owner_bills_due(session: Session, user: User) -> list[dict]:
    """For each unit the signed-in owner owns (in compounds where they hold the owner role): what
    is owed and the open bills behind it, the earliest due first (for the owner's start page)."""
    units = session.execute(
        select(Unit, Building.name, Compound.name).join(Ownership, Ownership.unit_id == Unit.id)
        .join(Owner, Owner.id == Ownership.owner_id).join(Building, Building.id == Unit.building_id)
        .join(Compound, Compound.id == Unit.compound_id)
        .where(Owner.user_id == user.id, Unit.compound_id.in_(scope.compound_ids(session, user, {"owner"})))
        .order_by(Unit.id)).all()
    accounts = []
    for unit, building, compound in units:
        bills = session.execute(
            select(Bill, FeeItem.name).join(FeeItem, FeeItem.id == Bill.fee_item_id)
            .where(Bill.unit_id == unit.id, Bill.amount_fen - Bill.waived_fen - Bill.paid_fen > 0)
            .order_by(Bill.due_on, Bill.period, Bill.id)).all()
        accounts.append({
            "unit_id": unit.id, "label": unit_label(building, unit.entrance, unit.room), "compound": compound,
            "owing_fen": unit_owing_fen(session, unit.id),
            "bills": [{"period": b.period, "item": name, "owing_fen": b.owing_fen, "due_on": b.due_on,
                       "is_overdue": b.due_on < clock.local_today()} for b, name in bills]})
    return accounts


def _open_bills(session: Session, unit_id: int, bill_ids: list[int] | None = None) -> list[Bill]:
    query = select(Bill).where(Bill.unit_id == unit_id, Bill.amount_fen - Bill.waived_fen - Bill.paid_fen > 0)
    if bill_ids is not None:
        query = query.where(Bill.id.in_(bill_ids))
    return list(session.scalars(query.order_by(Bill.due_on, Bill.period, Bill.id).with_for_update()))


def _allocate(session: Session, payment: Payment, available: int, bill_ids: list[int] | None = None) -> int:
    """Apply up to `available` of a payment to the named bills (in the order given), then to the
    oldest unpaid bills; returns what was applied."""
    applied = 0
    chosen = _open_bills(session, payment.unit_id, bill_ids) if bill_ids else []
    chosen.sort(key=lambda bill: bill_ids.index(bill.id))
    for bill in chosen + _open_bills(session, payment.unit_id):
        if available - applied <= 0:
            break
        share = min(bill.owing_fen, available - applied)
        if share <= 0:
            continue
        bill.paid_fen += share
        session.add(PaymentAllocation(payment_id=payment.id, bill_id=bill.id, amount_fen=share))
        applied += share
    session.flush()
    return applied


def _apply_credits(session: Session, compound_id: int) -> None:
    """Units with prepayment credit: apply it to their bills, oldest first."""
    allocated = (select(PaymentAllocation.payment_id, func.sum(PaymentAllocation.amount_fen).label("fen"))
                 .group_by(PaymentAllocation.payment_id).subquery())
    candidates = session.scalars(
        select(Payment).outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .where(Payment.compound_id == compound_id, Payment.kind == "payment",
               Payment.amount_fen > func.coalesce(allocated.c.fen, 0))
        .order_by(Payment.id)).all()
    for payment in candidates:
        available = unallocated_fen(session, payment)
        if available > 0:
            _allocate(session, payment, available)


def next_receipt_no(session: Session, compound_id: int) -> str:
    return take_receipt_nos(session, compound_id, 1)[0]


def take_receipt_nos(session: Session, compound_id: int, count: int) -> list[str]:
    """The compound's next `count` receipt numbers, with no gaps: the counter row is updated
    (and so locked) in the payments' own transaction, so rolled-back payments give their
    numbers back. On SQLite the database write lock serialises this the same way."""
    bump = (update(ReceiptCounter).where(ReceiptCounter.compound_id == compound_id)
            .values(last_no=ReceiptCounter.last_no + count).returning(ReceiptCounter.last_no))
    last = session.execute(bump).scalar()
    if last is None:
        session.execute(_dialect_insert(session, ReceiptCounter).values(compound_id=compound_id, last_no=0)
                        .on_conflict_do_nothing())
        last = session.execute(bump).scalar_one()
    return [f"{compound_id:04d}-{number:07d}" for number in range(last - count + 1, last + 1)]


def new_verify_code() -> str:
    """The code printed on a receipt (and in its QR) that lets anyone holding it verify it."""
    return secrets.token_urlsafe(9)[:12]


def _new_entry(session: Session, actor: User | None, unit: Unit, *, kind: str, channel: str, amount_fen: int,
               reference: str = "", external_txn_id: str | None = None, reverses_id: int | None = None) -> Payment:
    entry = Payment(compound_id=unit.compound_id, unit_id=unit.id, kind=kind, channel=channel, amount_fen=amount_fen,
                    reference=reference, external_txn_id=external_txn_id, reverses_id=reverses_id,
                    receipt_no=next_receipt_no(session, unit.compound_id),
                    verify_code=new_verify_code(), recorded_by=actor.id if actor else None,
                    paid_at=clock.now_utc())
    session.add(entry)
    session.flush()
    return entry


def _existing_txn(session: Session, channel: str, external_txn_id: str | None, unit_id: int, amount_fen: int):
    """The payment already recorded for this channel transaction, if any (second arrival)."""
    if not external_txn_id:
        return None
    existing = session.scalar(select(Payment).where(Payment.channel == channel,
                                                    Payment.external_txn_id == external_txn_id))
    if existing is not None and (existing.unit_id != unit_id or existing.amount_fen != amount_fen):
        raise Conflict("{channel} transaction {txn} was already recorded for another payment", "reference",
                       channel=channel, txn=external_txn_id)
    return existing


def record_payment(session: Session, actor: User, unit_id: int, amount_fen: int, channel: str,
                   reference: str = "", bill_ids: list[int] | None = None) -> Payment:
    """A clerk records cash, a bank transfer or a POS payment. It goes to the named bills first,
    then to the oldest unpaid ones; what is left stays as prepayment credit.

    For bank and POS the reference (the bank's or terminal's transaction number) is required
    and unique per channel: entering the same transfer twice returns the first payment."""
    unit = _unit_for_staff(session, actor, unit_id, CLERK_ROLES)
    _positive_fen(amount_fen)
    _choice(channel, CLERK_CHANNELS, "channel")
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise ValidationError("reference is at most 100 characters", "reference")
    if channel != "cash" and not reference:
        raise ValidationError("give the transaction number for a bank or POS payment", "reference")
    if bill_ids:
        owned = set(session.scalars(select(Bill.id).where(Bill.id.in_(bill_ids), Bill.unit_id == unit.id)))
        missing = [bill_id for bill_id in bill_ids if bill_id not in owned]
        if missing:
            raise NotFound("bill {bill} not found for this unit", "bill_ids", bill=missing[0])
    external = reference if channel != "cash" else None
    existing = _existing_txn(session, channel, external, unit.id, amount_fen)
    if existing is not None:
        return existing
    payment = _new_entry(session, actor, unit, kind="payment", channel=channel, amount_fen=amount_fen,
                         reference=reference, external_txn_id=external)
    applied = _allocate(session, payment, amount_fen, bill_ids or None)
    audit.record(session, actor, "payment.record", "payment", payment.id,
                 {"unit_id": unit.id, "amount_fen": amount_fen, "channel": channel, "reference": reference,
                  "allocated_fen": applied, "credit_fen": amount_fen - applied, "receipt_no": payment.receipt_no})
    return payment


def record_online_payment(session: Session, order: payments.PaymentOrder) -> Payment:
    """Handler for paid orders of purpose fees.unit (reference_id: the unit)."""
    unit = session.get(Unit, order.reference_id)
    external = f"{order.provider}:{order.external_txn_id}"
    existing = _existing_txn(session, "online", external, unit.id, order.amount_fen)
    if existing is not None:
        return existing
    payment = _new_entry(session, None, unit, kind="payment", channel="online", amount_fen=order.amount_fen,
                         reference=order.order_no, external_txn_id=external)
    applied = _allocate(session, payment, order.amount_fen)
    audit.record(session, None, "payment.online", "payment", payment.id,
                 {"unit_id": unit.id, "amount_fen": order.amount_fen, "order_no": order.order_no,
                  "allocated_fen": applied, "receipt_no": payment.receipt_no})
    return payment


payments.register_purpose_handler(PURPOSE_UNIT_FEES, record_online_payment)


def create_unit_payment_order(session: Session, actor: User, unit_id: int) -> payments.PaymentOrder:
    """An owner pays everything their unit owes, online. Pressing "pay" again for the same bills
    returns the order already open (one pending order per owner's set of bills)."""
    unit = get_unit(session, actor, unit_id)
    session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())  # one press at a time
    owing = unit_owing_fen(session, unit.id)
    if owing <= 0:
        raise ValidationError("nothing is owed on this unit", "unit_id")
    open_order = payments.reusable_order(session, actor, purpose=PURPOSE_UNIT_FEES, reference_id=unit.id,
                                         amount_fen=owing)
    if open_order is not None:
        return open_order
    return payments.create_payment_order(session, actor, purpose=PURPOSE_UNIT_FEES, reference_id=unit.id,
                                         compound_id=unit.compound_id, amount_fen=owing,
                                         description=f"物业费 {unit.label}")


def get_payment(session: Session, user: User, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment {payment} not found", payment=payment_id)
    get_unit(session, user, payment.unit_id)
    return payment


def get_payment_by_receipt(session: Session, user: User, receipt_no: str) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.receipt_no == receipt_no))
    if payment is None:
        raise NotFound("receipt {receipt} not found", receipt=receipt_no)
    get_unit(session, user, payment.unit_id)
    return payment


def reverse_payment(session: Session, actor: User, payment_id: int, reason: str) -> Payment:
    """Cancel a payment entered in error (a bounced transfer, a wrong unit): a new negative entry
    that takes its allocations back off the bills. The original stays as it was."""
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound("payment {payment} not found", payment=payment_id)
    unit = _unit_for_staff(session, actor, payment.unit_id, MANAGE_ROLES)
    if payment.kind != "payment":
        raise ValidationError("only a payment can be reversed", "payment_id")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("give a reason for the reversal", "reason")
    if session.scalar(select(Payment.id).where(Payment.reverses_id == payment.id)):
        raise Conflict("this payment was already reversed or refunded; reverse nothing twice")
    net = session.execute(select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.amount_fen))
                          .where(PaymentAllocation.payment_id == payment.id).group_by(PaymentAllocation.bill_id)).all()
    reversal = _new_entry(session, actor, unit, kind="reversal", channel=payment.channel, amount_fen=-payment.amount_fen,
                          reference=reason[:100], reverses_id=payment.id)
    for bill_id, fen in net:
        fen = int(fen)
        if fen:
            bill = session.get(Bill, bill_id, with_for_update=True)
            bill.paid_fen -= fen
            session.add(PaymentAllocation(payment_id=reversal.id, bill_id=bill_id, amount_fen=-fen))
    session.flush()
    audit.record(session, actor, "payment.reverse", "payment", reversal.id,
                 {"reverses": payment.id, "amount_fen": reversal.amount_fen, "reason": reason,
                  "receipt_no": reversal.receipt_no})
    return reversal


def refund_credit(session: Session, actor: User, payment_id: int, amount_fen: int, reason: str) -> Payment:
    """Pay back (part of) a payment's unallocated money: a new negative entry."""
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise NotFound("payment {payment} not found", payment=payment_id)
    unit = _unit_for_staff(session, actor, payment.unit_id, MANAGE_ROLES)
    _positive_fen(amount_fen)
    available = unallocated_fen(session, payment)
    if amount_fen > available:
        raise ValidationError("only {available} fen of this payment is unallocated", "amount_fen", available=available)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("give a reason for the refund", "reason")
    refund = _new_entry(session, actor, unit, kind="refund", channel=payment.channel, amount_fen=-amount_fen,
                        reference=reason[:100], reverses_id=payment.id)
    audit.record(session, actor, "payment.refund", "payment", refund.id,
                 {"refunds": payment.id, "amount_fen": -amount_fen, "reason": reason, "receipt_no": refund.receipt_no})
    return refund


@dataclass
class ReceiptCheck:
    """What the public verification page may show: no names, no unit."""

    receipt_no: str
    compound: str
    amount_fen: int
    paid_on: dt.date
    kind: str
    reversed: bool


def verify_receipt(session: Session, receipt_no: str, code: str) -> ReceiptCheck:
    payment = session.scalar(select(Payment).where(Payment.receipt_no == receipt_no))
    # the code printed on the receipt (and in its QR) keeps numbers from being enumerated
    if payment is None or not code or not secrets.compare_digest(payment.verify_code, code):
        raise NotFound("receipt {receipt} not found", receipt=receipt_no)
    compound = session.get(Compound, payment.compound_id)
    reversed_ = bool(session.scalar(select(Payment.id).where(Payment.reverses_id == payment.id,
                                                             Payment.kind == "reversal")))
    return ReceiptCheck(payment.receipt_no, compound.name, payment.amount_fen,
                        clock.to_local(payment.paid_at).date(), payment.kind, reversed_)


def receipt_context(session: Session, payment: Payment, verify_url: str) -> dict:
    """Plain values for templates/fees/receipt.html."""
    from pm_platform.core.qr import qr_data_uri
    from pm_platform.places.service import current_firm

    unit = payment.unit
    compound = session.get(Compound, payment.compound_id)
    payer = session.scalars(select(Owner.name).join(Ownership).where(Ownership.unit_id == unit.id)
                            .order_by(Ownership.is_voter.desc(), Ownership.id)).first()
    lines = [{"period": a.bill.period, "item": a.bill.fee_item.name, "amount": a.amount_fen}
             for a in payment.allocations]
    return {
        "receipt_no": payment.receipt_no, "kind": payment.kind, "compound": compound.name,
        "unit": unit.label, "payer": payer or "", "amount": payment.amount_fen, "channel": payment.channel,
        "reference": payment.reference, "paid_at": clock.format_local(payment.paid_at),
        "lines": lines, "credit": payment.amount_fen - sum(a.amount_fen for a in payment.allocations)
        if payment.kind == "payment" else 0,
        "verify_code": payment.verify_code, "verify_url": verify_url, "qr": qr_data_uri(verify_url),
        "amount_words": amount_in_words(abs(payment.amount_fen)),
        "firm": firm.name if (firm := current_firm(session, compound.id)) else "",
    }


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
