"""Parking: lots, spaces, vehicles, passes, lists, tariffs, gate events, sessions, anomalies."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, Fen, intpk, in_values
from pm_platform.places.models import Compound

SPACE_KINDS = ("owned", "rented", "public")            # 产权 / 月租 / 临时
CAR_TYPES = ("own_space", "monthly", "internal", "temporary")
LIST_KINDS = ("black", "white")
PASS_CHANNELS = ("office", "online")
DIRECTIONS = ("in", "out")
GATE_OUTCOMES = ("accepted", "anomaly", "rejected")
# awaiting_payment: the exit was seen with a fee not yet paid; anomaly: closed by an anomaly
SESSION_STATUSES = ("open", "awaiting_payment", "closed", "anomaly")
ANOMALY_KINDS = ("exit_without_entry", "entry_without_exit", "bad_plate", "future_time", "out_of_order")


class ParkingLot(Base):
    __tablename__ = "parking_lots"
    __table_args__ = (UniqueConstraint("compound_id", "name"), CheckConstraint("capacity >= 0", name="capacity"),
                      CheckConstraint("monthly_pass_price_fen > 0", name="monthly_pass_price"))

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    capacity: Mapped[int]
    monthly_pass_price_fen: Mapped[Fen | None]   # None: owners cannot buy passes for this lot online
    created_at: Mapped[CreatedAt]

    compound: Mapped[Compound] = relationship()

    @property
    def full_name(self) -> str:
        """The lot as pages list it: several compounds have a "东门停车场"."""
        return f"{self.compound.name} · {self.name}"


class ParkingTariff(Base):
    """A lot's tariff for one car type from a moment on; a stay uses the one in force at its entry."""

    __tablename__ = "parking_tariffs"
    __table_args__ = (UniqueConstraint("lot_id", "car_type", "effective_from"),
                      CheckConstraint(in_values("car_type", CAR_TYPES), name="car_type"))

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    car_type: Mapped[str] = mapped_column(String(20), default="temporary")
    params: Mapped[str] = mapped_column(Text)  # JSON, as accepted by tariffs.tariff_from_dict
    effective_from: Mapped[dt.datetime]
    created_at: Mapped[CreatedAt]

    @property
    def tariff(self) -> dict:
        return json.loads(self.params)


class ParkingSpace(Base):
    __tablename__ = "parking_spaces"
    __table_args__ = (UniqueConstraint("lot_id", "code"), CheckConstraint(in_values("kind", SPACE_KINDS), name="kind"))

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    code: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("compound_id", "plate"), CheckConstraint(in_values("car_type", CAR_TYPES), name="car_type"))

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    car_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[CreatedAt]

    passes: Mapped[list[ParkingPass]] = relationship(order_by="ParkingPass.valid_from")


class ParkingPassPurchase(Base):
    """An owner's online order for a month's pass on a lot; the pass is made when it is paid."""

    __tablename__ = "parking_pass_purchases"

    id: Mapped[intpk]
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    price_fen: Mapped[Fen]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class ParkingPass(Base):
    """A monthly pass: valid on one lot for whole Shanghai days, valid_from to valid_to inclusive."""

    __tablename__ = "parking_passes"
    __table_args__ = (CheckConstraint("valid_to >= valid_from", name="period"),
                      CheckConstraint(in_values("channel", PASS_CHANNELS), name="channel"))

    id: Mapped[intpk]
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]
    price_fen: Mapped[Fen]
    channel: Mapped[str] = mapped_column(String(20))
    # the paid purchase it was made for: a payment notice arriving twice makes one pass
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("parking_pass_purchases.id"), unique=True)
    created_at: Mapped[CreatedAt]

    lot: Mapped[ParkingLot] = relationship()


class PlateListEntry(Base):
    """Black list: the gate stays shut. White list: the vehicle parks free."""

    __tablename__ = "parking_plate_lists"
    __table_args__ = (UniqueConstraint("compound_id", "plate"), CheckConstraint(in_values("kind", LIST_KINDS), name="kind"))

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[CreatedAt]


class ParkingSession(Base):
    """One stay: an entry and (later) an exit, with the fee and what was paid."""

    __tablename__ = "parking_sessions"
    __table_args__ = (CheckConstraint(in_values("status", SESSION_STATUSES), name="status"),
                      Index("ix_parking_sessions_lot_plate_status", "lot_id", "plate", "status"))

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10))
    entered_at: Mapped[dt.datetime | None]
    exited_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    fee_fen: Mapped[Fen] = mapped_column(default=0)
    paid_fen: Mapped[Fen] = mapped_column(default=0)
    paid_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]


class ParkingCoupon(Base):
    """Issued by a merchant or the office to a parked plate; used by the stay's exit."""

    __tablename__ = "parking_coupons"
    __table_args__ = (CheckConstraint("free_minutes >= 0 AND amount_off_fen >= 0", name="non_negative"),)

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    plate: Mapped[str] = mapped_column(String(10))
    issuer: Mapped[str] = mapped_column(String(100))
    free_minutes: Mapped[int] = mapped_column(default=0)
    amount_off_fen: Mapped[Fen] = mapped_column(default=0)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("parking_sessions.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]

    stay: Mapped[ParkingSession | None] = relationship()


class GateEvent(Base):
    """Every event a gate sent, kept with the answer it got; (device, event_id) arrives once."""

    __tablename__ = "parking_gate_events"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),
                      CheckConstraint(in_values("direction", DIRECTIONS), name="direction"),
                      CheckConstraint(in_values("outcome", GATE_OUTCOMES), name="outcome"))

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(100))
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    plate_raw: Mapped[str] = mapped_column(String(40))
    plate: Mapped[str] = mapped_column(String(10), default="")
    direction: Mapped[str] = mapped_column(String(5))
    at: Mapped[dt.datetime]
    received_at: Mapped[CreatedAt]
    outcome: Mapped[str] = mapped_column(String(10))
    error_code: Mapped[str] = mapped_column(String(30), default="")
    message: Mapped[str] = mapped_column(String(300), default="")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("parking_sessions.id"))
    fee_fen: Mapped[Fen | None]
    is_open: Mapped[bool] = mapped_column(default=False)

    stay: Mapped[ParkingSession | None] = relationship()


class ParkingAnomaly(Base):
    """Something a lot manager must look at, with the charge it carries (0 if none)."""

    __tablename__ = "parking_anomalies"
    __table_args__ = (CheckConstraint(in_values("kind", ANOMALY_KINDS), name="kind"),)

    id: Mapped[intpk]
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    plate: Mapped[str] = mapped_column(String(40))
    gate_event_id: Mapped[int] = mapped_column(ForeignKey("parking_gate_events.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("parking_sessions.id"))
    charge_fen: Mapped[Fen] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]

    lot: Mapped[ParkingLot] = relationship()
    gate_event: Mapped[GateEvent] = relationship()
    stay: Mapped[ParkingSession | None] = relationship()
