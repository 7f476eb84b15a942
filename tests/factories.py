"""Builders of test data. Users share one precomputed password hash (hashing is slow by design)."""
from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from pm_platform.core.models import User
from pm_platform.places import service
from pm_platform.places.models import (
    AdminArea, Building, Compound, Owner, Ownership, PropertyFirm, RoleGrant, ServiceContract, Unit,
)
from pm_platform.places.roster import _ID_CHECK, _ID_WEIGHTS

PASSWORD = "password123"
_serial = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    return generate_password_hash(PASSWORD)


def id_number(serial: int | None = None) -> str:
    """A valid mainland ID number (the check digit is right)."""
    serial = next(_serial) if serial is None else serial
    body = f"11010119{80 + serial // 10000 % 20:02d}{serial // 100 % 12 + 1:02d}{serial % 28 + 1:02d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS))
    return body + _ID_CHECK[total % 11]


def user(session: Session, role: str, scope_kind: str | None = None, scope_id: int | None = None,
         username: str | None = None) -> User:
    name = username or f"{role}-{next(_serial)}"
    u = User(username=name, display_name=name, password_hash=_password_hash())
    session.add(u)
    session.flush()
    session.add(RoleGrant(user_id=u.id, role=role, scope_kind=scope_kind, scope_id=scope_id))
    session.commit()
    return u


def firm_manager_for(session: Session, compound: Compound) -> User:
    """The manager of a firm of its own serving `compound` (not the world's firm)."""
    firm = PropertyFirm(name=f"物业{next(_serial)}")
    session.add(firm)
    session.flush()
    session.add(ServiceContract(firm_id=firm.id, compound_id=compound.id, starts_on=dt.date(2020, 1, 1)))
    session.flush()
    return user(session, "firm_manager", "firm", firm.id)


def compound(session: Session, community: AdminArea, name: str | None = None) -> Compound:
    street = community.parent
    c = Compound(name=name or f"小区{next(_serial)}", address="测试路1号", community_id=community.id,
                 street_id=street.id, district_id=street.parent_id)
    session.add(c)
    session.flush()
    return c


def unit(session: Session, compound: Compound, building: str = "1栋", room: str | None = None,
         area_cm2: int = 8937, use: str = "residential", floor: int = 3, entrance: str = "1") -> Unit:
    b = session.query(Building).filter_by(compound_id=compound.id, name=building).one_or_none()
    if b is None:
        b = Building(compound_id=compound.id, name=building)
        session.add(b)
        session.flush()
    u = Unit(compound_id=compound.id, building_id=b.id, entrance=entrance, floor=floor,
             room=room or str(next(_serial)), area_cm2=area_cm2, use=use)
    session.add(u)
    session.flush()
    return u


def owner(session: Session, *units: Unit, name: str = "张三", owner_type: str = "person",
          user_account: User | None = None, is_voter: bool = True, id_no: str | None = None,
          certificate_no: str = "") -> Owner:
    number = id_no or id_number()
    o = Owner(name=name, phone="13800000000", id_number_hash=service.identity_hash(number),
              id_number_masked=service.mask_identity(number), owner_type=owner_type,
              user_id=user_account.id if user_account else None)
    session.add(o)
    session.flush()
    for u in units:
        session.add(Ownership(unit_id=u.id, owner_id=o.id, is_voter=is_voter,
                              certificate_hash=service.identity_hash(certificate_no) if certificate_no else ""))
    session.flush()
    return o


@dataclass
class World:
    """A district with two streets, one community and one compound in each, and people."""

    district: AdminArea
    streets: list[AdminArea]
    communities: list[AdminArea]
    compounds: list[Compound]
    units: dict[int, list[Unit]]
    firm: PropertyFirm
    owners: dict[int, Owner] = field(default_factory=dict)

    @classmethod
    def build(cls, session: Session) -> World:
        district = AdminArea(kind="district", name=f"区{next(_serial)}")
        session.add(district)
        session.flush()
        streets, communities, compounds, units = [], [], [], {}
        for n in (1, 2):
            street = AdminArea(kind="street", name=f"街道{n}", parent_id=district.id)
            session.add(street)
            session.flush()
            community = AdminArea(kind="community", name=f"社区{n}", parent_id=street.id)
            session.add(community)
            session.flush()
            c = compound(session, community, name=f"测试小区{n}")
            streets.append(street)
            communities.append(community)
            compounds.append(c)
            units[c.id] = [unit(session, c, room=f"{n}0{k}") for k in range(1, 4)]
        firm = PropertyFirm(name=f"物业{next(_serial)}")
        session.add(firm)
        session.flush()
        session.add(ServiceContract(firm_id=firm.id, compound_id=compounds[0].id, starts_on=dt.date(2020, 1, 1)))
        session.flush()
        world = cls(district, streets, communities, compounds, units, firm)
        for c in compounds:
            world.owners[c.id] = owner(session, units[c.id][0], name=f"业主{c.id}")
        session.commit()
        return world

    def user(self, session: Session, role: str, index: int = 0) -> User:
        """A user holding `role` over compound[index] (by the natural scope for that role)."""
        c = self.compounds[index]
        match role:
            case "admin":
                return user(session, "admin")
            case "bureau":
                return user(session, role, "district", self.district.id)
            case "street":
                return user(session, role, "street", c.street_id)
            case "community":
                return user(session, role, "community", c.community_id)
            case "firm_manager" | "firm_staff":
                return user(session, role, "firm", self.firm.id)
            case "committee":
                return user(session, role, "compound", c.id)
            case "owner":
                u = user(session, role, "compound", c.id)
                self.owners[c.id].user_id = u.id
                session.commit()
                return u
        raise ValueError(role)
