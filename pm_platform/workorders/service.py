"""Work orders from report to closure: the state machine, deadlines, escalation, duplicates,
rebounds, follow-up visits, boards and the figures scoring reads.

Every change is an event on the order's timeline (actor and time). Services flush; the request
or the task commits.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pm_platform.core import clock, locks
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import Building, Compound, Unit
from pm_platform.places.service import current_firm, mask_phone
from pm_platform.workorders import notices
from pm_platform.workorders.models import (
    CATEGORIES, OPEN_STATUSES, PRIORITIES, SOURCES, URGENT_CATEGORIES, DeadlinePolicy, WorkOrder,
    WorkOrderEvent, WorkOrderPhoto, WorkOrderReport,
)
from pm_platform.workorders.photos import process_photos

# --- settings ------------------------------------------------------------------------------

# Minutes to respond and to resolve, by priority, where a district has set nothing.
DEFAULT_DEADLINES = {
    "urgent": (30, 24 * 60),
    "normal": (24 * 60, 7 * 24 * 60),
    "complex": (24 * 60, 15 * 24 * 60),
}
SETTINGS = {
    "WORKORDER_DUPLICATE_RADIUS_M": 50,      # same category this close while open: a duplicate
    "WORKORDER_REBOUND_DAYS": 90,            # same category and place this soon after closure: a rebound
    "WORKORDER_CONFIRM_DAYS": 3,             # resolved and unanswered this long: closed unconfirmed
    "WORKORDER_FOLLOWUP_PERCENT": 10,        # share of last week's closed orders visited again
    "WORKORDER_ESCALATION_STEP_HOURS": 24,   # overdue this much longer: one level higher
}

# Who may do what, by the roles held over the order's compound.
REPORT_ROLES = {
    "resident": {"owner"},
    "staff": {"admin", "street", "community", "firm_manager", "firm_staff"},
    "hotline_12345": {"admin", "bureau", "street", "community"},
    "inspection": {"admin", "bureau", "street", "community", "firm_manager", "firm_staff"},
    "spot_check": {"admin", "bureau", "street", "community"},
}
DISPATCH_ROLES = {"admin", "street", "community", "firm_manager"}   # accept and assign
WORKER_ROLES = {"firm_manager", "firm_staff", "community", "street"}   # may be assigned an order
WORKER_ORDER = ("firm_staff", "firm_manager", "community", "street")   # as the assignment list shows them
FOLLOW_UP_ROLES = {"admin", "street", "community"}
VIEW_ALL_ROLES = scope.OFFICE_ROLES | {"firm_manager", "committee"}

# The state machine: (from, to) pairs that a person may ask for. Closing happens only by the
# reporter's rating, the confirmation timeout or a passed re-inspection (functions below).
TRANSITIONS = {
    ("new", "accepted"), ("accepted", "assigned"), ("assigned", "assigned"),
    ("assigned", "in_progress"), ("in_progress", "assigned"), ("in_progress", "resolved"),
    ("resolved", "reopened"), ("reopened", "assigned"), ("reopened", "in_progress"),
}
ESCALATION_NAMES = ("none", "firm_manager", "community", "street")


def setting(name: str) -> int:
    from flask import current_app, has_app_context

    if has_app_context():
        return int(current_app.config.get(name, SETTINGS[name]))
    return SETTINGS[name]


# --- listeners (inspections schedules its re-inspection here) -------------------------------

_resolution_listeners: list[Callable[[Session, WorkOrder], None]] = []


def register_resolution_listener(fn: Callable[[Session, WorkOrder], None]) -> None:
    """Call `fn(session, work_order)` whenever an order becomes resolved (once per function)."""
    if fn not in _resolution_listeners:
        _resolution_listeners.append(fn)


# --- reading helpers -----------------------------------------------------------------------

def _event(session: Session, order: WorkOrder, kind: str, actor: User | None, *, from_status=None,
           to_status=None, note: str = "", data: dict | None = None) -> WorkOrderEvent:
    event = WorkOrderEvent(work_order_id=order.id, kind=kind, from_status=from_status, to_status=to_status,
                           actor_id=actor.id if actor else None, note=note or "",
                           data=json.dumps(data or {}, ensure_ascii=False, sort_keys=True),
                           at=clock.now_utc())
    session.add(event)
    return event


def _add_photos(session: Session, order: WorkOrder, event: WorkOrderEvent | None, stage: str, photos) -> int:
    processed = process_photos(photos)
    if processed and event is not None:
        session.flush()  # the event's id
    for photo in processed:
        session.add(WorkOrderPhoto(work_order_id=order.id, event_id=event.id if event else None, stage=stage,
                                   content=photo.content, original_sha256=photo.original_sha256,
                                   original_bytes=photo.original_bytes, width=photo.width, height=photo.height))
    return len(processed)


def deadlines_for(session: Session, district_id: int, priority: str) -> tuple[int, int]:
    """(respond, resolve) minutes for a priority in a district."""
    policy = session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.district_id == district_id,
                                                         DeadlinePolicy.priority == priority))
    if policy is None:
        return DEFAULT_DEADLINES[priority]
    return policy.respond_minutes, policy.resolve_minutes


def set_deadline_policy(session: Session, actor: User | None, district_id: int, priority: str,
                        respond_minutes: int, resolve_minutes: int) -> DeadlinePolicy:
    """A district's deadlines for one priority; the district bureau (or admin) sets them,
    `actor=None` is the command line."""
    from pm_platform.places.models import AdminArea

    area = session.get(AdminArea, district_id)
    if area is None or area.kind != "district":
        raise NotFound("district {district} not found", district=district_id)
    if actor is not None and not scope.covers_area(session, actor, area, roles={"admin", "bureau"}):
        raise PermissionDenied("only the district bureau sets deadlines")
    if priority not in PRIORITIES:
        raise ValidationError("priority must be one of {choices}", "priority", choices=", ".join(PRIORITIES))
    if not (0 < respond_minutes <= resolve_minutes):
        raise ValidationError("respond within a positive time, no later than the resolve deadline", "respond_minutes")
    policy = session.scalar(select(DeadlinePolicy).where(DeadlinePolicy.district_id == district_id,
                                                         DeadlinePolicy.priority == priority))
    if policy is None:
        policy = DeadlinePolicy(district_id=district_id, priority=priority)
        session.add(policy)
    policy.respond_minutes, policy.resolve_minutes = respond_minutes, resolve_minutes
    session.flush()
    return policy


# --- creating ------------------------------------------------------------------------------

def _micro_degrees(value, low: float, high: float, field: str) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError("{name} must be a number of degrees", field, name=field) from None
    if not (low <= number <= high) or math.isnan(number):
        raise ValidationError("{name} must be between {low} and {high}", field, name=field, low=low, high=high)
    return round(number * 1_000_000)


def _distance_m(a: WorkOrder, lat_e6: int, lng_e6: int) -> float:
    """Great-circle distance; only ever compared with the radius setting."""
    lat1, lng1, lat2, lng2 = (math.radians(v / 1_000_000) for v in (a.lat_e6, a.lng_e6, lat_e6, lng_e6))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _same_place(order: WorkOrder, unit_id, building_id, facility_id) -> bool:
    """The same facility, the same unit, or the same building where one of the two reports is
    about the building as a whole (two flats' own taps in one building are two problems)."""
    if facility_id is not None or order.facility_id is not None:
        return facility_id == order.facility_id
    if unit_id is not None and order.unit_id is not None:
        return unit_id == order.unit_id
    return building_id is not None and building_id == order.building_id


def _check_place(session: Session, compound_id: int, unit_id, building_id) -> int | None:
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.compound_id != compound_id:
            raise ValidationError("the unit is not in this compound", "unit_id")
        if building_id is not None and building_id != unit.building_id:
            raise ValidationError("the unit is not in this building", "building_id")
        return unit.building_id
    if building_id is not None:
        building = session.get(Building, building_id)
        if building is None or building.compound_id != compound_id:
            raise ValidationError("the building is not in this compound", "building_id")
    return building_id


def create_work_order(session: Session, actor: User | None, *, compound_id: int, source: str, category: str,
                      description: str, priority: str | None = None, unit_id: int | None = None,
                      building_id: int | None = None, facility_id: int | None = None, lat=None, lng=None,
                      external_ref: str | None = None, contractor: str | None = None,
                      reporter_name: str = "", reporter_phone: str = "", photos: Iterable[bytes] = (),
                      received_at: dt.datetime | None = None, resolve_by: dt.datetime | None = None) -> WorkOrder:
    """Open a work order, or join the open one it duplicates (the reporter is added to it).

    The same (source, external_ref) twice returns the first result and changes nothing. A report
    of the same category at the same place soon after an earlier order closed is a rebound: a new
    order linked to the earlier one, both flagged. `actor=None` is the system (tasks).
    `received_at` and `resolve_by` carry a 12345 ticket's own time and deadline.
    """
    if source not in SOURCES:
        raise ValidationError("source must be one of {choices}", "source", choices=", ".join(SOURCES))
    if category not in CATEGORIES:
        raise ValidationError("category must be one of {choices}", "category", choices=", ".join(CATEGORIES))
    if priority is not None and priority not in PRIORITIES:
        raise ValidationError("priority must be one of {choices}", "priority", choices=", ".join(PRIORITIES))
    if not isinstance(description, str) or not description.strip():
        raise ValidationError("describe the problem", "description")
    if len(description) > 2000:
        raise ValidationError("the description is longer than 2000 characters", "description")
    external_ref = (external_ref or "").strip() or None
    if external_ref and len(external_ref) > 100:
        raise ValidationError("the reference is longer than 100 characters", "external_ref")
    if source == "hotline_12345" and not external_ref:
        raise ValidationError("a 12345 ticket needs its ticket number", "external_ref")

    if actor is not None:
        scope.get_compound(session, actor, compound_id, REPORT_ROLES[source])
    compound = session.get(Compound, compound_id)
    if compound is None:
        raise NotFound("compound {compound} not found", compound=compound_id)
    if source == "resident" and actor is not None:
        if unit_id is not None and unit_id not in scope.owned_unit_ids(session, actor):
            raise PermissionDenied("you may report only about your own unit or the common parts")
    building_id = _check_place(session, compound_id, unit_id, building_id)
    lat_e6 = _micro_degrees(lat, -90, 90, "lat")
    lng_e6 = _micro_degrees(lng, -180, 180, "lng")
    if (lat_e6 is None) != (lng_e6 is None):
        raise ValidationError("give both lat and lng, or neither", "lat")

    if external_ref:
        earlier = session.scalar(select(WorkOrderReport).where(WorkOrderReport.source == source,
                                                               WorkOrderReport.external_ref == external_ref))
        if earlier is not None:
            return earlier.work_order

    reporter = actor if source == "resident" else None
    if reporter is not None and not reporter_name:
        reporter_name = reporter.display_name
    report = dict(source=source, external_ref=external_ref, reporter_id=reporter.id if reporter else None,
                  reporter_name=reporter_name or "", reporter_phone=reporter_phone or "", unit_id=unit_id,
                  description=description)

    duplicate_of = _open_duplicate(session, compound_id, category, unit_id, building_id, facility_id, lat_e6, lng_e6)
    if duplicate_of is not None:
        session.add(WorkOrderReport(work_order_id=duplicate_of.id, is_duplicate=True, **report))
        session.flush()
        event = _event(session, duplicate_of, "reporter_added", actor, note=description,
                       data={"source": source, "external_ref": external_ref})
        _add_photos(session, duplicate_of, event, "report", photos)
        return duplicate_of

    now = clock.now_utc()
    created_at = min(clock.as_utc(received_at), now) if received_at else now
    priority = priority or ("urgent" if category in URGENT_CATEGORIES else "normal")
    respond_minutes, resolve_minutes = deadlines_for(session, compound.district_id, priority)
    firm = current_firm(session, compound_id)
    order = WorkOrder(
        compound_id=compound_id, firm_id=firm.id if firm else None, source=source, category=category,
        priority=priority, description=description, unit_id=unit_id, building_id=building_id,
        facility_id=facility_id, lat_e6=lat_e6, lng_e6=lng_e6, external_ref=external_ref,
        contractor=contractor, status="new", reporter_id=report["reporter_id"],
        reporter_name=report["reporter_name"], reporter_phone=report["reporter_phone"], created_at=created_at,
        respond_due_at=created_at + dt.timedelta(minutes=respond_minutes),
        resolve_due_at=created_at + dt.timedelta(minutes=resolve_minutes),
    )
    if resolve_by is not None:  # the hotline's deadline binds when it is the earlier one
        order.resolve_due_at = min(order.resolve_due_at, clock.as_utc(resolve_by))
        order.respond_due_at = min(order.respond_due_at, order.resolve_due_at)
    session.add(order)
    session.flush()
    session.add(WorkOrderReport(work_order_id=order.id, **report))
    event = _event(session, order, "created", actor, to_status="new", note=description,
                   data={"source": source, "priority": priority, "external_ref": external_ref})
    _add_photos(session, order, event, "report", photos)

    earlier = _rebound_of(session, compound_id, category, unit_id, building_id, facility_id, created_at)
    if earlier is not None:
        order.rebound_of_id = earlier.id
        earlier.has_rebounded = True
        _event(session, order, "rebound", None, data={"rebound_of": earlier.id})
        _event(session, earlier, "rebounded", None, data={"rebound": order.id})

    notices.link_to_outages(session, order)
    session.flush()
    return order


def _open_duplicate(session, compound_id, category, unit_id, building_id, facility_id, lat_e6, lng_e6):
    candidates = session.scalars(
        select(WorkOrder).where(WorkOrder.compound_id == compound_id, WorkOrder.category == category,
                                WorkOrder.status.in_(OPEN_STATUSES)).order_by(WorkOrder.id)
    ).all()
    radius = setting("WORKORDER_DUPLICATE_RADIUS_M")
    for order in candidates:
        if _same_place(order, unit_id, building_id, facility_id):
            return order
        if lat_e6 is not None and order.lat_e6 is not None and _distance_m(order, lat_e6, lng_e6) <= radius:
            return order
    return None


def _rebound_of(session, compound_id, category, unit_id, building_id, facility_id, at: dt.datetime):
    since = at - dt.timedelta(days=setting("WORKORDER_REBOUND_DAYS"))
    closed = session.scalars(
        select(WorkOrder).where(WorkOrder.compound_id == compound_id, WorkOrder.category == category,
                                WorkOrder.status == "closed", WorkOrder.closed_at >= since)
        .order_by(WorkOrder.closed_at.desc())
    ).all()
    return next((order for order in closed if _same_place(order, unit_id, building_id, facility_id)), None)


# --- who may see an order ------------------------------------------------------------------

def reporter_ids(order: WorkOrder) -> set[int]:
    return {report.reporter_id for report in order.reports if report.reporter_id is not None}


def can_view(session: Session, user: User, order: WorkOrder) -> bool:
    held = scope.roles_on(session, user, order.compound_id)
    if held & VIEW_ALL_ROLES:
        return True
    if "firm_staff" in held and order.assignee_id == user.id:
        return True
    return "owner" in held and user.id in reporter_ids(order)


def get_work_order(session: Session, user: User, work_order_id: int) -> WorkOrder:
    """The order if the user may see it; 404 otherwise (its existence is not revealed)."""
    order = session.get(WorkOrder, work_order_id)
    if order is None or not can_view(session, user, order):
        raise NotFound("work order {order} not found", order=work_order_id)
    return order


def visible_orders(session: Session, user: User):
    """SELECT of the orders a user may see: whole compounds for offices and managers, what is
    assigned for a repairer, their own reports for a resident."""
    whole = WorkOrder.compound_id.in_(scope.compound_ids(session, user, VIEW_ALL_ROLES))
    assigned = (WorkOrder.compound_id.in_(scope.compound_ids(session, user, {"firm_staff"}))
                & (WorkOrder.assignee_id == user.id))
    own = (WorkOrder.compound_id.in_(scope.compound_ids(session, user, {"owner"}))
           & WorkOrder.id.in_(select(WorkOrderReport.work_order_id).where(WorkOrderReport.reporter_id == user.id)))
    return select(WorkOrder).where(or_(whole, assigned, own))


def workers_for(session: Session, compound_id: int) -> list[tuple[User, str]]:
    """People who may be assigned an order in a compound, each with the role that lets them: its
    firm's staff and manager first, then its offices; by name within a role. Someone holding two
    such roles is listed once, under the first."""
    from pm_platform.places.models import RoleGrant

    compound = session.get(Compound, compound_id)
    firm = current_firm(session, compound_id)
    covering = [(RoleGrant.scope_kind == "community") & (RoleGrant.scope_id == compound.community_id),
                (RoleGrant.scope_kind == "street") & (RoleGrant.scope_id == compound.street_id)]
    if firm is not None:
        covering.append((RoleGrant.scope_kind == "firm") & (RoleGrant.scope_id == firm.id))
    held: dict[int, tuple[User, str]] = {}
    for user, role in session.execute(
            select(User, RoleGrant.role).join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role.in_(WORKER_ROLES), User.is_enabled, or_(*covering))):
        if user.id not in held or WORKER_ORDER.index(role) < WORKER_ORDER.index(held[user.id][1]):
            held[user.id] = (user, role)
    return sorted(held.values(), key=lambda pair: (WORKER_ORDER.index(pair[1]), pair[0].display_name, pair[0].id))


def get_photo(session: Session, user: User, work_order_id: int, photo_id: int) -> WorkOrderPhoto:
    get_work_order(session, user, work_order_id)
    photo = session.get(WorkOrderPhoto, photo_id)
    if photo is None or photo.work_order_id != work_order_id:
        raise NotFound("photo {photo} not found", photo=photo_id)
    return photo


def photos_of(session: Session, order: WorkOrder) -> list[WorkOrderPhoto]:
    return list(session.scalars(select(WorkOrderPhoto).where(WorkOrderPhoto.work_order_id == order.id)
                                .order_by(WorkOrderPhoto.id)))


# --- the state machine ---------------------------------------------------------------------

def _move(session: Session, order: WorkOrder, to: str, actor: User | None, kind: str, note: str = "",
          data: dict | None = None) -> WorkOrderEvent:
    before = order.status
    order.status = to
    return _event(session, order, kind, actor, from_status=before, to_status=to, note=note, data=data)


def transition_work_order(session: Session, actor: User, work_order_id: int, to: str, *, note: str = "",
                          photos: Iterable[bytes] = (), assignee_id: int | None = None) -> WorkOrder:
    """Move an order one step: accept, assign (or reassign), start, resolve, or reopen.

    Illegal steps are refused with 409, steps the actor's role may not take with 403.
    """
    order = get_work_order(session, actor, work_order_id)
    if (order.status, to) not in TRANSITIONS:
        if to == "closed":
            raise Conflict("an order is closed by the reporter's rating, not by a transition", "to")
        raise Conflict("a work order cannot go from {status} to {to}", "to", status=order.status, to=to)
    held = scope.roles_on(session, actor, order.compound_id)
    note = note or ""
    if len(note) > 2000:
        raise ValidationError("the note is longer than 2000 characters", "note")
    now = clock.now_utc()

    if to == "accepted":
        if not held & DISPATCH_ROLES:
            raise PermissionDenied("your role does not allow you to accept orders")
        order.accepted_at = now
        _move(session, order, to, actor, "accepted", note)
    elif to == "assigned":
        if not held & DISPATCH_ROLES:
            raise PermissionDenied("your role does not allow you to dispatch orders")
        if assignee_id is None:
            raise ValidationError("choose who will do the work", "assignee_id")
        assignee = session.get(User, assignee_id)
        if assignee is None or not scope.roles_on(session, assignee, order.compound_id) & WORKER_ROLES:
            raise ValidationError("that person does not work on this compound", "assignee_id")
        order.assignee_id = assignee.id
        _move(session, order, to, actor, "assigned", note, {"assignee_id": assignee.id,
                                                            "assignee": assignee.display_name})
    elif to == "in_progress":
        _require_worker(order, actor, held)
        _move(session, order, to, actor, "started", note)
    elif to == "resolved":
        _require_worker(order, actor, held)
        photos = list(photos or ())
        if not note.strip():
            raise ValidationError("say what was done", "note")
        if not photos:
            raise ValidationError("attach a photo of the finished work", "photos")
        event = _move(session, order, to, actor, "resolved", note)
        _add_photos(session, order, event, "resolution", photos)
        order.resolved_at = now
        order.first_resolved_at = order.first_resolved_at or now
        order.accepted_at = order.accepted_at or now
        session.flush()
        for listener in list(_resolution_listeners):
            listener(session, order)
    elif to == "reopened":
        _require_reporter_or_office(session, order, actor, held)
        if not note.strip():
            raise ValidationError("say what is still wrong", "note")
        order.reopen_count += 1
        order.resolved_at = None
        _move(session, order, to, actor, "reopened", note)
    session.flush()
    return order


def _require_worker(order: WorkOrder, actor: User, held: set[str]) -> None:
    if order.assignee_id != actor.id and not held & DISPATCH_ROLES:
        raise PermissionDenied("only the person it is assigned to (or a dispatcher) may work on this order")


def _require_reporter_or_office(session: Session, order: WorkOrder, actor: User, held: set[str]) -> None:
    """The reporter answers; for a report with no account (12345, phone) the office answers
    for the caller."""
    if actor.id in reporter_ids(order) and "owner" in held:
        return
    answering = scope.OFFICE_ROLES | ({"firm_manager"} if order.source == "staff" else set())
    if not reporter_ids(order) and held & answering:
        return
    raise PermissionDenied("only the reporter may confirm or reopen this order")


def _close(session: Session, order: WorkOrder, actor: User | None, kind: str, note: str = "",
           data: dict | None = None) -> None:
    firm = current_firm(session, order.compound_id)
    order.closed_at = clock.now_utc()
    order.close_kind = kind
    order.closed_firm_id = firm.id if firm else order.firm_id
    _move(session, order, "closed", actor, f"closed_{kind}", note, data)


def rate_work_order(session: Session, actor: User, work_order_id: int, stars: int, comment: str = "") -> WorkOrder:
    """The reporter confirms the fix and rates it 1–5; this closes the order."""
    order = get_work_order(session, actor, work_order_id)
    if order.status != "resolved":
        raise Conflict("only a resolved order can be rated (this one is {status})", "stars", status=order.status)
    _require_reporter_or_office(session, order, actor, scope.roles_on(session, actor, order.compound_id))
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise ValidationError("rate from 1 to 5 stars", "stars")
    comment = comment or ""
    if len(comment) > 1000:
        raise ValidationError("the comment is longer than 1000 characters", "comment")
    order.rating = stars
    order.rating_comment = comment
    _close(session, order, actor, "confirmed", comment, {"stars": stars})
    session.flush()
    return order


def close_unconfirmed(session: Session, now: dt.datetime | None = None) -> int:
    """Close orders resolved more than the confirmation window ago with no answer."""
    locks.serialize(session, "workorders.close_unconfirmed")
    now = now or clock.now_utc()
    cutoff = now - dt.timedelta(days=setting("WORKORDER_CONFIRM_DAYS"))
    orders = session.scalars(select(WorkOrder).where(WorkOrder.status == "resolved",
                                                     WorkOrder.resolved_at <= cutoff)).all()
    for order in orders:
        _close(session, order, None, "unconfirmed")
    session.flush()
    return len(orders)


def close_work_order_by_reinspection(session: Session, actor: User | None, work_order_id: int,
                                     passed: bool) -> WorkOrder:
    """The re-inspection of a resolved order: passed closes it (if the reporter has not already),
    failed reopens it. Called by inspections."""
    order = session.get(WorkOrder, work_order_id)
    if order is None:
        raise NotFound("work order {order} not found", order=work_order_id)
    if actor is not None:
        scope.get_compound(session, actor, order.compound_id, REPORT_ROLES["inspection"])
    if order.status not in ("resolved", "closed"):
        raise Conflict("only a resolved order can be re-inspected (this one is {status})", status=order.status)
    if passed:
        if order.status == "resolved":
            _close(session, order, actor, "reinspection")
        else:
            _event(session, order, "reinspection_passed", actor)
    else:
        order.reopen_count += 1
        order.resolved_at = None
        _move(session, order, "reopened", actor, "reopened", data={"by": "reinspection"})
    session.flush()
    return order


# --- escalation ----------------------------------------------------------------------------

def overdue_since(order: WorkOrder) -> dt.datetime | None:
    """When the order first missed a deadline it has not met, or None."""
    if order.status not in OPEN_STATUSES:
        return None
    misses = [clock.as_utc(order.resolve_due_at)]
    if order.accepted_at is None:
        misses.append(clock.as_utc(order.respond_due_at))
    return min(misses)


def escalate_overdue(session: Session, now: dt.datetime | None = None) -> int:
    """Raise every overdue order to the level its lateness calls for: firm manager at once,
    the community office one step later, the street office the step after. Safe to rerun."""
    locks.serialize(session, "workorders.escalate_overdue")
    now = now or clock.now_utc()
    step = dt.timedelta(hours=setting("WORKORDER_ESCALATION_STEP_HOURS"))
    candidates = session.scalars(
        select(WorkOrder).where(WorkOrder.status.in_(OPEN_STATUSES), WorkOrder.escalation_level < 3,
                                or_(WorkOrder.resolve_due_at < now,
                                    WorkOrder.accepted_at.is_(None) & (WorkOrder.respond_due_at < now)))
        .with_for_update(skip_locked=True)
    ).all()
    raised = 0
    for order in candidates:
        since = overdue_since(order)
        if since is None or since >= now:
            continue
        level = min(3, 1 + int((now - since) / step))
        if level > order.escalation_level:
            before = order.escalation_level
            order.escalation_level = level
            order.escalated_at = now
            _event(session, order, "escalated", None, data={"from": ESCALATION_NAMES[before],
                                                            "to": ESCALATION_NAMES[level]})
            raised += 1
    session.flush()
    return raised


def reporter_phones(user: User, order: WorkOrder) -> dict[int, str]:
    """The callers' phone numbers as this user may read them, by report id: in full for the repairer
    the order is assigned to (who calls back) and for the caller themself, masked (139****5678)
    for everyone else who may see the order (a 12345 caller's number is theirs, not the office's)."""
    return {report.id: report.reporter_phone if user.id in (order.assignee_id, report.reporter_id)
            else mask_phone(report.reporter_phone) for report in order.reports}
