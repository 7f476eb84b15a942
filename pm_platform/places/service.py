"""Rules for the place tree, people, grants, firms and devices."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from pm_platform.core import audit, clock
from pm_platform.core.auth import create_user, hash_secret
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import User
from pm_platform.core.naturalsort import unit_key
from pm_platform.places import scope
from pm_platform.places.models import (
    AREA_KINDS, DEVICE_KINDS, ROLES, SCOPE_KINDS, AdminArea, Compound, Device, PropertyFirm,
    Building, RoleGrant, ServiceContract, Unit,
)

PARENT_KIND = {"district": None, "street": "district", "community": "street"}
DEVICE_KEY_PREFIX = "pmd_"


# --- identities -------------------------------------------------------------

def identity_hash(value: str) -> str:
    """Keyed hash of an ID or certificate number: matches equal values without storing them."""
    key = current_app.config["IDENTITY_KEY"].encode()
    normalised = "".join(value.split()).upper()
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def mask_identity(value: str) -> str:
    value = "".join(value.split()).upper()
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 2) + value[-1:] if len(value) > 2 else "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str) -> str:
    """139****5678: enough to recognise a number, not to call it. Short numbers show their last
    two digits only."""
    phone = (phone or "").strip()
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:] if phone else ""


# --- the tree -----------------------------------------------------------------

def create_area(session: Session, actor: User, kind: str, name: str, parent_id: int | None) -> AdminArea:
    if kind not in AREA_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(AREA_KINDS))
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("name must be 1–200 characters", "name")
    parent = None
    if PARENT_KIND[kind] is None:
        if parent_id is not None:
            raise ValidationError("a district has no parent", "parent_id")
        if "admin" not in scope.roles_of(session, actor):
            raise PermissionDenied("only a platform admin creates districts")
    else:
        parent = session.get(AdminArea, parent_id) if parent_id is not None else None
        if parent is None or not scope.covers_area(session, actor, parent, roles={"admin", "bureau", "street"}):
            raise NotFound("parent {parent} not found", "parent_id", parent=parent_id)
        if parent.kind != PARENT_KIND[kind]:
            raise ValidationError("a {kind}'s parent must be a {parent_kind}", "parent_id", kind=kind,
                                  parent_kind=PARENT_KIND[kind])
    if session.scalar(select(AdminArea.id).where(AdminArea.parent_id == parent_id, AdminArea.name == name)):
        raise Conflict("{name!r} already exists here", "name", name=name)
    area = AdminArea(kind=kind, name=name, parent_id=parent_id)
    session.add(area)
    session.flush()
    return area


def create_compound(session: Session, actor: User, name: str, community_id: int, address: str = "") -> Compound:
    community = session.get(AdminArea, community_id)
    if community is None or not scope.covers_area(session, actor, community):
        raise NotFound("community office {community} not found", "community_id", community=community_id)
    if community.kind != "community":
        raise ValidationError("community_id must name a community office (社区)", "community_id")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("name must be 1–200 characters", "name")
    if session.scalar(select(Compound.id).where(Compound.community_id == community_id, Compound.name == name)):
        raise Conflict("compound {name!r} already exists in this community", "name", name=name)
    street = community.parent
    compound = Compound(name=name, address=(address or "").strip()[:300], community_id=community.id,
                        street_id=street.id, district_id=street.parent_id)
    session.add(compound)
    session.flush()
    return compound


def list_compounds(session: Session, user: User) -> list[Compound]:
    return list(session.scalars(
        select(Compound).where(Compound.id.in_(scope.compound_ids(session, user))).order_by(Compound.id)
    ))


def list_units(session: Session, user: User, compound_id: int, limit: int | None = None, offset: int = 0) -> list[Unit]:
    """The units in natural order ("2栋" before "10栋", room "102" before "1001"): the database's
    string order cannot give it, so the order is taken from the names, then one page is loaded."""
    scope.get_compound(session, user, compound_id)
    query = scope.visible_units(session, user, compound_id)
    if limit is None:
        units = list(session.scalars(query.options(joinedload(Unit.building))))
        return sorted(units, key=lambda u: (unit_key(u.building.name, u.entrance, u.room), u.id))
    visible = query.subquery()
    keyed = session.execute(select(visible.c.id, Building.name, visible.c.entrance, visible.c.room)
                            .join(Building, Building.id == visible.c.building_id)).all()
    keyed.sort(key=lambda row: (unit_key(row.name, row.entrance, row.room), row.id))
    ids = [row.id for row in keyed[offset:offset + limit]]
    units = {unit.id: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(ids)))} if ids else {}
    return [units[unit_id] for unit_id in ids]


def compound_unit_counts(session: Session, compound_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(units, total area in 0.01 m²) per compound."""
    rows = session.execute(
        select(Unit.compound_id, func.count(), func.coalesce(func.sum(Unit.area_cm2), 0))
        .where(Unit.compound_id.in_(compound_ids)).group_by(Unit.compound_id)
    ).all()
    return {cid: (count, area) for cid, count, area in rows}


def platform_counts(session: Session, user: User) -> dict[str, int]:
    """For the administrator's start page: how much the platform holds (admins only)."""
    scope.require_any_role(session, user, {"admin"})
    count = lambda model, *where: session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
    return {"compounds": count(Compound), "units": count(Unit), "firms": count(PropertyFirm),
            "users": count(User, User.is_enabled.is_(True)),
            "devices": count(Device, Device.revoked_at.is_(None))}


# --- firms -------------------------------------------------------------------

def create_contract(session: Session, actor: User, firm_id: int, compound_id: int,
                    starts_on: dt.date, ends_on: dt.date | None = None) -> ServiceContract:
    scope.get_compound(session, actor, compound_id, roles=scope.OFFICE_ROLES)
    if session.get(PropertyFirm, firm_id) is None:
        raise NotFound("firm {firm} not found", "firm_id", firm=firm_id)
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("the contract ends before it starts", "ends_on")
    overlapping = select(ServiceContract.id).where(
        ServiceContract.compound_id == compound_id,
        or_(ServiceContract.ends_on.is_(None), ServiceContract.ends_on >= starts_on),
    )
    if ends_on is not None:
        overlapping = overlapping.where(ServiceContract.starts_on <= ends_on)
    if session.scalar(overlapping):
        raise Conflict("another firm's contract covers part of this period", "starts_on")
    contract = ServiceContract(firm_id=firm_id, compound_id=compound_id, starts_on=starts_on, ends_on=ends_on)
    session.add(contract)
    session.flush()
    audit.record(session, actor, "contract.create", "service_contract", contract.id,
                 {"firm_id": firm_id, "compound_id": compound_id, "starts_on": starts_on, "ends_on": ends_on})
    return contract


def current_firm(session: Session, compound_id: int) -> PropertyFirm | None:
    return session.scalar(
        select(PropertyFirm).join(ServiceContract, ServiceContract.firm_id == PropertyFirm.id)
        .where(ServiceContract.compound_id == compound_id, *scope.contract_in_force())
    )


# --- people ------------------------------------------------------------------

def parse_scope(text: str | None) -> tuple[str | None, int | None]:
    """'compound:12' -> ('compound', 12); None for the admin."""
    if not text:
        return None, None
    kind, _, raw_id = text.partition(":")
    if kind not in SCOPE_KINDS or not raw_id.isdigit():
        raise ValidationError("scope must be KIND:ID with KIND one of {choices}", "scope", choices=", ".join(SCOPE_KINDS))
    return kind, int(raw_id)


def _scope_target_exists(session: Session, kind: str, target_id: int) -> bool:
    if kind == "compound":
        return session.get(Compound, target_id) is not None
    if kind == "firm":
        return session.get(PropertyFirm, target_id) is not None
    area = session.get(AdminArea, target_id)
    return area is not None and area.kind == kind


def grant_role(session: Session, user: User, role: str, scope_kind: str | None, scope_id: int | None) -> RoleGrant:
    if role not in ROLES:
        raise ValidationError("role must be one of {choices}", "role", choices=", ".join(ROLES))
    if (role == "admin") != (scope_kind is None):
        raise ValidationError("the admin role takes no scope; every other role needs one", "scope")
    if scope_kind is not None and not _scope_target_exists(session, scope_kind, scope_id):
        raise NotFound("{kind} {area} not found", "scope", kind=scope_kind, area=scope_id)
    grant = RoleGrant(user_id=user.id, role=role, scope_kind=scope_kind, scope_id=scope_id)
    session.add(grant)
    session.flush()
    user.__dict__.pop("_grants", None)
    return grant


def create_user_with_role(session: Session, username: str, password: str, role: str,
                          scope_text: str | None, display_name: str | None = None) -> User:
    kind, target = parse_scope(scope_text)
    user = create_user(session, username, password, display_name)
    grant_role(session, user, role, kind, target)
    return user


# --- devices -----------------------------------------------------------------

DEVICE_MANAGER_ROLES = frozenset({"admin", "firm_manager"})
# the community office watches which machines talk for its compounds, but does not issue keys
DEVICE_VIEWER_ROLES = DEVICE_MANAGER_ROLES | {"community"}


def create_device(session: Session, actor: User | None, kind: str, compound_id: int, name: str = "") -> tuple[Device, str]:
    """Register a gate or locker cabinet; returns the device and its key (shown once).
    No actor means the command line, which may act on any compound."""
    if kind not in DEVICE_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(DEVICE_KINDS))
    if actor is not None:
        scope.get_compound(session, actor, compound_id, roles=DEVICE_MANAGER_ROLES)
    elif session.get(Compound, compound_id) is None:
        raise NotFound("compound {compound} not found", "scope", compound=compound_id)
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationError("name must be at most 100 characters", "name")
    key = DEVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    device = Device(kind=kind, name=name or f"{kind}-{secrets.token_hex(3)}", compound_id=compound_id,
                    key_hash=hash_secret(key))
    session.add(device)
    session.flush()
    audit.record(session, actor, "device.create", "device", device.id,
                 {"kind": kind, "name": device.name, "compound_id": compound_id})
    return device, key


def get_device(session: Session, actor: User, device_id: int, roles=DEVICE_VIEWER_ROLES) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("device {device} not found", device=device_id)
    scope.get_compound(session, actor, device.compound_id, roles=roles)
    return device


def list_devices(session: Session, actor: User, compound_id: int) -> list[Device]:
    scope.get_compound(session, actor, compound_id, roles=DEVICE_VIEWER_ROLES)
    return list(session.scalars(select(Device).where(Device.compound_id == compound_id)
                                .order_by(Device.revoked_at.is_not(None), Device.kind, Device.id)))


def revoke_device(session: Session, actor: User | None, device_id: int) -> Device:
    """From now on the device's key is refused (401); revoking twice changes nothing.
    No actor means the command line, which may act on any compound."""
    if actor is not None:
        device = get_device(session, actor, device_id, roles=DEVICE_MANAGER_ROLES)
    elif (device := session.get(Device, device_id)) is None:
        raise NotFound("device {device} not found", "device_id", device=device_id)
    if device.revoked_at is None:
        device.revoked_at = clock.now_utc()
        session.flush()
        audit.record(session, actor, "device.revoke", "device", device.id,
                     {"kind": device.kind, "name": device.name, "compound_id": device.compound_id})
    return device


class DeviceCaller(NamedTuple):
    """A device calling the API with its key: what its events are checked against."""
    id: int
    kind: str
    compound_id: int


_DEVICES = Device.__table__
# built once and read as plain columns: every gate and locker event authenticates this way
_LIVE_DEVICE_BY_KEY = select(_DEVICES.c.id, _DEVICES.c.kind, _DEVICES.c.compound_id).where(
    _DEVICES.c.key_hash == bindparam("key_hash"), _DEVICES.c.revoked_at.is_(None))


def device_for_key(session: Session, key: str) -> DeviceCaller | None:
    row = session.execute(_LIVE_DEVICE_BY_KEY, {"key_hash": hash_secret(key)}).first()
    return DeviceCaller(*row) if row is not None else None


def get_unit(session: Session, user: User, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not session.scalar(
            scope.visible_units(session, user, unit.compound_id).where(Unit.id == unit_id).with_only_columns(Unit.id)):
        raise NotFound("unit {unit} not found", unit=unit_id)
    return unit
