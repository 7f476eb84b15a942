"""Parking rules: lots and tariffs, vehicles and passes, gate events, sessions, anomalies."""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.fees import payments
from pm_platform.parking import tariffs
from pm_platform.parking.models import (
    CAR_TYPES, LIST_KINDS, PASS_CHANNELS, SPACE_KINDS, ParkingAnomaly, ParkingCoupon, ParkingLot,
    ParkingPass, ParkingPassPurchase, ParkingSession, ParkingSpace, ParkingTariff, PlateListEntry, Vehicle,
)
from pm_platform.places import scope
from pm_platform.places.models import Owner, Ownership, Unit

MANAGER_ROLES = frozenset({"admin", "firm_manager"})
STAFF_ROLES = MANAGER_ROLES | {"firm_staff"}   # the office: coupons, anomalies, looking up vehicles
VIEWER_ROLES = STAFF_ROLES | {"community", "street", "bureau", "committee"}
MAX_AMOUNT_FEN = 100_000_000_00            # 100 million yuan: more is a typing mistake (and would overflow)
MAX_MINUTES = 7 * 24 * 60                  # a week: a longer free or charged period is a typing mistake
TARIFF_START_TOLERANCE = dt.timedelta(minutes=1)  # a form gives whole minutes: "now" may read as just past

# --- plates -----------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # letters on plates: no I, no O
_PLATE = re.compile(
    rf"^[{PROVINCES}][{_L}]("
    rf"[{_L}0-9]{{4}}[{_L}0-9挂学警港澳]"           # ordinary 7-character plate
    rf"|[DF][{_L}0-9][0-9]{{4}}"                    # new energy, small car (8 characters)
    rf"|[0-9]{{5}}[DF]"                             # new energy, large car (8 characters)
    rf")$"
)
_SEPARATORS = re.compile(r"[\s·•・.\-]+")


def normalise_plate(raw: str) -> str:
    """京a·12345 → 京A12345; ValidationError when it is not a mainland plate."""
    plate = _SEPARATORS.sub("", str(raw or "")).upper()
    if not _PLATE.match(plate):
        raise ValidationError("{plate!r} is not a mainland licence plate", "plate", code="bad_plate", plate=raw)
    return plate


# --- lots and tariffs ---------------------------------------------------------

def create_lot(session: Session, actor: User, compound_id: int, name: str, capacity: int, tariff: dict) -> ParkingLot:
    scope.get_compound(session, actor, compound_id, roles=MANAGER_ROLES)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name must be 1–100 characters", "name")
    if not isinstance(capacity, int) or capacity < 0:
        raise ValidationError("capacity must be a non-negative integer", "capacity")
    parsed = tariffs.tariff_from_dict(tariff)
    if session.scalar(select(ParkingLot.id).where(ParkingLot.compound_id == compound_id, ParkingLot.name == name)):
        raise Conflict("a lot named {name!r} exists in this compound", "name", name=name)
    lot = ParkingLot(compound_id=compound_id, name=name, capacity=capacity)
    session.add(lot)
    session.flush()
    # the first tariff also covers stays that began before the lot was registered
    session.add(ParkingTariff(lot_id=lot.id, car_type="temporary", params=json.dumps(tariffs.tariff_to_dict(parsed)),
                              effective_from=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)))
    session.flush()
    audit.record(session, actor, "parking.lot_created", "parking_lot", lot.id,
                 {"name": name, "capacity": capacity, "tariff": tariffs.tariff_to_dict(parsed)})
    return lot


def get_lot(session: Session, actor: User, lot_id: int, roles=VIEWER_ROLES) -> ParkingLot:
    lot = session.get(ParkingLot, lot_id)
    if lot is None:
        raise NotFound("parking lot {lot} not found", lot=lot_id)
    scope.get_compound(session, actor, lot.compound_id, roles=roles)
    return lot


def list_lots(session: Session, actor: User) -> list[ParkingLot]:
    return list(session.scalars(select(ParkingLot).where(
        ParkingLot.compound_id.in_(scope.compound_ids(session, actor, VIEWER_ROLES))).order_by(ParkingLot.id)))


def set_tariff(session: Session, actor: User, lot_id: int, car_type: str, tariff: dict,
               effective_from: dt.datetime | None = None) -> ParkingTariff:
    """A new tariff applies to stays that begin at or after `effective_from` (default: now)."""
    lot = get_lot(session, actor, lot_id, roles=MANAGER_ROLES)
    if car_type not in CAR_TYPES:
        raise ValidationError("car_type must be one of {choices}", "car_type", choices=", ".join(CAR_TYPES))
    parsed = tariffs.tariff_from_dict(tariff)
    now = clock.now_utc()
    effective_from = clock.as_utc(effective_from or now)
    if effective_from < now - TARIFF_START_TOLERANCE:
        # stays already begun keep the tariff they entered under
        raise ValidationError("a tariff cannot start in the past", "effective_from")
    if session.scalar(select(ParkingTariff.id).where(ParkingTariff.lot_id == lot.id, ParkingTariff.car_type == car_type,
                                                     ParkingTariff.effective_from == effective_from)):
        raise Conflict("a tariff for this car type already starts at that time", "effective_from")
    row = ParkingTariff(lot_id=lot.id, car_type=car_type, params=json.dumps(tariffs.tariff_to_dict(parsed)),
                        effective_from=effective_from)
    session.add(row)
    session.flush()
    audit.record(session, actor, "parking.tariff_set", "parking_lot", lot.id,
                 {"car_type": car_type, "tariff": tariffs.tariff_to_dict(parsed), "from": row.effective_from.isoformat()})
    return row


_TARIFFS = ParkingTariff.__table__
# a car type's own tariff in force before the temporary one; built once (the gate prices every exit)
_TARIFF_IN_FORCE = select(_TARIFFS.c.params).where(
    _TARIFFS.c.lot_id == bindparam("lot_id"), _TARIFFS.c.effective_from <= bindparam("at"),
    _TARIFFS.c.car_type.in_([bindparam("car_type"), "temporary"]),
).order_by(_TARIFFS.c.car_type == "temporary", _TARIFFS.c.effective_from.desc()).limit(1)


def tariff_for(session: Session, lot_id: int, car_type: str, at: dt.datetime) -> tariffs.Tariff:
    """The tariff in force for a stay beginning at `at`: the car type's own, else the temporary one."""
    params = session.execute(_TARIFF_IN_FORCE, {"lot_id": lot_id, "car_type": car_type,
                                                "at": clock.as_utc(at)}).scalar()
    if params is None:
        raise NotFound("lot {lot} has no tariff", lot=lot_id)
    return _parsed_tariff(params)


@functools.lru_cache(maxsize=256)
def _parsed_tariff(params: str) -> tariffs.Tariff:
    """Tariff rows never change (a change is a new row), and a parsed tariff is immutable."""
    return tariffs.tariff_from_dict(json.loads(params))


# --- spaces, vehicles, passes, lists, coupons -----------------------------------

def add_space(session: Session, actor: User, lot_id: int, code: str, kind: str, unit_id: int | None = None) -> ParkingSpace:
    lot = get_lot(session, actor, lot_id, roles=MANAGER_ROLES)
    if kind not in SPACE_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(SPACE_KINDS))
    if unit_id is not None and _unit_compound(session, unit_id) != lot.compound_id:
        raise ValidationError("the unit is not in this lot's compound", "unit_id")
    code = (code or "").strip()
    if not code or len(code) > 30:
        raise ValidationError("code must be 1–30 characters", "code")
    if session.scalar(select(ParkingSpace.id).where(ParkingSpace.lot_id == lot.id, ParkingSpace.code == code)):
        raise Conflict("space {space} exists in this lot", "code", space=code)
    space = ParkingSpace(lot_id=lot.id, code=code, kind=kind, unit_id=unit_id)
    session.add(space)
    session.flush()
    # an owned space makes its unit's own-space cars park free here
    audit.record(session, actor, "parking.space_added", "parking_space", space.id,
                 {"lot_id": lot.id, "code": code, "kind": kind, "unit_id": unit_id})
    return space


def _unit_compound(session: Session, unit_id: int) -> int | None:
    return session.scalar(select(Unit.compound_id).where(Unit.id == unit_id))


def register_vehicle(session: Session, actor: User, compound_id: int, plate: str, car_type: str,
                     unit_id: int | None = None) -> Vehicle:
    scope.get_compound(session, actor, compound_id, roles=MANAGER_ROLES)
    plate = normalise_plate(plate)
    if car_type not in CAR_TYPES:
        raise ValidationError("car_type must be one of {choices}", "car_type", choices=", ".join(CAR_TYPES))
    if unit_id is not None and _unit_compound(session, unit_id) != compound_id:
        raise ValidationError("the unit is not in this compound", "unit_id")
    if session.scalar(select(Vehicle.id).where(Vehicle.compound_id == compound_id, Vehicle.plate == plate)):
        raise Conflict("{plate} is already registered here", "plate", plate=plate)
    vehicle = Vehicle(compound_id=compound_id, plate=plate, car_type=car_type, unit_id=unit_id)
    session.add(vehicle)
    session.flush()
    # the car type decides what the vehicle pays (internal cars park free)
    audit.record(session, actor, "parking.vehicle_registered", "vehicle", vehicle.id,
                 {"plate": plate, "car_type": car_type, "unit_id": unit_id})
    return vehicle


def get_vehicle(session: Session, actor: User, vehicle_id: int, roles=STAFF_ROLES) -> Vehicle:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("vehicle {vehicle} not found", "vehicle_id", vehicle=vehicle_id)
    scope.get_compound(session, actor, vehicle.compound_id, roles=roles)
    return vehicle


def sell_pass(session: Session, actor: User, vehicle_id: int, lot_id: int, valid_from: dt.date, valid_to: dt.date,
              price_fen: int, channel: str = "office") -> ParkingPass:
    vehicle = get_vehicle(session, actor, vehicle_id, roles=MANAGER_ROLES)
    lot = get_lot(session, actor, lot_id, roles=MANAGER_ROLES)
    if vehicle.compound_id != lot.compound_id:
        raise ValidationError("the lot is not in the vehicle's compound", "lot_id")
    if valid_to < valid_from:
        raise ValidationError("valid_to must not be before valid_from", "valid_to")
    if price_fen < 0:
        raise ValidationError("price must not be negative", "price_fen")
    if channel not in PASS_CHANNELS:
        raise ValidationError("channel must be one of {choices}", "channel", choices=", ".join(PASS_CHANNELS))
    return _new_pass(session, actor, vehicle, lot, valid_from, valid_to, price_fen, channel)


def _new_pass(session: Session, actor: User | None, vehicle: Vehicle, lot: ParkingLot, valid_from: dt.date,
              valid_to: dt.date, price_fen: int, channel: str, purchase_id: int | None = None) -> ParkingPass:
    item = ParkingPass(vehicle_id=vehicle.id, lot_id=lot.id, valid_from=valid_from, valid_to=valid_to,
                       price_fen=price_fen, channel=channel, purchase_id=purchase_id)
    session.add(item)
    session.flush()
    audit.record(session, actor, "parking.pass_sold", "parking_pass", item.id,
                 {"plate": vehicle.plate, "from": valid_from, "to": valid_to, "price_fen": price_fen, "channel": channel})
    return item


def set_plate_list(session: Session, actor: User, compound_id: int, plate: str, kind: str, reason: str = "") -> PlateListEntry:
    scope.get_compound(session, actor, compound_id, roles=MANAGER_ROLES)
    plate = normalise_plate(plate)
    if kind not in LIST_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(LIST_KINDS))
    entry = session.scalar(select(PlateListEntry).where(PlateListEntry.compound_id == compound_id,
                                                        PlateListEntry.plate == plate))
    if entry is None:
        entry = PlateListEntry(compound_id=compound_id, plate=plate, kind=kind)
        session.add(entry)
    entry.kind, entry.reason = kind, (reason or "").strip()[:200]
    session.flush()
    # a white-listed plate parks free, a black-listed one stays outside
    audit.record(session, actor, "parking.plate_listed", "parking_plate_list", entry.id,
                 {"plate": plate, "kind": kind, "reason": entry.reason})
    return entry


def issue_coupon(session: Session, actor: User, lot_id: int, plate: str, issuer: str, *, free_minutes: int = 0,
                 amount_off_fen: int = 0) -> ParkingCoupon:
    """A merchant's or the office's coupon for a plate; the next exit on the lot uses it."""
    lot = get_lot(session, actor, lot_id, roles=STAFF_ROLES)
    if amount_off_fen < 0:
        raise ValidationError("the amount off must not be negative", "amount_off_fen")
    if free_minutes < 0 or not (free_minutes or amount_off_fen):
        raise ValidationError("a coupon gives free minutes or an amount off", "free_minutes")
    coupon = ParkingCoupon(lot_id=lot.id, plate=normalise_plate(plate), issuer=issuer.strip()[:100] or "office",
                           free_minutes=free_minutes, amount_off_fen=amount_off_fen, created_by_id=actor.id)
    session.add(coupon)
    session.flush()
    audit.record(session, actor, "parking.coupon_issued", "parking_coupon", coupon.id,
                 {"plate": coupon.plate, "free_minutes": free_minutes, "amount_off_fen": amount_off_fen})
    return coupon


# --- what a stay costs -------------------------------------------------------------

def pass_cover_until(session: Session, vehicle_id: int, lot_id: int, at: dt.datetime) -> dt.datetime | None:
    """The end of the pass cover valid at `at` (back-to-back passes join up), or None."""
    day = clock.to_local(at).date()
    passes = session.execute(select(ParkingPass.valid_from, ParkingPass.valid_to).where(
        ParkingPass.vehicle_id == vehicle_id, ParkingPass.lot_id == lot_id, ParkingPass.valid_to >= day
    ).order_by(ParkingPass.valid_from)).all()
    end = None
    for valid_from, valid_to in passes:
        if (end is None and valid_from <= day) or (end is not None and valid_from <= end):
            end = max(end or valid_to, valid_to + dt.timedelta(days=1))
    return clock.local_midnight_utc(end) if end else None


@dataclass(frozen=True)
class PlateIdentity:
    """Who a plate is on a compound: its list entry ("white"/"black") and registered vehicle."""
    listed: str | None
    vehicle: Vehicle | None


def plate_identity(session: Session, compound_id: int, plate: str) -> PlateIdentity:
    listed = session.scalar(select(PlateListEntry.kind).where(PlateListEntry.compound_id == compound_id,
                                                             PlateListEntry.plate == plate))
    vehicle = session.scalar(select(Vehicle).where(Vehicle.compound_id == compound_id, Vehicle.plate == plate))
    return PlateIdentity(listed, vehicle)


def stay_charge(session: Session, lot: ParkingLot, plate: str, entered_at: dt.datetime, exited_at: dt.datetime,
                coupons: tuple[tariffs.Coupon, ...] = (), identity: PlateIdentity | None = None) -> int:
    """The fee for a plate's stay on a lot, by who the vehicle is."""
    identity = identity or plate_identity(session, lot.compound_id, plate)
    vehicle = identity.vehicle
    if identity.listed == "white":
        return 0
    car_type = vehicle.car_type if vehicle else "temporary"
    if car_type == "internal":
        return 0
    own_space = car_type == "own_space" and vehicle.unit_id is not None and session.scalar(
        select(ParkingSpace.id).where(ParkingSpace.lot_id == lot.id, ParkingSpace.unit_id == vehicle.unit_id,
                                      ParkingSpace.kind == "owned").limit(1)) is not None
    pass_until = pass_cover_until(session, vehicle.id, lot.id, entered_at) if vehicle else None
    # a pass holder's uncovered time is charged at the temporary tariff
    tariff_type = "temporary" if car_type == "monthly" else car_type
    start = max(entered_at, pass_until) if pass_until else entered_at
    tariff = tariff_for(session, lot.id, tariff_type, start)
    return tariffs.stay_fee(tariff, entered_at, exited_at, pass_until=pass_until, own_space=own_space,
                            coupons=coupons)


def anomaly_charge(session: Session, lot: ParkingLot, plate: str, at: dt.datetime,
                   identity: PlateIdentity | None = None) -> int:
    """The defined charge for an exit nobody saw enter: what 24 hours up to the exit cost."""
    return stay_charge(session, lot, plate, at - tariffs.BLOCK, at, identity=identity)


# --- paying for stays (the gate asks for the order; see gate.py) -------------------------------

PAYMENT_PURPOSE = "parking"


def pending_order(session: Session, stay_id: int) -> payments.PaymentOrder | None:
    return session.scalar(select(payments.PaymentOrder).where(
        payments.PaymentOrder.purpose == PAYMENT_PURPOSE, payments.PaymentOrder.reference_id == stay_id,
        payments.PaymentOrder.status == "pending").order_by(payments.PaymentOrder.id.desc()).limit(1))


def open_stay_order(session: Session, lot, stay_id: int, plate: str, owed_fen: int) -> str | None:
    """A payment order for what a stay still owes; its order number (None where online payment
    is not set up: the driver pays the attendant)."""
    if payments.default_provider() is None:
        return None
    return payments.open_payment_order(
        session, None, purpose=PAYMENT_PURPOSE, reference_id=stay_id, compound_id=lot.compound_id,
        amount_fen=owed_fen, description=f"停车费 {lot.name} {plate}")


def _on_paid(session: Session, order: payments.PaymentOrder) -> None:
    settle_stay(session, order.reference_id, order.amount_fen, order.paid_at)


def settle_stay(session: Session, stay_id: int, amount_fen: int, paid_at: dt.datetime | None = None) -> ParkingSession:
    """Record payment of a stay's fee (the payment handler, once per paid order); the next exit
    read opens the gate."""
    stay = session.get(ParkingSession, stay_id)
    if stay is None:
        raise NotFound("parking stay {stay} not found", stay=stay_id)
    stay.paid_fen += amount_fen
    stay.paid_at = clock.as_utc(paid_at or clock.now_utc())
    if stay.paid_fen >= stay.fee_fen and stay.status == "awaiting_payment":
        stay.status = "closed"
    session.flush()
    return stay


# --- the lot manager's view ---------------------------------------------------------------

@dataclass
class LotFigures:
    lot: ParkingLot
    occupied: int
    takings_fen: int
    day: dt.date


def lot_figures(session: Session, lot: ParkingLot, day: dt.date | None = None) -> LotFigures:
    """Occupancy now and the takings of one Shanghai day."""
    day = day or clock.local_today()
    start, end = clock.local_midnight_utc(day), clock.local_midnight_utc(day + dt.timedelta(days=1))
    occupied = session.scalar(select(func.count()).select_from(ParkingSession).where(
        ParkingSession.lot_id == lot.id, ParkingSession.status == "open")) or 0
    takings = session.scalar(select(func.coalesce(func.sum(ParkingSession.paid_fen), 0)).where(
        ParkingSession.lot_id == lot.id, ParkingSession.paid_at >= start, ParkingSession.paid_at < end)) or 0
    return LotFigures(lot, occupied, int(takings), day)


def recent_stays(session: Session, lot: ParkingLot, limit: int = 50) -> list[ParkingSession]:
    return list(session.scalars(select(ParkingSession).where(ParkingSession.lot_id == lot.id)
                                .order_by(ParkingSession.id.desc()).limit(limit)))


def open_anomalies(session: Session, lot: ParkingLot, limit: int = 100) -> list[ParkingAnomaly]:
    return list(session.scalars(select(ParkingAnomaly).where(
        ParkingAnomaly.lot_id == lot.id, ParkingAnomaly.resolved_at.is_(None)).order_by(ParkingAnomaly.id.desc()).limit(limit)))


def open_anomaly_counts(session: Session, actor: User) -> list[tuple[ParkingLot, int]]:
    """The lots the actor's office works (staff roles) that have anomalies left to look at, with how many."""
    rows = session.execute(
        select(ParkingLot, func.count(ParkingAnomaly.id)).join(ParkingAnomaly, ParkingAnomaly.lot_id == ParkingLot.id)
        .where(ParkingAnomaly.resolved_at.is_(None),
               ParkingLot.compound_id.in_(scope.compound_ids(session, actor, STAFF_ROLES)))
        .group_by(ParkingLot.id).order_by(ParkingLot.id)).all()
    return [(lot, count) for lot, count in rows]


def resolve_anomaly(session: Session, actor: User, anomaly_id: int, note: str = "") -> ParkingAnomaly:
    anomaly = session.get(ParkingAnomaly, anomaly_id)
    if anomaly is None:
        raise NotFound("anomaly {anomaly} not found", anomaly=anomaly_id)
    get_lot(session, actor, anomaly.lot_id, roles=STAFF_ROLES)
    if anomaly.resolved_at is None:
        anomaly.resolved_at = clock.now_utc()
        audit.record(session, actor, "parking.anomaly_resolved", "parking_anomaly", anomaly.id,
                     {"kind": anomaly.kind, "charge_fen": anomaly.charge_fen, "note": note})
    session.flush()
    return anomaly


# --- what the lot manager's pages and the API list ------------------------------------------

@dataclass(frozen=True)
class TariffEntry:
    row: ParkingTariff
    status: str   # "upcoming", "in_force" or "superseded"


def tariff_history(session: Session, actor: User, lot_id: int, now: dt.datetime | None = None) -> list[TariffEntry]:
    """Every tariff the lot has had, by car type and newest first, marked by where it stands now."""
    lot = get_lot(session, actor, lot_id)
    now = clock.as_utc(now or clock.now_utc())
    rows = list(session.scalars(select(ParkingTariff).where(ParkingTariff.lot_id == lot.id)
                                .order_by(ParkingTariff.effective_from.desc(), ParkingTariff.id.desc())))
    rows.sort(key=lambda row: CAR_TYPES.index(row.car_type))  # stable: newest first within a car type
    entries, in_force = [], set()
    for row in rows:
        if clock.as_utc(row.effective_from) > now:
            status = "upcoming"
        elif row.car_type in in_force:
            status = "superseded"
        else:
            status = "in_force"
            in_force.add(row.car_type)
        entries.append(TariffEntry(row, status))
    return entries


def list_spaces(session: Session, actor: User, lot_id: int) -> list[ParkingSpace]:
    lot = get_lot(session, actor, lot_id, roles=STAFF_ROLES)
    return list(session.scalars(select(ParkingSpace).where(ParkingSpace.lot_id == lot.id).order_by(ParkingSpace.code)))


_WITH_PASSES = selectinload(Vehicle.passes).joinedload(ParkingPass.lot)


def list_vehicles(session: Session, actor: User, compound_id: int) -> list[Vehicle]:
    """The compound's registered vehicles with their passes."""
    scope.get_compound(session, actor, compound_id, roles=STAFF_ROLES)
    return list(session.scalars(select(Vehicle).where(Vehicle.compound_id == compound_id)
                                .options(_WITH_PASSES).order_by(Vehicle.plate)))


def list_plate_entries(session: Session, actor: User, compound_id: int) -> list[PlateListEntry]:
    scope.get_compound(session, actor, compound_id, roles=STAFF_ROLES)
    return list(session.scalars(select(PlateListEntry).where(PlateListEntry.compound_id == compound_id)
                                .order_by(PlateListEntry.kind, PlateListEntry.plate)))


def recent_coupons(session: Session, actor: User, lot_id: int, limit: int = 50) -> list[ParkingCoupon]:
    lot = get_lot(session, actor, lot_id, roles=STAFF_ROLES)
    return list(session.scalars(select(ParkingCoupon).where(ParkingCoupon.lot_id == lot.id)
                                .order_by(ParkingCoupon.id.desc()).limit(limit)))


def set_pass_price(session: Session, actor: User, lot_id: int, price_fen: int | None) -> ParkingLot:
    """What a month's pass on the lot costs online; None stops online sales."""
    lot = get_lot(session, actor, lot_id, roles=MANAGER_ROLES)
    if price_fen is not None and price_fen <= 0:
        raise ValidationError("the monthly pass price must be positive", "monthly_pass_price_fen")
    lot.monthly_pass_price_fen = price_fen
    session.flush()
    audit.record(session, actor, "parking.pass_price_set", "parking_lot", lot.id, {"price_fen": price_fen})
    return lot


# --- owners buying passes online -----------------------------------------------------------

PASS_PAYMENT_PURPOSE = "parking_pass"


def month_pass_end(start: dt.date) -> dt.date:
    """The last day of a month's pass from `start`: the day before the same date next month, or
    the end of next month when it has no such date (from 31 January: to 28/29 February)."""
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    last = calendar.monthrange(year, month)[1]
    if start.day > last:
        return dt.date(year, month, last)
    return dt.date(year, month, start.day) - dt.timedelta(days=1)


def next_pass_period(session: Session, vehicle_id: int, lot_id: int,
                     today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """A month from the day after the vehicle's current cover on the lot ends, or from today."""
    today = today or clock.local_today()
    cover_until = pass_cover_until(session, vehicle_id, lot_id, clock.local_midnight_utc(today))
    start = clock.to_local(cover_until).date() if cover_until else today
    return start, month_pass_end(start)


def _owned_units(user: User):
    return select(Ownership.unit_id).join(Owner).where(Owner.user_id == user.id)


def owner_vehicles(session: Session, user: User) -> list[Vehicle]:
    """The vehicles registered to the units the user owns, with their passes."""
    return list(session.scalars(select(Vehicle).where(Vehicle.unit_id.in_(_owned_units(user)))
                                .options(_WITH_PASSES).order_by(Vehicle.plate)))


def lots_selling_passes(session: Session, compound_ids: set[int]) -> list[ParkingLot]:
    return list(session.scalars(select(ParkingLot).where(
        ParkingLot.compound_id.in_(compound_ids), ParkingLot.monthly_pass_price_fen.is_not(None)).order_by(ParkingLot.id)))


def buy_pass_online(session: Session, actor: User, vehicle_id: int, lot_id: int) -> payments.PaymentOrder:
    """An owner orders a month's pass for their vehicle at the lot's price; paying the order
    makes the pass (see _on_pass_paid)."""
    vehicle = session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id, Vehicle.unit_id.in_(_owned_units(actor))))
    if vehicle is None:
        raise NotFound("vehicle {vehicle} not found", "vehicle_id", vehicle=vehicle_id)
    lot = session.get(ParkingLot, lot_id)
    if lot is None or lot.compound_id != vehicle.compound_id:
        raise NotFound("parking lot {lot} not found", "lot_id", lot=lot_id)
    if lot.monthly_pass_price_fen is None:
        raise ValidationError("this lot does not sell passes online", "lot_id")
    purchase = ParkingPassPurchase(vehicle_id=vehicle.id, lot_id=lot.id, price_fen=lot.monthly_pass_price_fen,
                                   created_by_id=actor.id)
    session.add(purchase)
    session.flush()
    return payments.create_payment_order(
        session, actor, purpose=PASS_PAYMENT_PURPOSE, reference_id=purchase.id, compound_id=lot.compound_id,
        amount_fen=purchase.price_fen, description=f"月卡 {lot.name} {vehicle.plate}")


def _on_pass_paid(session: Session, order: payments.PaymentOrder) -> ParkingPass:
    """The pass for a paid purchase, made once: a second call returns the first pass."""
    made = session.scalar(select(ParkingPass).where(ParkingPass.purchase_id == order.reference_id))
    if made is not None:
        return made
    purchase = session.get(ParkingPassPurchase, order.reference_id)
    vehicle, lot = session.get(Vehicle, purchase.vehicle_id), session.get(ParkingLot, purchase.lot_id)
    start, end = next_pass_period(session, vehicle.id, lot.id)
    return _new_pass(session, session.get(User, purchase.created_by_id), vehicle, lot, start, end,
                     order.amount_fen, "online", purchase.id)


payments.register_purpose_handler(PAYMENT_PURPOSE, _on_paid)
payments.register_purpose_handler(PASS_PAYMENT_PURPOSE, _on_pass_paid)
