"""Fee items and their rates, billing runs, bills, payments, receipts, waivers.

Money is integer fen. A bill's amount is written once, when it is issued; payments,
waivers, refunds and reversals are separate rows that reference it, never edits of it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import AreaCm2, Base, CreatedAt, Fen, intpk, in_values
from pm_platform.fees.payments import PaymentOrder  # noqa: F401  (its table belongs to this domain)
from pm_platform.places.models import Unit

FEE_KINDS = ("per_area", "fixed")
APPLIES_TO = ("residential", "commercial", "parking", "all")
CYCLES = ("monthly", "quarterly", "yearly")
CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
RUN_SCOPES = ("compound", "street", "district")
RUN_STATUSES = ("queued", "running", "done", "failed")
PAYMENT_KINDS = ("payment", "refund", "reversal")
CHANNELS = ("cash", "bank", "pos", "online")
WAIVER_STATUSES = ("requested", "approved", "rejected")


class FeeItem(Base):
    """A charge of a compound: per m² of floor area per month, or fixed per unit per month."""

    __tablename__ = "fee_items"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        CheckConstraint(in_values("kind", FEE_KINDS), name="kind"),
        CheckConstraint(in_values("applies_to", APPLIES_TO), name="applies_to"),
        CheckConstraint(in_values("cycle", CYCLES), name="cycle"),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    applies_to: Mapped[str] = mapped_column(String(20), default="all")
    cycle: Mapped[str] = mapped_column(String(20), default="monthly")
    due_day: Mapped[int] = mapped_column(default=15)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    rates: Mapped[list[FeeRate]] = relationship(back_populates="fee_item", order_by="FeeRate.from_period")


class FeeRate(Base):
    """The rate of a fee item from a period on; bills already issued keep their amounts."""

    __tablename__ = "fee_rates"
    __table_args__ = (
        UniqueConstraint("fee_item_id", "from_period"),
        CheckConstraint("rate_fen >= 0", name="rate_not_negative"),
    )

    id: Mapped[intpk]
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"))
    from_period: Mapped[str] = mapped_column(String(7))
    rate_fen: Mapped[Fen]
    created_at: Mapped[CreatedAt]

    fee_item: Mapped[FeeItem] = relationship(back_populates="rates")


class FeeSettings(Base):
    """Per-compound options; the late fee is off (0) unless the firm turns it on."""

    __tablename__ = "fee_settings"
    __table_args__ = (CheckConstraint("late_fee_per_10k_day BETWEEN 0 AND 100", name="late_fee"),)

    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), primary_key=True)
    late_fee_per_10k_day: Mapped[int] = mapped_column(default=0)  # 滞纳金, parts per 10,000 per day


class AreaCharge(Base):
    """Memo of core.money.area_charge_fen for the (area, rate, months) a billing run meets, so
    that the set-based INSERT … SELECT joins to amounts rounded by the one rounding function."""

    __tablename__ = "area_charges"

    area_cm2: Mapped[int] = mapped_column(primary_key=True)
    rate_fen: Mapped[int] = mapped_column(primary_key=True)
    months: Mapped[int] = mapped_column(primary_key=True)
    amount_fen: Mapped[Fen]


class BillingRun(Base):
    """One request to bill a compound, street or district for a period; records what it did."""

    __tablename__ = "billing_runs"
    __table_args__ = (
        CheckConstraint(in_values("scope_kind", RUN_SCOPES), name="scope_kind"),
        CheckConstraint(in_values("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[intpk]
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    compounds_done: Mapped[int] = mapped_column(default=0)
    bills_created: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class Bill(Base):
    """One fee item for one unit for one period: the natural key that makes billing idempotent."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("unit_id", "fee_item_id", "period"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("waived_fen >= 0 AND paid_fen >= 0 AND waived_fen + paid_fen <= amount_fen", name="balance"),
        Index("ix_bills_compound_id_due_on", "compound_id", "due_on"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    months: Mapped[int] = mapped_column(default=1)
    area_cm2: Mapped[AreaCm2]          # as billed: a later change of the unit's area does not rewrite it
    rate_fen: Mapped[Fen]
    amount_fen: Mapped[Fen]
    waived_fen: Mapped[Fen] = mapped_column(default=0)
    paid_fen: Mapped[Fen] = mapped_column(default=0)
    due_on: Mapped[dt.date] = mapped_column(Date)
    billing_run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_runs.id"))
    created_at: Mapped[CreatedAt]

    unit: Mapped[Unit] = relationship()
    fee_item: Mapped[FeeItem] = relationship()

    @property
    def owing_fen(self) -> int:
        return self.amount_fen - self.waived_fen - self.paid_fen

    @property
    def status(self) -> str:
        if self.owing_fen > 0:
            return "partial" if self.paid_fen else "unpaid"
        return "waived" if self.waived_fen == self.amount_fen and self.amount_fen else "paid"


class Payment(Base):
    """Money in (payment) or out (refund, reversal): an entry, never edited after it is written.

    (channel, external_txn_id) is unique, so the same bank or provider transaction twice
    records one payment.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("channel", "external_txn_id"),
        UniqueConstraint("receipt_no"),
        CheckConstraint(in_values("kind", PAYMENT_KINDS), name="kind"),
        CheckConstraint(in_values("channel", CHANNELS), name="channel"),
        CheckConstraint("(kind = 'payment') = (amount_fen > 0) AND amount_fen <> 0", name="sign_by_kind"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="payment")
    channel: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[Fen]
    reference: Mapped[str] = mapped_column(String(100), default="")
    external_txn_id: Mapped[str | None] = mapped_column(String(100))
    # a reversal cancels this payment whole; a refund pays back part of its unallocated money
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    receipt_no: Mapped[str] = mapped_column(String(30))
    verify_code: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[dt.datetime]
    created_at: Mapped[CreatedAt]

    unit: Mapped[Unit] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="payment",
                                                                order_by="PaymentAllocation.id")


class PaymentAllocation(Base):
    """The part of a payment applied to one bill (negative for a reversal)."""

    __tablename__ = "payment_allocations"

    id: Mapped[intpk]
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    amount_fen: Mapped[Fen]
    created_at: Mapped[CreatedAt]

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    bill: Mapped[Bill] = relationship()


class ReceiptCounter(Base):
    """The last receipt number issued in a compound; locked while a number is taken, so the
    sequence has no gaps (a rolled-back payment rolls its number back too)."""

    __tablename__ = "receipt_counters"

    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), primary_key=True)
    last_no: Mapped[int] = mapped_column(default=0)


class Waiver(Base):
    """减免: a share of a unit's bills waived for a span of periods. The firm requests it, the
    community office decides; once approved it is applied to open bills and to new ones."""

    __tablename__ = "waivers"
    __table_args__ = (
        CheckConstraint(in_values("status", WAIVER_STATUSES), name="status"),
        CheckConstraint("percent BETWEEN 1 AND 100", name="percent"),
        CheckConstraint("to_period >= from_period", name="span"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    fee_item_id: Mapped[int | None] = mapped_column(ForeignKey("fee_items.id"))  # None: every item
    percent: Mapped[int]
    from_period: Mapped[str] = mapped_column(String(7))
    to_period: Mapped[str] = mapped_column(String(7))
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]

    unit: Mapped[Unit] = relationship()
    fee_item: Mapped[FeeItem | None] = relationship()
