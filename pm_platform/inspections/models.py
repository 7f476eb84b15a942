"""Facilities, their QR labels, checklists, plans, rounds, scans, records and findings."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, PhotoColumns, in_values, intpk
from pm_platform.places.models import Building, Compound

KINDS = ("extinguisher", "hydrant", "pump", "elevator", "gate", "camera", "ev_charger", "roof", "drain")
FREQUENCIES = ("daily", "weekly", "monthly")
ITEM_STATUSES = ("due", "on_time", "late", "missed")
TIMELINESS = ("on_time", "late", "out_of_window")
FINDING_STATUSES = ("open", "awaiting_reinspection", "closed")




class Facility(Base):
    """A thing to inspect. Coordinates are integer micro-degrees (as work orders keep them)."""

    __tablename__ = "facilities"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint("lat_e6 IS NULL OR lat_e6 BETWEEN -90000000 AND 90000000", name="lat"),
        CheckConstraint("lng_e6 IS NULL OR lng_e6 BETWEEN -180000000 AND 180000000", name="lng"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    floor: Mapped[str] = mapped_column(String(20), default="")
    location_text: Mapped[str] = mapped_column(String(300), default="")
    lat_e6: Mapped[int | None]
    lng_e6: Mapped[int | None]
    renovation_project: Mapped[str] = mapped_column(String(200), default="")  # which renovation installed it
    contractor: Mapped[str] = mapped_column(String(200), default="")
    warranty_ends_on: Mapped[dt.date | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    compound: Mapped[Compound] = relationship()
    building: Mapped[Building | None] = relationship()
    labels: Mapped[list[FacilityLabel]] = relationship(back_populates="facility", order_by="FacilityLabel.id")

    @property
    def place(self) -> str:
        """Building, floor and free text, as printed on a label."""
        parts = [self.building.name if self.building else "", f"{self.floor}F" if self.floor else "",
                 self.location_text]
        return " ".join(p for p in parts if p)

    def under_warranty(self, day: dt.date) -> bool:
        return self.warranty_ends_on is not None and day <= self.warranty_ends_on


class FacilityLabel(Base):
    """A printed QR label: an unguessable token. Replacing it revokes the old token."""

    __tablename__ = "facility_labels"
    __table_args__ = (
        Index("uq_facility_labels_one_live", "facility_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[intpk]
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(200), default="")

    facility: Mapped[Facility] = relationship(back_populates="labels")


class Checklist(Base):
    """A firm's own checklist for one kind of facility; kinds without one use the shipped default.

    `items` is a list of {key, label, type (pass_fail|number|text|photo), min, max, unit,
    required, severity (high|normal|low), category}."""

    __tablename__ = "inspection_checklists"
    __table_args__ = (
        UniqueConstraint("firm_id", "kind"),
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint("radius_m BETWEEN 5 AND 1000", name="radius"),
    )

    id: Mapped[intpk]
    firm_id: Mapped[int] = mapped_column(ForeignKey("property_firms.id"))
    kind: Mapped[str] = mapped_column(String(20))
    radius_m: Mapped[int] = mapped_column(default=50)
    is_high_risk: Mapped[bool] = mapped_column(default=False)
    items: Mapped[list] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime]


class Plan(Base):
    """A route of facilities walked on a schedule within a daily time window (Shanghai time).
    A window whose end is not after its start crosses midnight and ends the next day."""

    __tablename__ = "inspection_plans"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        CheckConstraint(in_values("frequency", FREQUENCIES), name="frequency"),
        CheckConstraint("month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day"),
        CheckConstraint("late_minutes BETWEEN 0 AND 720", name="late_minutes"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    frequency: Mapped[str] = mapped_column(String(10))
    weekdays: Mapped[str] = mapped_column(String(20), default="")  # ISO weekdays "1,3,5" (Mon=1)
    month_day: Mapped[int | None]  # past the month's end means its last day
    window_start: Mapped[dt.time] = mapped_column(Time)
    window_end: Mapped[dt.time] = mapped_column(Time)
    late_minutes: Mapped[int] = mapped_column(default=60)  # records still accepted, as late
    starts_on: Mapped[dt.date]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    compound: Mapped[Compound] = relationship()
    stops: Mapped[list[PlanStop]] = relationship(order_by="PlanStop.position", cascade="all, delete-orphan")
    members: Mapped[list[PlanMember]] = relationship(cascade="all, delete-orphan")


class PlanStop(Base):
    __tablename__ = "inspection_plan_stops"
    __table_args__ = (UniqueConstraint("plan_id", "facility_id"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    position: Mapped[int]

    facility: Mapped[Facility] = relationship()


class PlanMember(Base):
    """The assignee (one member) or team (several) who walk a plan."""

    __tablename__ = "inspection_plan_members"
    __table_args__ = (UniqueConstraint("plan_id", "user_id"),)

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Round(Base):
    """One occurrence of a plan: its window in UTC; records are accepted as late until submit_until."""

    __tablename__ = "inspection_rounds"
    __table_args__ = (
        UniqueConstraint("plan_id", "due_date"),
        CheckConstraint("closes_at > opens_at AND submit_until >= closes_at", name="window"),
    )

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"))
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    due_date: Mapped[dt.date] = mapped_column(index=True)  # the Shanghai day the window opens
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime] = mapped_column(index=True)
    submit_until: Mapped[dt.datetime]
    missed_marked_at: Mapped[dt.datetime | None]
    created_at: Mapped[CreatedAt]

    plan: Mapped[Plan] = relationship()
    items: Mapped[list[RoundItem]] = relationship(back_populates="round", order_by="RoundItem.position")


class RoundItem(Base):
    __tablename__ = "inspection_round_items"
    __table_args__ = (
        UniqueConstraint("round_id", "facility_id"),
        CheckConstraint(in_values("status", ITEM_STATUSES), name="status"),
    )

    id: Mapped[intpk]
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_rounds.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    position: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="due")

    round: Mapped[Round] = relationship(back_populates="items")
    facility: Mapped[Facility] = relationship()


class Scan(Base):
    """A label opened by an inspector, at server time: the clock that proof of presence runs on."""

    __tablename__ = "inspection_scans"
    __table_args__ = (Index("ix_inspection_scans_user_facility", "user_id", "facility_id", "opened_at"),)

    id: Mapped[intpk]
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    label_id: Mapped[int] = mapped_column(ForeignKey("facility_labels.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime]


class Record(Base):
    """One inspection of one facility. `answers` keeps each item as it was asked (the checklist
    may change later) with the value given and whether it passed. One record per scan."""

    __tablename__ = "inspection_records"
    __table_args__ = (
        CheckConstraint(in_values("timeliness", TIMELINESS), name="timeliness"),
        Index("ix_inspection_records_compound_submitted", "compound_id", "submitted_at"),
        Index("ix_inspection_records_user_submitted", "user_id", "submitted_at"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scan_id: Mapped[int] = mapped_column(ForeignKey("inspection_scans.id"), unique=True)
    round_item_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round_items.id"), index=True)
    scan_opened_at: Mapped[dt.datetime]
    client_scanned_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime]
    lat_e6: Mapped[int | None]
    lng_e6: Mapped[int | None]
    accuracy_m: Mapped[int | None]
    distance_m: Mapped[int | None]
    timeliness: Mapped[str] = mapped_column(String(15))
    is_flagged: Mapped[bool] = mapped_column(default=False)
    flags: Mapped[list] = mapped_column(JSON)
    passed: Mapped[bool]
    answers: Mapped[list] = mapped_column(JSON)

    facility: Mapped[Facility] = relationship()
    photos: Mapped[list[InspectionPhoto]] = relationship(order_by="InspectionPhoto.id")


class InspectionPhoto(PhotoColumns, Base):
    """A photo resized on upload (JPEG) with the original's SHA-256 kept as evidence: of a
    record's item, or (record_id empty) the facility's own picture."""

    __tablename__ = "inspection_photos"

    id: Mapped[intpk]
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_records.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(40), default="")


class Finding(Base):
    """A failed item and the work order it opened, until a re-inspection passes it."""

    __tablename__ = "inspection_findings"
    __table_args__ = (
        UniqueConstraint("record_id", "item_key"),
        CheckConstraint(in_values("status", FINDING_STATUSES), name="status"),
        Index("ix_inspection_findings_facility_status", "facility_id", "status"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("inspection_records.id"))
    item_key: Mapped[str] = mapped_column(String(40))
    item_label: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(10))
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(25), default="open")
    created_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    closed_by_record_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_records.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    facility: Mapped[Facility] = relationship()
