"""Who may see what: the one scoping helper every user-facing query goes through.

A user's role grants name places of the tree (or a firm); a compound is visible when any
grant covers it. Someone who cannot see a compound gets 404 (its existence is not
revealed); someone who can see it but lacks the role for an action gets 403.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, false, or_, select, true
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import NotFound, PermissionDenied
from pm_platform.core.models import User
from pm_platform.places.models import AdminArea, Compound, Owner, Ownership, RoleGrant, ServiceContract, Unit

OFFICE_ROLES = frozenset({"admin", "bureau", "street", "community"})
FIRM_ROLES = frozenset({"firm_manager", "firm_staff"})
STAFF_ROLES = OFFICE_ROLES | FIRM_ROLES | {"committee"}
ALL_ROLES = STAFF_ROLES | {"owner"}


@dataclass(frozen=True)
class Grant:
    role: str
    kind: str | None
    id: int | None


def grants_of(session: Session, user: User) -> list[Grant]:
    cached = user.__dict__.get("_grants")
    if cached is None:
        rows = session.execute(
            select(RoleGrant.role, RoleGrant.scope_kind, RoleGrant.scope_id).where(RoleGrant.user_id == user.id)
        ).all()
        cached = [Grant(*row) for row in rows]
        user.__dict__["_grants"] = cached
    return cached


def roles_of(session: Session, user: User) -> set[str]:
    return {grant.role for grant in grants_of(session, user)}


def contract_in_force() -> tuple:
    """Conditions on ServiceContract for the contracts running today (Shanghai date)."""
    today = clock.local_today()
    return (ServiceContract.starts_on <= today,
            or_(ServiceContract.ends_on.is_(None), ServiceContract.ends_on >= today))


def compounds_served_by(firm_id: int) -> Select:
    return select(ServiceContract.compound_id).where(ServiceContract.firm_id == firm_id, *contract_in_force())


def _covers(grant: Grant):
    if grant.role == "admin":
        return true()
    match grant.kind:
        case "district":
            return Compound.district_id == grant.id
        case "street":
            return Compound.street_id == grant.id
        case "community":
            return Compound.community_id == grant.id
        case "compound":
            return Compound.id == grant.id
        case "firm":
            return Compound.id.in_(compounds_served_by(grant.id))
    return false()


def compound_ids(session: Session, user: User, roles=ALL_ROLES) -> Select:
    """SELECT of the ids of compounds the user's grants (limited to `roles`) cover.

    Use it as `Model.compound_id.in_(compound_ids(...))` in every scoped query.
    """
    clauses = [_covers(g) for g in grants_of(session, user) if g.role in roles]
    return select(Compound.id).where(or_(*clauses) if clauses else false())


def roles_on(session: Session, user: User, compound_id: int) -> set[str]:
    """The roles the user holds over one compound."""
    return {
        grant.role for grant in grants_of(session, user)
        if session.scalar(select(Compound.id).where(Compound.id == compound_id, _covers(grant)))
    }


def get_compound(session: Session, user: User, compound_id: int, roles=ALL_ROLES) -> Compound:
    """The compound if the user holds one of `roles` over it: 404 if they cannot see it at
    all, 403 if they can see it but not act on it this way."""
    held = roles_on(session, user, compound_id)
    compound = session.get(Compound, compound_id) if held else None
    if compound is None:
        raise NotFound("compound {compound} not found", compound=compound_id)
    if not held & set(roles):
        raise PermissionDenied("your role does not allow this here")
    return compound


def visible_units(session: Session, user: User, compound_id: int) -> Select:
    """Units of a compound the user may see: all of them for staff, their own for an owner."""
    held = roles_on(session, user, compound_id)
    query = select(Unit).where(Unit.compound_id == compound_id)
    if held & STAFF_ROLES:
        return query
    if "owner" in held:
        own = select(Ownership.unit_id).join(Owner).where(Owner.user_id == user.id)
        return query.where(Unit.id.in_(own))
    return query.where(false())


def require_any_role(session: Session, user: User, roles) -> None:
    if not roles_of(session, user) & set(roles):
        raise PermissionDenied("your role does not allow this")


def covers_area(session: Session, user: User, area: AdminArea, roles=OFFICE_ROLES) -> bool:
    """Whether the user's grants (limited to `roles`) cover an administrative area."""
    lineage = set()
    node: AdminArea | None = area
    while node is not None:
        lineage.add((node.kind, node.id))
        node = node.parent
    return any(g.role == "admin" or (g.kind, g.id) in lineage
               for g in grants_of(session, user) if g.role in roles)


def owned_unit_ids(session: Session, user: User) -> list[int]:
    """The units `user` owns (through their owner records), by id."""
    return list(session.scalars(select(Ownership.unit_id).join(Owner).where(Owner.user_id == user.id)))


def holders(session: Session, compound_id: int, roles) -> list[tuple[User, str]]:
    """Who holds one of `roles` over a compound, and by which role (a user once per role): the
    inverse of compound_ids, in one query, for pickers of people (plan members, assignees)."""
    compound = session.get(Compound, compound_id)
    if compound is None:
        return []
    covering = or_(
        RoleGrant.role == "admin",
        (RoleGrant.scope_kind == "district") & (RoleGrant.scope_id == compound.district_id),
        (RoleGrant.scope_kind == "street") & (RoleGrant.scope_id == compound.street_id),
        (RoleGrant.scope_kind == "community") & (RoleGrant.scope_id == compound.community_id),
        (RoleGrant.scope_kind == "compound") & (RoleGrant.scope_id == compound.id),
        (RoleGrant.scope_kind == "firm") & RoleGrant.scope_id.in_(
            select(ServiceContract.firm_id).where(ServiceContract.compound_id == compound.id, *contract_in_force())),
    )
    return list(session.execute(
        select(User, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role.in_(list(roles)), User.is_enabled, covering).distinct()
        .order_by(User.display_name, User.id)).all())
