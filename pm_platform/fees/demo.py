"""Demo fees: a year of property and garbage fees in two streets of the demo district, some
compounds collecting well and others badly, with households long in arrears.

Fee items, billing, the waiver, the demo owner's payments and today's counter payments go
through the service. The year's payments of the other households do not: record_payment
takes 10–20 ms, and these 8,000 households make some 20,000 payments, so they are written in
bulk instead, each settling its months' bills in full, oldest first, as record_payment would,
under one audit entry per compound. Billing all 51 compounds alone would take longer than the
~10 s the fees part may add to `flask demo`, so the other streets are left unbilled."""
from __future__ import annotations

import datetime as dt
import functools
import random

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.core.models import User
from pm_platform.fees import payments, service
from pm_platform.fees.models import Bill, FeeItem, Payment, PaymentAllocation
from pm_platform.places.demo import DISTRICT
from pm_platform.places.models import AdminArea, Compound, Owner, Ownership, Unit

MONTHS = 12
PROPERTY_RATES_FEN = range(60, 151, 5)     # 0.60–1.50 yuan per m² per month
COMMERCIAL_FACTOR = 2                      # shops pay about twice the residential rate
GARBAGE_FEN = (500, 600, 800, 1000)        # 5–10 yuan per household per month
COLLECTION = (0.70, 0.97)                  # share of the year's fees a compound collects
MONTHS_PER_PAYMENT = ((1, 1), (3, 3), (6, 3), (12, 5))  # (months paid at a time, weight): mostly by the year
CHANNELS = (("cash", 4), ("bank", 2), ("pos", 4))


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    """The same year of fees at either size: the small district is one street of a few compounds."""
    district = session.scalar(select(AdminArea).where(AdminArea.kind == "district", AdminArea.name == DISTRICT))
    if district is None:
        return "no demo district"
    compounds = _billed_compounds(session, district.id)
    if session.scalar(select(FeeItem.id).where(FeeItem.compound_id == compounds[0].id).limit(1)):
        return "already present"
    admin, manager = get_user_by_name(session, "admin"), get_user_by_name(session, "manager")
    owner = get_user_by_name(session, "owner")
    periods = _last_periods(MONTHS)
    items = {c.id: _fee_items(session, rng, admin, c.id, periods[0]) for c in compounds}
    home = compounds[0]  # the compound of the demo owner, committee and community office
    owner_units = session.scalars(select(Unit.id).join(Ownership).join(Owner).where(
        Owner.user_id == owner.id, Unit.compound_id == home.id)).all()
    _hardship_waiver(session, rng, manager, home.id, items[home.id][0], periods, owner_units)
    bills = 0
    for period in periods:
        if period == periods[-1]:
            _owner_pays(session, manager, owner, owner_units, periods)
        bills += sum(service.bill_compound(session, c.id, period) for c in compounds)
    paid = sum(_year_of_payments(session, rng, admin, c.id, rng.uniform(*COLLECTION), owner_units)
               for c in compounds)
    _counter_today(session, manager, home.id)
    ytd = service.collection_figures_ytd(session, [c.id for c in compounds], periods[-1]).values()
    rates = sorted(round(100 * f.rate) for f in ytd if f.rate is not None)
    return (f"{sum(map(len, items.values()))} fee items and {bills} bills for {periods[0]}–{periods[-1]} in "
            f"{len(compounds)} compounds of {len({c.street_id for c in compounds})} street(s) (the other streets are not "
            f"billed, to keep the demo fast), "
            f"{paid} payments, collection this year {rates[0]}–{rates[-1]}%, 1 waiver approved")


def _billed_compounds(session: Session, district_id: int) -> list[Compound]:
    """The first street's compounds (the demo users') and the last street's (the other firm's
    and the street-run ones), so that the offices' pages compare all three."""
    streets = session.scalars(select(AdminArea.id).where(AdminArea.parent_id == district_id)
                              .order_by(AdminArea.id)).all()
    return list(session.scalars(select(Compound).where(Compound.street_id.in_([streets[0], streets[-1]]))
                                .order_by(Compound.id)))


def _last_periods(count: int) -> list[str]:
    """The `count` billing months up to this one (Asia/Shanghai), oldest first."""
    month = clock.local_today().replace(day=1)
    periods = []
    for _ in range(count):
        periods.append(clock.period_of(month))
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return periods[::-1]


def _moment(period: str, day: int, hour: int) -> dt.datetime:
    """`hour` o'clock Shanghai time on `day` of `period`, but never later than now."""
    return min(_month_start(period) + dt.timedelta(days=day - 1, hours=hour), clock.now_utc())


@functools.cache
def _month_start(period: str) -> dt.datetime:
    return clock.local_midnight_utc(clock.period_bounds(period)[0])


def _fee_items(session: Session, rng: random.Random, admin: User, compound_id: int, from_period: str) -> list[FeeItem]:
    """物业服务费 per m² (shops at a higher rate) and 垃圾处理费 per household, each month."""
    rate = rng.choice(PROPERTY_RATES_FEN)
    items = [service.create_fee_item(session, admin, compound_id, name="物业服务费", kind="per_area", rate_fen=rate,
                                     applies_to="residential", from_period=from_period)]
    if session.scalar(select(Unit.id).where(Unit.compound_id == compound_id, Unit.use == "commercial").limit(1)):
        items.append(service.create_fee_item(session, admin, compound_id, name="物业服务费(商铺)", kind="per_area",
                                             rate_fen=rate * COMMERCIAL_FACTOR, applies_to="commercial",
                                             from_period=from_period))
    items.append(service.create_fee_item(session, admin, compound_id, name="垃圾处理费", kind="fixed",
                                         rate_fen=rng.choice(GARBAGE_FEN), applies_to="residential",
                                         from_period=from_period))
    return items


def _hardship_waiver(session: Session, rng: random.Random, manager: User, compound_id: int, item: FeeItem,
                     periods: list[str], owner_units: list[int]) -> None:
    """A household on minimum living allowance (低保) pays half the property fee this year: the
    firm asks, the community office approves, and each month's bill is issued with it applied."""
    units = session.scalars(select(Unit.id).where(Unit.compound_id == compound_id, Unit.id.not_in(owner_units))
                            .order_by(Unit.id)).all()
    waiver = service.request_waiver(session, manager, rng.choice(units), percent=50, from_period=periods[0],
                                    to_period=periods[-1], reason="低保家庭,经社区核实,本年度物业服务费减半",
                                    fee_item_id=item.id)
    service.decide_waiver(session, get_user_by_name(session, "community"), waiver.id, approve=True)


def _owner_pays(session: Session, clerk: User, owner: User, unit_ids: list[int], periods: list[str]) -> None:
    """Before this month's bills: the demo owner paid half of what was due at the counter in
    the summer and the rest online last month, so their page shows payments and a bill to pay."""
    for unit_id in unit_ids:
        counter = service.record_payment(session, clerk, unit_id, service.unit_owing_fen(session, unit_id) // 2, "cash")
        counter.paid_at = _moment(periods[len(periods) // 2], 12, 10)
        order = service.create_unit_payment_order(session, owner, unit_id)
        payments.complete_sandbox_payment(session, order.order_no)
        order.paid_at = service.unit_payments(session, unit_id)[0].paid_at = _moment(periods[-2], 20, 21)
    session.flush()


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


def _months_paid(rng: random.Random, months: int, rate: float) -> int:
    """How many of its `months` months (oldest first) a household has paid for, so that the
    compound collects about `rate` of what it billed: most of the shortfall is households that
    paid nothing all year (long arrears), the rest households one to three months behind."""
    never = (1 - rate) * 0.8
    if rng.random() < never:
        return 0
    behind = 6 * (1 - rate / (1 - never))  # share of the others behind: they miss two months on average
    return months - (rng.randint(1, 3) if rng.random() < behind else 0)


def _year_of_payments(session: Session, rng: random.Random, recorder: User, compound_id: int, rate: float,
                      skip_units: list[int]) -> int:
    """The year's payments of a compound's households, written in bulk (see the module's note);
    returns how many."""
    rows, settles = _plan_payments(rng, recorder, compound_id, _open_months(session, compound_id, skip_units), rate)
    if rows:
        _write_payments(session, recorder, compound_id, rows, settles)
    return len(rows)


def _open_months(session: Session, compound_id: int, skip_units: list[int]) -> dict[int, dict[str, list]]:
    """{unit: {period: [(bill, fen owing)]}}, months oldest first, bills in the order
    record_payment allocates in."""
    months_of: dict[int, dict[str, list]] = {}
    for bill_id, unit_id, period, owing in session.execute(
            select(Bill.id, Bill.unit_id, Bill.period, Bill.amount_fen - Bill.waived_fen)
            .where(Bill.compound_id == compound_id, Bill.unit_id.not_in(skip_units),
                   Bill.amount_fen - Bill.waived_fen > 0)
            .order_by(Bill.unit_id, Bill.due_on, Bill.period, Bill.id)):
        months_of.setdefault(unit_id, {}).setdefault(period, []).append((bill_id, owing))
    return months_of


def _plan_payments(rng: random.Random, recorder: User, compound_id: int, months_of: dict[int, dict[str, list]],
                   rate: float) -> tuple[list[dict], list[list]]:
    """Payment rows and the bills each one settles: a household pays one, three, six or twelve
    months at a time, early in the first of those months, each month's bills in full."""
    rows, settles = [], []
    for unit_id, by_period in months_of.items():
        months = list(by_period.items())[:_months_paid(rng, len(by_period), rate)]
        step = _pick(rng, MONTHS_PER_PAYMENT)
        for start in range(0, len(months), step):
            chunk = months[start:start + step]
            bills = [bill for _period, period_bills in chunk for bill in period_bills]
            channel = _pick(rng, CHANNELS)
            reference = "" if channel == "cash" else f"{channel.upper()}{compound_id:04d}{len(rows):06d}"
            rows.append({"compound_id": compound_id, "unit_id": unit_id, "kind": "payment", "channel": channel,
                         "amount_fen": sum(owing for _bill, owing in bills), "reference": reference,
                         "external_txn_id": reference or None, "verify_code": service.new_verify_code(),
                         "recorded_by": recorder.id,
                         "paid_at": _moment(chunk[0][0], rng.randint(1, 20), rng.randint(8, 19))})
            settles.append(bills)
    return rows, settles


def _write_payments(session: Session, recorder: User, compound_id: int, rows: list[dict], settles: list[list]) -> None:
    """Payments with the compound's next receipt numbers, their allocations, the bills' paid
    amounts (the sum of their allocations, as record_payment keeps them) and an audit entry."""
    for row, number in zip(rows, service.take_receipt_nos(session, compound_id, len(rows))):
        row["receipt_no"] = number
    # plain executemany, then ids by receipt number: RETURNING over many batches is much slower
    session.execute(insert(Payment.__table__), rows)
    ids = dict(session.execute(select(Payment.receipt_no, Payment.id).where(Payment.compound_id == compound_id)).all())
    session.execute(insert(PaymentAllocation.__table__), [
        {"payment_id": ids[row["receipt_no"]], "bill_id": bill_id, "amount_fen": owing}
        for row, bills in zip(rows, settles) for bill_id, owing in bills])
    allocated = select(func.sum(PaymentAllocation.amount_fen)).where(PaymentAllocation.bill_id == Bill.id)
    session.execute(update(Bill).where(Bill.id.in_(select(PaymentAllocation.bill_id).where(
        PaymentAllocation.payment_id.in_(select(Payment.id).where(Payment.compound_id == compound_id)))))
        .values(paid_fen=allocated.scalar_subquery()), execution_options={"synchronize_session": False})
    audit.record(session, recorder, "payment.import", "compound", compound_id,
                 {"payments": len(rows), "amount_fen": sum(row["amount_fen"] for row in rows),
                  "source": "demo: the year's payments, written in bulk"})


def _counter_today(session: Session, clerk: User, compound_id: int) -> None:
    """Today at the counter, the three households owing most pay half of it, after a reminder."""
    today = clock.local_today()
    for number, (unit, _label, owing) in enumerate(service.unit_balances(session, compound_id, limit=3)):
        channel = ("cash", "bank", "pos")[number]
        reference = "" if channel == "cash" else f"{channel.upper()}{today:%Y%m%d}{number:04d}"
        service.record_payment(session, clerk, unit.id, owing // 2, channel, reference)
