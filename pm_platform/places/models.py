"""Places, owners, firms, role grants and machine devices."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pm_platform.core.models import User
from pm_platform.db import AreaCm2, Base, CreatedAt, intpk, in_values

AREA_KINDS = ("district", "street", "community")
UNIT_USES = ("residential", "commercial", "parking")
OWNER_TYPES = ("person", "organization", "developer")
ROLES = ("admin", "bureau", "street", "community", "firm_manager", "firm_staff", "committee", "owner")
SCOPE_KINDS = ("district", "street", "community", "compound", "firm")
DEVICE_KINDS = ("gate", "locker")





def unit_label(building: str, entrance: str | None, room: str) -> str:
    """How the platform writes a unit, everywhere: 1栋1单元101 (no entrance: 1栋101)."""
    return f"{building}{entrance + '单元' if entrance else ''}{room}"

class AdminArea(Base):
    """A district (区), a street office's area (街道) or a community office's area (社区)."""

    __tablename__ = "admin_areas"
    __table_args__ = (
        CheckConstraint(in_values("kind", AREA_KINDS), name="kind"),
        CheckConstraint("(kind = 'district') = (parent_id IS NULL)", name="parent_by_kind"),
        UniqueConstraint("parent_id", "name"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_areas.id"), index=True)
    created_at: Mapped[CreatedAt]

    parent: Mapped[AdminArea | None] = relationship(remote_side="AdminArea.id")


class Compound(Base):
    """A residential compound (小区). Its street and district are kept beside its community
    office so that scoping a query is one comparison, not a walk up the tree."""

    __tablename__ = "compounds"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[intpk]
    name: Mapped[str]
    address: Mapped[str] = mapped_column(String(300), default="")
    community_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("admin_areas.id"), index=True)
    created_at: Mapped[CreatedAt]

    community: Mapped[AdminArea] = relationship(foreign_keys=[community_id])
    street: Mapped[AdminArea] = relationship(foreign_keys=[street_id])
    district: Mapped[AdminArea] = relationship(foreign_keys=[district_id])


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))


class Unit(Base):
    """A unit (房屋) with the floor area that fees and votes are weighted by."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("building_id", "entrance", "room"),
        CheckConstraint("area_cm2 > 0", name="area_positive"),
        CheckConstraint(in_values("use", UNIT_USES), name="use"),
    )

    id: Mapped[intpk]
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    entrance: Mapped[str] = mapped_column(String(20), default="")
    floor: Mapped[int]
    room: Mapped[str] = mapped_column(String(20))
    area_cm2: Mapped[AreaCm2]
    use: Mapped[str] = mapped_column(String(20), default="residential")

    building: Mapped[Building] = relationship()
    ownerships: Mapped[list[Ownership]] = relationship(back_populates="unit")

    @property
    def label(self) -> str:
        return unit_label(self.building.name, self.entrance, self.room)


class Owner(Base):
    """A person or organisation owning units. The ID number is kept only as a keyed hash
    (to match the same owner across rows and to verify an account) and a masked form."""

    __tablename__ = "owners"
    __table_args__ = (CheckConstraint(in_values("owner_type", OWNER_TYPES), name="owner_type"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30), default="")
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(40))
    owner_type: Mapped[str] = mapped_column(String(20), default="person")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[CreatedAt]

    ownerships: Mapped[list[Ownership]] = relationship(back_populates="owner")


class Ownership(Base):
    """An owner's share in a unit; co-owners of one unit name exactly one voter."""

    __tablename__ = "ownerships"
    __table_args__ = (
        UniqueConstraint("unit_id", "owner_id"),
        # at most one voter per unit (a partial unique index)
        Index("uq_ownerships_one_voter", "unit_id", unique=True,
              sqlite_where=text("is_voter"), postgresql_where=text("is_voter")),
    )

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"), index=True)
    certificate_hash: Mapped[str] = mapped_column(String(64), default="")
    is_voter: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    unit: Mapped[Unit] = relationship(back_populates="ownerships")
    owner: Mapped[Owner] = relationship(back_populates="ownerships")


class PropertyFirm(Base):
    __tablename__ = "property_firms"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(unique=True)
    credit_code: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[CreatedAt]


class ServiceContract(Base):
    """A firm serving a compound for a period; at most one at a time (checked by the service)."""

    __tablename__ = "service_contracts"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),)

    id: Mapped[intpk]
    firm_id: Mapped[int] = mapped_column(ForeignKey("property_firms.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    created_at: Mapped[CreatedAt]

    firm: Mapped[PropertyFirm] = relationship()
    compound: Mapped[Compound] = relationship()


class RoleGrant(Base):
    """A role held on a place of the tree (or on a firm); the admin's has no scope."""

    __tablename__ = "role_grants"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "scope_kind", "scope_id"),
        CheckConstraint(in_values("role", ROLES), name="role"),
        CheckConstraint("(role = 'admin') = (scope_kind IS NULL)", name="scope_by_role"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    scope_kind: Mapped[str | None] = mapped_column(String(20))
    scope_id: Mapped[int | None]
    created_at: Mapped[CreatedAt]

    # backref: core's User learns its grants without core importing places
    user: Mapped[User] = relationship(backref="grants")


class Device(Base):
    """A parking gate or locker cabinet; it authenticates with its own key (hash stored)."""

    __tablename__ = "devices"
    __table_args__ = (CheckConstraint(in_values("kind", DEVICE_KINDS), name="kind"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[CreatedAt]
    revoked_at: Mapped[dt.datetime | None]

    compound: Mapped[Compound] = relationship()
