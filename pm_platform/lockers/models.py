"""Express lockers: operator contracts, sites, parcel events, parcels, monthly settlements."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.db import Base, CreatedAt, Fen, intpk
from pm_platform.places.models import Compound

EVENT_KINDS = ("deposit", "pickup")


class LockerContract(Base):
    """An operator's contract for a compound: monthly site rent and a commission per parcel."""

    __tablename__ = "locker_contracts"
    __table_args__ = (CheckConstraint("monthly_rent_fen >= 0 AND commission_fen >= 0 AND free_hours > 0", name="terms"),
                      CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"))

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    operator: Mapped[str] = mapped_column(String(100))
    monthly_rent_fen: Mapped[Fen]
    commission_fen: Mapped[Fen]
    free_hours: Mapped[int] = mapped_column(default=48)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    created_at: Mapped[CreatedAt]

    compound: Mapped[Compound] = relationship()


class LockerSite(Base):
    __tablename__ = "locker_sites"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("locker_contracts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[CreatedAt]

    contract: Mapped[LockerContract] = relationship()
    compound: Mapped[Compound] = relationship()

    @property
    def full_name(self) -> str:
        """The site as pages list it, with its compound: site names repeat across compounds."""
        return f"{self.compound.name} · {self.name}"


class Parcel(Base):
    """A parcel in a site's cabinets, from deposit to pickup; the unit, when the parcel names one."""

    __tablename__ = "locker_parcels"
    __table_args__ = (UniqueConstraint("site_id", "parcel_code"),)

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(ForeignKey("locker_sites.id"), index=True)
    parcel_code: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    deposited_at: Mapped[dt.datetime | None]
    picked_up_at: Mapped[dt.datetime | None]

    site: Mapped[LockerSite] = relationship()


class ParcelEvent(Base):
    """Every cabinet event as received; (device, event_id) counts once."""

    __tablename__ = "locker_events"
    __table_args__ = (UniqueConstraint("device_id", "event_id"),
                      CheckConstraint(f"kind IN {EVENT_KINDS!r}", name="kind"))

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[int] = mapped_column(ForeignKey("locker_sites.id"), index=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("locker_parcels.id"))
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime]
    received_at: Mapped[CreatedAt]


class LockerSettlement(Base):
    """One month's statement for a contract: rent + commission × parcels deposited."""

    __tablename__ = "locker_settlements"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[intpk]
    contract_id: Mapped[int] = mapped_column(ForeignKey("locker_contracts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    parcels: Mapped[int]
    rent_fen: Mapped[Fen]
    commission_fen: Mapped[Fen]
    total_fen: Mapped[Fen]
    fund_entry_id: Mapped[int] = mapped_column(ForeignKey("fund_entries.id"))
    created_at: Mapped[CreatedAt]

    contract: Mapped[LockerContract] = relationship()
