"""Work orders, their timeline, reporters, photos, follow-up visits, deadline policies, notices."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.core.models import User
from pm_platform.db import Base, CreatedAt, PhotoColumns, in_values, intpk
from pm_platform.places.models import Building, Compound, Unit

SOURCES = ("resident", "staff", "hotline_12345", "inspection", "spot_check")
PRIORITIES = ("urgent", "normal", "complex")
STATUSES = ("new", "accepted", "assigned", "in_progress", "resolved", "closed", "reopened")
OPEN_STATUSES = ("new", "accepted", "assigned", "in_progress", "reopened")
CLOSE_KINDS = ("confirmed", "unconfirmed", "reinspection")
# What a resident can pick; the urgent ones (water, power, gas, someone trapped in a lift) get
# the urgent deadlines unless a priority is given.
CATEGORIES = ("water", "power", "gas", "lift_trapped", "lift", "drain", "roof_leak", "road", "lighting",
              "fire_safety", "parking", "ev_charging", "greenery", "sanitation", "noise", "security",
              "facility", "other")
URGENT_CATEGORIES = ("water", "power", "gas", "lift_trapped")
NOTICE_KINDS = ("water_outage", "power_outage", "lift_outage", "fee_reminder", "meeting", "other")
OUTAGE_KINDS = ("water_outage", "power_outage", "lift_outage")
NOTICE_TARGETS = ("compound", "buildings", "units")


class WorkOrder(Base):
    """One problem at one place, from report to closure. Coordinates are kept as integer
    micro-degrees; `facility_id` points into inspections (which builds on this domain), so it
    carries no foreign key."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(in_values("source", SOURCES), name="source"),
        CheckConstraint(in_values("priority", PRIORITIES), name="priority"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint(f"close_kind IS NULL OR {in_values('close_kind', CLOSE_KINDS)}", name="close_kind"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating"),
        CheckConstraint("escalation_level BETWEEN 0 AND 3", name="escalation_level"),
        Index("ix_work_orders_compound_status", "compound_id", "status"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("property_firms.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(index=True)
    lat_e6: Mapped[int | None]
    lng_e6: Mapped[int | None]
    external_ref: Mapped[str | None] = mapped_column(String(100))
    contractor: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str] = mapped_column(String(30), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime]
    respond_due_at: Mapped[dt.datetime]
    resolve_due_at: Mapped[dt.datetime]
    accepted_at: Mapped[dt.datetime | None]
    first_resolved_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    close_kind: Mapped[str | None] = mapped_column(String(20))
    closed_firm_id: Mapped[int | None] = mapped_column(ForeignKey("property_firms.id"))
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[dt.datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    rebound_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    has_rebounded: Mapped[bool] = mapped_column(default=False)

    events: Mapped[list[WorkOrderEvent]] = relationship(back_populates="work_order",
                                                        order_by="WorkOrderEvent.id")
    reports: Mapped[list[WorkOrderReport]] = relationship(back_populates="work_order",
                                                          order_by="WorkOrderReport.id")
    rebound_of: Mapped[WorkOrder | None] = relationship(remote_side="WorkOrder.id")
    compound: Mapped[Compound] = relationship()
    unit: Mapped[Unit | None] = relationship()
    building: Mapped[Building | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    @property
    def is_rebound(self) -> bool:
        return self.rebound_of_id is not None


class WorkOrderReport(Base):
    """A report that opened or joined an order: the first reporter and every duplicate one.
    A 12345 ticket (or any outside reference) arrives once: (source, external_ref) is unique."""

    __tablename__ = "work_order_reports"
    __table_args__ = (UniqueConstraint("source", "external_ref"),)

    id: Mapped[intpk]
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    external_ref: Mapped[str | None] = mapped_column(String(100))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str] = mapped_column(String(30), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    description: Mapped[str] = mapped_column(Text)
    is_duplicate: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[CreatedAt]

    work_order: Mapped[WorkOrder] = relationship(back_populates="reports")


class WorkOrderEvent(Base):
    """One step of the timeline: who did what, when, and the note they left."""

    __tablename__ = "work_order_events"

    id: Mapped[intpk]
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")  # JSON of plain values
    at: Mapped[dt.datetime] = mapped_column(index=True)

    work_order: Mapped[WorkOrder] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class WorkOrderPhoto(PhotoColumns, Base):
    """A photo resized on upload (JPEG); the original's SHA-256 is kept as evidence."""

    __tablename__ = "work_order_photos"

    id: Mapped[intpk]
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("work_order_events.id"))
    stage: Mapped[str] = mapped_column(String(20))


class DeadlinePolicy(Base):
    """A district's deadlines for one priority, in minutes (defaults live in the service)."""

    __tablename__ = "work_order_deadline_policies"
    __table_args__ = (
        UniqueConstraint("district_id", "priority"),
        CheckConstraint(in_values("priority", PRIORITIES), name="priority"),
        CheckConstraint("respond_minutes > 0 AND resolve_minutes >= respond_minutes", name="minutes"),
    )

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"))
    priority: Mapped[str] = mapped_column(String(20))
    respond_minutes: Mapped[int]
    resolve_minutes: Mapped[int]


class FollowUpVisit(Base):
    """A 回访: a sampled closed order, and whether the problem is really gone."""

    __tablename__ = "work_order_follow_ups"
    __table_args__ = (UniqueConstraint("work_order_id", "week"),)

    id: Mapped[intpk]
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week sampled, e.g. 2026-W47
    sampled_at: Mapped[dt.datetime]
    visited_at: Mapped[dt.datetime | None]
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_fixed: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")

    work_order: Mapped[WorkOrder] = relationship()


class Notice(Base):
    """A notice to a compound, some buildings or some units, for a span of time; an outage
    notice explains the work orders linked to it."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(in_values("kind", NOTICE_KINDS), name="kind"),
        CheckConstraint(in_values("target", NOTICE_TARGETS), name="target"),
        CheckConstraint("ends_at >= starts_at", name="span"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(String(20), default="compound")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]

    buildings: Mapped[list[NoticeBuilding]] = relationship(cascade="all, delete-orphan")
    units: Mapped[list[NoticeUnit]] = relationship(cascade="all, delete-orphan")


class NoticeBuilding(Base):
    __tablename__ = "notice_buildings"
    __table_args__ = (UniqueConstraint("notice_id", "building_id"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))


class NoticeUnit(Base):
    __tablename__ = "notice_units"
    __table_args__ = (UniqueConstraint("notice_id", "unit_id"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))


class NoticeWorkOrder(Base):
    __tablename__ = "notice_work_orders"
    __table_args__ = (UniqueConstraint("notice_id", "work_order_id"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)


class NoticeRead(Base):
    __tablename__ = "notice_reads"
    __table_args__ = (UniqueConstraint("notice_id", "user_id"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[dt.datetime]
