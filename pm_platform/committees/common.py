"""The owners' assembly: what the assembly modules share: who follows the count live (TALLY_ROLES),
the upload limit, who manages a compound's assembly, and the row lock the voting paths take.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core.errors import PermissionDenied
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import RoleGrant


# The committee and the offices above it follow the count live; firms never do.
TALLY_ROLES = scope.OFFICE_ROLES | {"committee"}
MAX_UPLOAD = 10 * 1024 * 1024


# --- who manages ------------------------------------------------------------------

def _has_committee(session: Session, compound_id: int) -> bool:
    return bool(session.scalar(select(RoleGrant.id).where(
        RoleGrant.role == "committee", RoleGrant.scope_kind == "compound", RoleGrant.scope_id == compound_id)))


def can_manage(session: Session, user: User, compound_id: int) -> bool:
    """The committee runs the assembly; the community office does where there is no committee."""
    held = scope.roles_on(session, user, compound_id)
    if held & {"committee", "admin"}:
        return True
    return bool(held & {"community"}) and not _has_committee(session, compound_id)


def _require_manager(session: Session, user: User, compound_id: int) -> None:
    scope.get_compound(session, user, compound_id)
    if not can_manage(session, user, compound_id):
        raise PermissionDenied("only the owners' committee (or the community office where there is none) may do this")


def _lock(session: Session, model, row_id: int, read: bool = False):
    return session.scalar(select(model).where(model.id == row_id).with_for_update(read=read)
                          .execution_options(populate_existing=True))
