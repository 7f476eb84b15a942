"""Gate events, the hot path of parking: the barrier waits for the answer, and a busy site sends
hundreds of events a second. So an event is decided on one read of everything it depends on, and
its rows are written with SQLAlchemy Core on the tables: the ORM's unit of work cost more CPU than
the rest of the request together (benchmarks/gate_events.py)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import NotFound, PermissionDenied, ValidationError
from pm_platform.parking import service, tariffs
from pm_platform.parking.models import (
    GateEvent, ParkingAnomaly, ParkingCoupon, ParkingLot, ParkingSession, PlateListEntry, Vehicle,
)
from pm_platform.places.service import DeviceCaller

LOTS, EVENTS, STAYS, ANOMALIES, COUPONS, LISTS, VEHICLES = (model.__table__ for model in (
    ParkingLot, GateEvent, ParkingSession, ParkingAnomaly, ParkingCoupon, PlateListEntry, Vehicle))
CLOCK_SKEW = dt.timedelta(minutes=5)       # a gate clock may run this far ahead of ours
EXIT_GRACE = dt.timedelta(minutes=15)      # after paying, the plate may be read again at the gate


@dataclass(frozen=True)
class GateAnswer:
    """What the gate is told: the API's answer body."""
    event_id: str
    outcome: str                 # accepted, anomaly or rejected
    plate: str
    session_id: int | None
    fee_fen: int | None
    open: bool
    message: str
    error_code: str
    duplicate: bool = False
    order_no: str | None = None  # the payment order to pay an exit's fee by


class _Lot(NamedTuple):
    id: int
    compound_id: int
    name: str


class _Vehicle(NamedTuple):
    id: int
    car_type: str
    unit_id: int | None


@dataclass
class _Stay:
    """A parking_sessions row as this module reads and writes it; id None until inserted."""
    id: int | None
    plate: str
    entered_at: dt.datetime | None
    exited_at: dt.datetime | None = None
    status: str = "open"
    fee_fen: int = 0
    paid_fen: int = 0


@dataclass
class _Event:
    """A parking_gate_events row being decided, and the other rows its decision writes."""
    device_id: int
    event_id: str
    lot_id: int
    plate_raw: str
    direction: str
    at: dt.datetime
    plate: str = ""
    outcome: str = "accepted"
    error_code: str = ""
    message: str = ""
    fee_fen: int | None = None
    is_open: bool = False
    stay: _Stay | None = None
    changed_stays: list[_Stay] = field(default_factory=list)   # written in this order
    anomaly: dict | None = None
    coupon_ids: list[int] = field(default_factory=list)

    def reject(self, code: str, message: str) -> None:
        self.outcome, self.error_code, self.message, self.is_open = "rejected", code, message, False

    def answer(self, order_no: str | None = None) -> GateAnswer:
        return GateAnswer(self.event_id, self.outcome, self.plate, self.stay.id if self.stay else None,
                          self.fee_fen, self.is_open, self.message, self.error_code, False, order_no)


@dataclass
class _Context:
    lot: _Lot
    previous_id: int | None       # this device's earlier event with the same event_id
    latest: _Stay | None          # the plate's latest stay on the lot
    identity: service.PlateIdentity
    has_coupons: bool             # coupons wait for the plate's next exit


def _context_query():
    """Everything an event is decided on, as one query (the gate waits on every round trip), built
    once: building it per event costs more than running it."""
    prior = STAYS.alias("prior")
    plate = bindparam("plate")
    latest_id = select(func.max(prior.c.id)).where(prior.c.lot_id == LOTS.c.id, prior.c.plate == plate)
    has_coupons = exists().where(COUPONS.c.lot_id == LOTS.c.id, COUPONS.c.plate == plate, COUPONS.c.session_id.is_(None))
    return (
        select(LOTS.c.id.label("lot_id"), LOTS.c.compound_id, LOTS.c.name.label("lot_name"),
               EVENTS.c.id.label("previous_id"),
               STAYS.c.id.label("stay_id"), STAYS.c.entered_at, STAYS.c.exited_at, STAYS.c.status, STAYS.c.fee_fen,
               STAYS.c.paid_fen,
               LISTS.c.kind.label("listed"), VEHICLES.c.id.label("vehicle_id"), VEHICLES.c.car_type, VEHICLES.c.unit_id,
               has_coupons.label("has_coupons"))
        .select_from(LOTS)
        .outerjoin(EVENTS, and_(EVENTS.c.device_id == bindparam("device_id"), EVENTS.c.event_id == bindparam("event_id")))
        .outerjoin(STAYS, STAYS.c.id == latest_id.scalar_subquery())
        .outerjoin(LISTS, and_(LISTS.c.compound_id == LOTS.c.compound_id, LISTS.c.plate == plate))
        .outerjoin(VEHICLES, and_(VEHICLES.c.compound_id == LOTS.c.compound_id, VEHICLES.c.plate == plate))
        .where(LOTS.c.id == bindparam("lot_id")))


_CONTEXT = _context_query()
_INSERT_STAY = insert(STAYS).returning(STAYS.c.id)
_INSERT_EVENT = insert(EVENTS).returning(EVENTS.c.id)
_UPDATE_STAY = update(STAYS).where(STAYS.c.id == bindparam("stay_id"))
_UNUSED_COUPONS = select(COUPONS.c.id, COUPONS.c.free_minutes, COUPONS.c.amount_off_fen).where(
    COUPONS.c.lot_id == bindparam("lot_id"), COUPONS.c.plate == bindparam("plate"), COUPONS.c.session_id.is_(None))


def _context(connection: Connection, device_id: int, event_id: str, lot_id: int, plate: str) -> _Context | None:
    row = connection.execute(_CONTEXT, {"device_id": device_id, "event_id": event_id, "lot_id": lot_id,
                                        "plate": plate}).one_or_none()
    if row is None:
        return None
    latest = None if row.stay_id is None else _Stay(
        row.stay_id, plate, _as_utc(row.entered_at), _as_utc(row.exited_at), row.status, row.fee_fen, row.paid_fen)
    vehicle = None if row.vehicle_id is None else _Vehicle(row.vehicle_id, row.car_type, row.unit_id)
    return _Context(_Lot(row.lot_id, row.compound_id, row.lot_name), row.previous_id, latest,
                    service.PlateIdentity(row.listed, vehicle), bool(row.has_coupons))


def _as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else clock.as_utc(moment)


def record_gate_event(session: Session, device: DeviceCaller, *, event_id: str, lot_id: int, plate: str, direction: str,
                      at: dt.datetime, now: dt.datetime | None = None) -> GateAnswer:
    """Take one gate event. The same (device, event_id) again returns the first answer.

    Bad plates, times in the future and out-of-order events are kept with outcome "rejected";
    exits with no entry and second entries are kept as anomalies with a charge.
    """
    event = _Event(device.id, event_id, lot_id, str(plate)[:40], direction, clock.as_utc(at))
    try:
        event.plate = service.normalise_plate(event.plate_raw)
    except ValidationError as exc:
        event.reject("bad_plate", exc.message)
    connection = session.connection()
    context = _context(connection, device.id, event_id, lot_id, event.plate)
    if context is None:
        raise NotFound("parking lot {lot} not found", "lot_id", lot=lot_id)
    if context.previous_id is not None:
        return _answer_again(session, context.previous_id)
    if device.kind != "gate" or context.lot.compound_id != device.compound_id:
        raise PermissionDenied("this device may not post events for this lot", "lot_id")
    # only a stay priced by an earlier exit can have a payment order waiting
    may_have_order = context.latest is not None and context.latest.exited_at is not None
    _decide(session, context, event, now or clock.now_utc())
    # a duplicate arriving at the same moment fails here on the unique (device, event_id) and
    # the caller asks again (see the API)
    _save(connection, event)
    return event.answer(_payment_order(session, context.lot, event, may_have_order))


_EVENT_ANSWER = select(EVENTS.c.event_id, EVENTS.c.outcome, EVENTS.c.plate, EVENTS.c.session_id, EVENTS.c.fee_fen,
                      EVENTS.c.is_open, EVENTS.c.message, EVENTS.c.error_code).where(EVENTS.c.id == bindparam("id"))


def _answer_again(session: Session, event_row_id: int) -> GateAnswer:
    """The answer a gate got for an event it sends again, with the order to pay by if it still waits."""
    answer = GateAnswer(*session.execute(_EVENT_ANSWER, {"id": event_row_id}).one(), duplicate=True)
    order = service.pending_order(session, answer.session_id) if answer.session_id and not answer.open else None
    return answer if order is None else replace(answer, order_no=order.order_no)


def _anomaly(event: _Event, kind: str, charge: int, stay: _Stay | None, note: str) -> None:
    event.anomaly = {"kind": kind, "charge_fen": charge, "stay": stay, "note": note}


def _decide(session: Session, context: _Context, event: _Event, now: dt.datetime) -> None:
    latest = context.latest
    if event.error_code == "bad_plate":
        _anomaly(event, "bad_plate", 0, None, event.message)
        return
    if event.at > now + CLOCK_SKEW:
        event.reject("future_time", f"at {event.at.isoformat()} is in the future (server time {now.isoformat()})")
        _anomaly(event, "future_time", 0, None, event.message)
        return
    last_seen = None if latest is None else latest.exited_at or latest.entered_at
    if last_seen is not None and event.at < last_seen:
        event.reject("out_of_order", f"{event.direction} at {event.at.isoformat()} is before this plate's "
                                     f"last event at {last_seen.isoformat()}")
        _anomaly(event, "out_of_order", 0, latest, event.message)
        return
    if event.direction == "in":
        _enter(session, context, event)
    else:
        _exit(session, context, event)


def _enter(session: Session, context: _Context, event: _Event) -> None:
    latest = context.latest
    if context.identity.listed == "black":
        event.is_open, event.message = False, "black-listed plate"
        return
    if latest is not None and latest.status == "open":
        # the exit was never seen: the earlier stay ends here and carries its fee as a charge
        charge = service.stay_charge(session, context.lot, event.plate, latest.entered_at, event.at,
                                     identity=context.identity)
        latest.status, latest.exited_at, latest.fee_fen = "anomaly", event.at, charge
        event.changed_stays.append(latest)
        event.outcome = "anomaly"
        _anomaly(event, "entry_without_exit", charge, latest,
                 "second entry with no exit: the earlier stay was closed at this entry")
    event.stay = _Stay(None, event.plate, event.at)
    event.changed_stays.append(event.stay)
    event.fee_fen, event.is_open = 0, True


def _exit(session: Session, context: _Context, event: _Event) -> None:
    lot, latest = context.lot, context.latest
    is_retry = latest is not None and latest.status != "open" and latest.exited_at is not None
    if is_retry and event.at - latest.exited_at <= EXIT_GRACE:
        # the plate read again after the exit was quoted: open once it is paid
        event.stay, event.fee_fen = latest, latest.fee_fen
        event.is_open = latest.paid_fen >= latest.fee_fen
        return
    if latest is None or latest.status != "open":
        charge = service.anomaly_charge(session, lot, event.plate, event.at, context.identity)
        stay = _Stay(None, event.plate, None, event.at, "awaiting_payment" if charge else "anomaly", charge)
        event.outcome = "anomaly"
        _anomaly(event, "exit_without_entry", charge, stay, "exit with no entry: charged as 24 hours up to the exit")
    else:
        stay = latest
        coupons = session.execute(_UNUSED_COUPONS, {"lot_id": lot.id, "plate": event.plate}).all() \
            if context.has_coupons else []
        event.coupon_ids = [coupon.id for coupon in coupons]
        stay.exited_at = event.at
        stay.fee_fen = service.stay_charge(
            session, lot, event.plate, stay.entered_at, event.at,
            tuple(tariffs.Coupon(c.free_minutes, c.amount_off_fen) for c in coupons), context.identity)
        stay.status = "awaiting_payment" if stay.fee_fen else "closed"
    event.changed_stays.append(stay)
    event.stay, event.fee_fen = stay, stay.fee_fen
    event.is_open = stay.fee_fen == 0


def _save(connection: Connection, event: _Event) -> None:
    """Write what the decision changed: stays first (the event and the anomaly point at them)."""
    for stay in event.changed_stays:
        values = {"exited_at": stay.exited_at, "status": stay.status, "fee_fen": stay.fee_fen}
        if stay.id is None:
            stay.id = connection.execute(_INSERT_STAY, {**values, "lot_id": event.lot_id, "plate": stay.plate,
                                                        "entered_at": stay.entered_at}).scalar_one()
        else:
            connection.execute(_UPDATE_STAY, {**values, "stay_id": stay.id})
    if event.coupon_ids:
        connection.execute(update(COUPONS).where(COUPONS.c.id.in_(event.coupon_ids)).values(session_id=event.stay.id))
    event_row = connection.execute(_INSERT_EVENT, {
        "device_id": event.device_id, "event_id": event.event_id, "lot_id": event.lot_id,
        "plate_raw": event.plate_raw, "plate": event.plate, "direction": event.direction, "at": event.at,
        "outcome": event.outcome, "error_code": event.error_code, "message": event.message,
        "session_id": event.stay.id if event.stay else None, "fee_fen": event.fee_fen, "is_open": event.is_open,
    }).scalar_one()
    if event.anomaly is not None:
        anomaly = event.anomaly
        connection.execute(insert(ANOMALIES), {
            "lot_id": event.lot_id, "kind": anomaly["kind"], "plate": event.plate or event.plate_raw,
            "gate_event_id": event_row, "session_id": anomaly["stay"].id if anomaly["stay"] else None,
            "charge_fen": anomaly["charge_fen"], "note": anomaly["note"], "at": event.at})


def _payment_order(session: Session, lot: _Lot, event: _Event, may_have_order: bool) -> str | None:
    """An exit that may not open yet gets an order for what is still owed (one per stay)."""
    stay = event.stay
    if event.direction != "out" or event.is_open or stay is None or event.outcome == "rejected":
        return None
    owed = stay.fee_fen - stay.paid_fen
    if owed <= 0:
        return None
    order = service.pending_order(session, stay.id) if may_have_order else None
    if order is not None and order.amount_fen == owed:
        return order.order_no
    return service.open_stay_order(session, lot, stay.id, stay.plate, owed)
