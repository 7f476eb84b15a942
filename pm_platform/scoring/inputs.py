"""What a scorecard is computed from: the other domains' monthly figures (through their
service functions only) and scoring's own spot checks and safety incidents, turned into the
raw ratios and counts the arithmetic takes, plus the records behind each of them."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.fees import service as fees
from pm_platform.inspections import service as inspections
from pm_platform.revenue import service as revenue
from pm_platform.workorders import figures as workorders
from pm_platform.scoring.arithmetic import Ratio
from pm_platform.scoring.models import SPOT_MAX, SafetyIncident, SpotCheck, SpotCheckItem


@dataclass(frozen=True)
class CompoundInputs:
    ratios: dict[str, Ratio]
    counts: dict[str, int]
    # figures the boards show beside the score (not scored themselves)
    watch: dict[str, int] = field(default_factory=dict)


def domain_figures(session: Session, compound_ids: list[int], month: str) -> dict[str, dict]:
    return {
        "fees": fees.collection_figures(session, compound_ids, month),
        "inspections": inspections.inspection_figures(session, compound_ids, month),
        "workorders": workorders.workorder_figures(session, compound_ids, month),
        "disclosure": revenue.disclosure_on_time(session, compound_ids, month),
    }


def spot_check_totals(session: Session, compound_ids: list[int], month: str) -> dict[int, Ratio]:
    rows = session.execute(
        select(SpotCheck.compound_id, func.sum(SpotCheckItem.score), func.count(SpotCheckItem.id))
        .join(SpotCheckItem, SpotCheckItem.spot_check_id == SpotCheck.id)
        .where(SpotCheck.month == month, SpotCheck.compound_id.in_(compound_ids))
        .group_by(SpotCheck.compound_id)
    ).all()
    return {cid: Ratio(int(score), int(items) * SPOT_MAX) for cid, score, items in rows}


def incident_counts(session: Session, compound_ids: list[int], month: str) -> dict[int, int]:
    rows = session.execute(
        select(SafetyIncident.compound_id, func.count()).where(
            SafetyIncident.month == month, SafetyIncident.compound_id.in_(compound_ids))
        .group_by(SafetyIncident.compound_id)
    ).all()
    return dict(rows)


def _disclosure_ratio(on_time: bool | None) -> Ratio:
    return Ratio(0, 0) if on_time is None else Ratio(int(on_time), 1)


def combine(compound_id: int, figures: dict[str, dict], spot: Ratio | None, incidents: int) -> CompoundInputs:
    """One compound's inputs from the domains' figure objects (plain attributes)."""
    fee = figures["fees"][compound_id]
    insp = figures["inspections"][compound_id]
    wo = figures["workorders"][compound_id]
    ratios = {
        "fee_collection": Ratio(fee.paid_fen, fee.billed_fen),
        "inspection_completion": Ratio(insp.on_time, insp.due_items),
        "workorders_on_time": Ratio(wo.resolved_on_time, wo.resolutions_due),
        # (satisfied + 0.9 × basically satisfied) ÷ rated, kept in whole tenths by workorders
        "satisfaction": Ratio(wo.satisfaction_numerator, wo.satisfaction_denominator),
        "spot_checks": spot or Ratio(0, 0),
        "disclosure_on_time": _disclosure_ratio(figures["disclosure"].get(compound_id)),
        "really_fixed": Ratio(wo.follow_ups - wo.closed_not_fixed, wo.follow_ups),
    }
    counts = {"rebound": wo.rebounds, "closed_not_fixed": wo.closed_not_fixed, "safety_incident": incidents}
    watch = {"arrears_fen": max(fee.billed_fen - fee.paid_fen, 0), "missed_inspections": insp.missed,
             "open_defects": insp.open_defects, "overdue_orders": wo.resolutions_due - wo.resolved_on_time, "rebounds": wo.rebounds}
    return CompoundInputs(ratios, counts, watch)


def gather(session: Session, compound_ids: list[int], month: str) -> dict[int, CompoundInputs]:
    clock.parse_period(month)
    if not compound_ids:
        return {}
    figures = domain_figures(session, compound_ids, month)
    spots = spot_check_totals(session, compound_ids, month)
    incidents = incident_counts(session, compound_ids, month)
    return {cid: combine(cid, figures, spots.get(cid), incidents.get(cid, 0)) for cid in compound_ids}


# --- the records behind an indicator ---------------------------------------------------------

RECORD_SOURCES = {
    "fee_collection": "fees", "inspection_completion": "inspections", "workorders_on_time": "workorders",
    "satisfaction": "workorders", "really_fixed": "workorders", "rebound": "workorders",
    "closed_not_fixed": "workorders", "spot_checks": "spot_checks", "safety_incident": "incidents",
    "disclosure_on_time": None,  # revenue publishes a yes/no per month, with no record list
}


def records_for(session: Session, compound_id: int, month: str, key: str) -> list[dict]:
    """The records that produced one line of a card: dicts with id, label, status, at."""
    source = RECORD_SOURCES.get(key)
    if source == "spot_checks":
        checks = session.scalars(select(SpotCheck).where(
            SpotCheck.compound_id == compound_id, SpotCheck.month == month).order_by(SpotCheck.checked_on)).all()
        return [{"id": c.id, "label": c.note or f"#{c.id}", "status": f"{c.score}/{c.max_score}",
                 "at": c.checked_on, "spot_check_id": c.id} for c in checks]
    if source == "incidents":
        rows = session.scalars(select(SafetyIncident).where(
            SafetyIncident.compound_id == compound_id, SafetyIncident.month == month)).all()
        return [{"id": r.id, "label": r.description, "status": "", "at": r.occurred_on} for r in rows]
    if source is None:
        return []
    fetch = {"fees": fees.collection_records, "inspections": inspections.inspection_records,
             "workorders": workorders.workorder_records}[source]
    return fetch(session, compound_id, month)

