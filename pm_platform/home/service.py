"""The start page: for each role a person holds, what needs doing next.

This domain sits on top of all the others and only reads: each section calls the owning
domain's read functions (which scope what they return through places/scope.py) and returns
plain values. A person with several roles gets the section of each, in SECTIONS order.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.committees import service as committees
from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.fees import service as fees
from pm_platform.inspections import service as inspections
from pm_platform.lockers import service as lockers
from pm_platform.parking import service as parking
from pm_platform.places import scope
from pm_platform.places import service as places
from pm_platform.places.models import AdminArea, Compound
from pm_platform.revenue import service as revenue
from pm_platform.scoring import boards as scoring_boards
from pm_platform.scoring import service as scoring
from pm_platform.workorders import boards as workorder_boards
from pm_platform.workorders import notices
from pm_platform.workorders.models import OPEN_STATUSES, WorkOrder

# section → the roles that open it
SECTIONS = {
    "admin": {"admin"},
    "office": {"admin", "bureau", "street", "community"},
    "manager": {"firm_manager"},
    "inspector": {"firm_staff"},
    "committee": {"committee"},
    "owner": {"owner"},
}
SHOWN = 5            # items listed per block; the count says how many there are in all
MISSED_DAYS = 7      # missed rounds looked back over


def sections_for(session: Session, user: User) -> list[str]:
    roles = scope.roles_of(session, user)
    return [name for name, opened_by in SECTIONS.items() if roles & opened_by]


def home_page(session: Session, user: User) -> dict[str, dict]:
    builders = {"admin": admin_section, "office": office_section, "manager": manager_section,
                "inspector": inspector_section, "committee": committee_section, "owner": owner_section}
    return {name: builders[name](session, user) for name in sections_for(session, user)}


def _ids(session: Session, user: User, roles) -> set[int]:
    return set(session.scalars(scope.compound_ids(session, user, roles)))


def _names(session: Session, compound_ids) -> dict[int, str]:
    return dict(session.execute(select(Compound.id, Compound.name).where(Compound.id.in_(list(compound_ids)))).all())


def _order(order: WorkOrder, now: dt.datetime, names: dict[int, str] | None = None) -> dict:
    return {"id": order.id, "category": order.category, "status": order.status, "priority": order.priority,
            "compound": (names or {}).get(order.compound_id, ""), "created_at": order.created_at,
            "resolve_due_at": order.resolve_due_at, "is_overdue": workorder_boards.is_overdue(order, now),
            "escalation_level": order.escalation_level, "is_rebound": order.rebound_of_id is not None}


def _round(summary: inspections.RoundSummary, names: dict[int, str]) -> dict:
    round_ = summary.round
    return {"id": round_.id, "plan": round_.plan.name, "compound": names.get(round_.compound_id, ""),
            "due_date": round_.due_date, "opens_at": round_.opens_at, "closes_at": round_.closes_at,
            "counts": summary.counts, "total": summary.total}


# --- the owner ------------------------------------------------------------------------------

def owner_section(session: Session, user: User) -> dict:
    now = clock.now_utc()
    accounts = fees.owner_bills_due(session, user)
    orders = [o for o in workorder_boards.resident_orders(session, user) if o.status in (*OPEN_STATUSES, "resolved")]
    return {
        "linked": bool(accounts) or committees.owner_of(session, user) is not None,
        "accounts": [a for a in accounts if a["owing_fen"] > 0],
        "votes": committees.votes_waiting(session, user),
        "notices": [{"id": n.id, "kind": n.kind, "title": n.title, "starts_at": n.starts_at, "ends_at": n.ends_at}
                    for n in notices.unread_notices(session, user, now)],
        "reports": [_order(o, now) for o in orders],
        "parcels": lockers.waiting_parcels(session, user, now),
    }


# --- the firm's inspector and repairer ----------------------------------------------------

def inspector_section(session: Session, user: User) -> dict:
    now = clock.now_utc()
    mine = _ids(session, user, {"firm_staff"})
    names = _names(session, mine)
    rounds = [inspections.RoundSummary(r, inspections.item_counts(r)) for r in inspections.today_for(session, user)
              if r.compound_id in mine]
    repairs = [o for o in workorder_boards.repairer_board(session, user)
               if o.status in OPEN_STATUSES and o.compound_id in mine]
    return {"rounds": [_round(s, names) for s in rounds],
            "repairs": [_order(o, now, names) for o in repairs]}


# --- the firm manager -----------------------------------------------------------------------

def manager_section(session: Session, user: User) -> dict:
    now = clock.now_utc()
    mine = _ids(session, user, {"firm_manager"})
    names = _names(session, mine)
    queue = [o for o in workorder_boards.manager_queue(session, user) if o.compound_id in mine]
    period = clock.period_of(clock.local_today())
    month = fees.sum_figures(fees.collection_figures(session, sorted(mine), period).values())
    missed = inspections.missed_rounds(session, user, clock.local_today() - dt.timedelta(days=MISSED_DAYS),
                                       roles={"firm_manager"})
    return {
        "overdue": [_order(o, now, names) for o in queue if workorder_boards.is_overdue(o, now)],
        "to_dispatch": sum(1 for o in queue if o.status in ("new", "accepted", "reopened")),
        "missed": [_round(s, names) for s in missed],
        "collection": {"period": period, "billed_fen": month.billed_fen, "paid_fen": month.paid_fen,
                       "percent": None if month.rate is None else round(100 * month.rate, 1)},
        "anomalies": [{"lot_id": lot.id, "lot": lot.name, "compound": names.get(lot.compound_id, ""), "count": n}
                      for lot, n in parking.open_anomaly_counts(session, user) if lot.compound_id in mine],
    }


# --- the owners' committee -----------------------------------------------------------------

def committee_section(session: Session, user: User) -> dict:
    mine = _ids(session, user, {"committee"})
    names = _names(session, mine)
    motions = [m for m in committees.committee_queue(session, user) if m["compound_id"] in mine]
    disclosures = revenue.disclosures_to_review(session, user)
    return {
        "compounds": [{"id": cid, "name": name} for cid, name in sorted(names.items())],
        "motions": [{**m, "compound": names.get(m["compound_id"], "")} for m in motions],
        "disclosures": [{"compound_id": d.compound_id, "compound": names.get(d.compound_id, ""), "quarter": d.quarter,
                         "is_published": d.published_at is not None, "due_on": d.due_on} for d in disclosures],
    }


# --- the community, street and district offices -----------------------------------------------

def office_section(session: Session, user: User) -> dict:
    now = clock.now_utc()
    office_ids = _ids(session, user, scope.OFFICE_ROLES)
    names = _names(session, office_ids)
    board = workorder_boards.office_board(session, user, now)
    in_office = {key: [o for o in orders if o.compound_id in office_ids] for key, orders in board.items()}
    deciders = _ids(session, user, fees.APPROVE_ROLES)
    waivers = [w for w in fees.list_waivers(session, user, status="requested") if w.compound_id in deciders]
    quarter, disclosure_rows = revenue.disclosure_status(session, user)
    missed = inspections.missed_rounds(session, user, clock.local_today() - dt.timedelta(days=MISSED_DAYS),
                                       roles=scope.OFFICE_ROLES)
    return {
        "boards": _boards(session, user),
        "overdue": [_order(o, now, names) for o in in_office["overdue"]],
        "counts": {key: len(orders) for key, orders in in_office.items()},
        "missed": [_round(s, names) for s in missed],
        "waivers": len(waivers) if deciders else None,   # only the community office decides waivers
        "quarter": quarter,
        "late_disclosures": [{"compound_id": row["compound"].id, "compound": row["compound"].name}
                             for row in disclosure_rows if row["on_time"] is False],
        "lists": _lists(session, user),
        "has_scores": scoring.latest_card_month(session, user) is not None,
    }


def _boards(session: Session, user: User) -> list[dict]:
    """The scoring board of each office grant (the administrator's: every district)."""
    grants = scope.grants_of(session, user)
    if any(g.role == "admin" for g in grants):
        areas = session.scalars(select(AdminArea).where(AdminArea.kind == "district").order_by(AdminArea.id)).all()
    else:
        wanted = {(g.kind, g.id) for g in grants if g.role in scope.OFFICE_ROLES and g.kind in scoring_boards.CHILD_KIND}
        areas = [a for a in session.scalars(select(AdminArea).where(AdminArea.id.in_([i for _k, i in wanted])))
                 if (a.kind, a.id) in wanted]
    return [{"kind": a.kind, "id": a.id, "name": a.name} for a in areas]


def _lists(session: Session, user: User) -> dict | None:
    """The latest month's red and black lists of the user's street office or district, as shown
    on the scoring pages (published, or a preview)."""
    month = scoring.latest_card_month(session, user)
    area = next((b for b in _boards(session, user) if b["kind"] in ("street", "district")), None)
    if month is None or area is None:
        return None
    shown = scoring_boards.redblack(session, user, month, f"{area['kind']}:{area['id']}")
    entries = [e for e in shown["entries"] if e.subject == "compound"]
    return {"month": month, "area": area, "published": shown["published"],
            "red": [e.name for e in entries if e.board == "red"],
            "black": [e.name for e in entries if e.board == "black"]}


# --- the administrator ------------------------------------------------------------------------

def admin_section(session: Session, user: User) -> dict:
    return {"counts": places.platform_counts(session, user)}
