"""One compound, one file (一小区一档案): what the platform knows about a compound, gathered
for a PDF the offices keep and hand on."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pm_platform.committees import service as committees
from pm_platform.core import clock
from pm_platform.inspections import service as inspections
from pm_platform.inspections.checklists import KIND_LABELS as FACILITY_KINDS
from pm_platform.revenue import service as revenue
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Building, RoleGrant, ServiceContract
from pm_platform.places.service import compound_unit_counts
from pm_platform.scoring.models import SafetyIncident, Scorecard, SpotCheck


def committee_accounts(session: Session, compound_id: int) -> list[str]:
    """The names of the people who act for the compound's owners' committee on the platform (the
    committee role on the compound: what the committees domain counts as a committee). A
    committee elected before the compound joined has accounts but no term: terms are recorded
    only for elections run here."""
    return list(session.scalars(select(User.display_name).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == "committee", RoleGrant.scope_kind == "compound", RoleGrant.scope_id == compound_id,
        User.is_enabled).order_by(User.display_name)))


def compound_dossier(session: Session, user: User, compound_id: int, month: str) -> dict:
    compound = scope.get_compound(session, user, compound_id, scope.STAFF_ROLES)
    months = clock.recent_periods(month, 12)
    cards = {card.month: card for card in session.scalars(
        select(Scorecard).where(Scorecard.compound_id == compound_id, Scorecard.is_current, Scorecard.month.in_(months))
        .options(selectinload(Scorecard.lines)))}
    monthly = []
    for m in months:
        card = cards.get(m)
        lines = {line.key: line for line in card.lines} if card else {}
        monthly.append({"month": m, "card": card, "lines": lines})
    units, area = compound_unit_counts(session, [compound_id]).get(compound_id, (0, 0))
    contracts = session.scalars(select(ServiceContract).where(ServiceContract.compound_id == compound_id)
                                .order_by(ServiceContract.starts_on)).all()
    return {
        "compound": compound, "month": month, "generated_on": clock.local_today(),
        "units": units, "area_cm2": area,
        "buildings": session.scalar(select(func.count()).select_from(Building).where(Building.compound_id == compound_id)),
        "contracts": contracts, "monthly": monthly,
        "governance": committees.compound_governance(session, user, compound_id),
        "committee_accounts": committee_accounts(session, compound_id),
        # renovation items and their warranties are the facilities the renovation installed
        "facilities": inspections.list_facilities(session, user, compound_id), "facility_kinds": FACILITY_KINDS,
        "disclosures": revenue.list_disclosures(session, user, compound_id),
        "is_on_time": revenue.is_on_time,
        "trend": [(m["month"], m["card"].total if m["card"] else None) for m in monthly],
        "spot_checks": session.scalars(select(SpotCheck).where(SpotCheck.compound_id == compound_id,
                                                               SpotCheck.month.in_(months))
                                       .order_by(SpotCheck.checked_on)).all(),
        "incidents": session.scalars(select(SafetyIncident).where(SafetyIncident.compound_id == compound_id)
                                     .order_by(SafetyIncident.occurred_on)).all(),
    }
