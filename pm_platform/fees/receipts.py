"""Property fees: a unit's bills and balance, payments (at the desk and online), their allocation
to bills, credits, reversals and refunds, receipt numbers and receipt checks.
(Online payment orders themselves live in fees/payments.py.)
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import MAX_FEN, amount_in_words
from pm_platform.core.naturalsort import unit_key
from pm_platform.fees import payments
from pm_platform.fees.common import (
    CLERK_CHANNELS, CLERK_ROLES, MANAGE_ROLES, _choice, _dialect_insert, _unit_for_staff,
)
from pm_platform.fees.models import Bill, FeeItem, Payment, PaymentAllocation, ReceiptCounter
from pm_platform.places import scope
from pm_platform.places.models import Building, Compound, Owner, Ownership, Unit, unit_label
from pm_platform.places.service import get_unit


PURPOSE_UNIT_FEES = "fees.unit"


def _positive_fen(value, field_name: str = "amount_fen") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_FEN:
        raise ValidationError("amount must be a positive whole number of fen, up to ten billion yuan", field_name)
    return value


# --- payments, allocation, receipts -----------------------------------------------------------

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
