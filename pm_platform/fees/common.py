"""Property fees: what the fee modules share: who may do what (the role sets), the payment channels a
clerk records, and the small checks and lookups several of them use.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Compound, Unit


MANAGE_ROLES = {"admin", "firm_manager"}                 # fee items, rates, billing, late fee
CLERK_ROLES = {"admin", "firm_manager", "firm_staff"}     # payments, waiver requests
APPROVE_ROLES = {"admin", "community"}                    # waiver decisions (the community office)
READ_ROLES = scope.STAFF_ROLES                           # staff who may read a compound's fees
CLERK_CHANNELS = ("cash", "bank", "pos")


def _choice(value: str, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise ValidationError("{name} must be one of {choices}", field_name, name=field_name,
                              choices=", ".join(allowed))
    return value


def _dialect_insert(session: Session, table):
    """INSERT with ON CONFLICT DO NOTHING for whichever database we are on."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def _compound_for(session: Session, actor: User | None, compound_id: int, roles) -> Compound:
    """The compound if `actor` holds one of `roles` over it; `actor` None is the platform
    itself (the monthly schedule, an operator's command), which may act on any compound."""
    if actor is not None:
        return scope.get_compound(session, actor, compound_id, roles=roles)
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound("compound {compound} not found", compound=compound_id)
    return compound


def _unit_for_staff(session: Session, actor: User, unit_id: int, roles) -> Unit:
    """The unit if the actor holds one of `roles` over its compound; 404 if they cannot see it."""
    unit = session.get(Unit, unit_id)
    if unit is None or not scope.roles_on(session, actor, unit.compound_id):
        raise NotFound("unit {unit} not found", "unit_id", unit=unit_id)
    scope.get_compound(session, actor, unit.compound_id, roles=roles)
    return unit
