"""The scan: opening a label, submitting a record with proof of presence, and the defects it finds.

Proof of presence runs on the server's clock: opening a label records a Scan (server time);
the record that follows is checked against it, against the facility's position and against
the inspector's previous record. What fails a check is kept but flagged; for high-risk kinds
(hydrants, lifts) a record that cannot show the inspector was there is refused.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, DomainError, PermissionDenied, ValidationError
from pm_platform.core.models import User
from pm_platform.inspections import checklists
from pm_platform.inspections.checklists import EffectiveChecklist
from pm_platform.inspections.models import (
    Facility, Finding, InspectionPhoto, PlanMember, PlanStop, Record, Round, RoundItem, Scan,
)
from pm_platform.inspections.service import INSPECT_ROLES, haversine_m, label_for_token, micro_degrees
from pm_platform.places import scope
from pm_platform.workorders import service as workorders
from pm_platform.workorders.models import CATEGORIES, WorkOrder
from pm_platform.workorders.photos import MAX_PHOTO_BYTES, process_photo

MAX_SUBMIT_DELAY = dt.timedelta(minutes=5)  # "a few minutes" from opening the label to submitting
IMPRECISE_M = 100                            # a position this vague proves little
TRAVEL_MAX_SPEED_MPS = 8.0                   # faster than a bicycle between two facilities
TRAVEL_MIN_M = 100                           # closer than this, GPS noise is not travel
TRAVEL_LOOKBACK = dt.timedelta(minutes=30)
MAX_PHOTOS = 10
KIND_CATEGORY = {"extinguisher": "fire_safety", "hydrant": "fire_safety", "pump": "water", "elevator": "lift",
                 "gate": "parking", "camera": "security", "ev_charger": "ev_charging", "roof": "roof_leak",
                 "drain": "drain"}


class PresenceNotProven(DomainError):
    """A high-risk record refused; `field` names the failed check."""

    status = 422
    code = "presence_not_proven"


@dataclass
class LabelView:
    facility: Facility
    mode: str  # "inspect": the checklist; "public": the name and a report button
    checklist: EffectiveChecklist | None = None
    scan: Scan | None = None
    round_item: RoundItem | None = None


def can_inspect(session: Session, user: User | None, facility: Facility) -> bool:
    """Firm staff serving the compound, or a member of a plan that walks this facility."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if scope.roles_on(session, user, facility.compound_id) & INSPECT_ROLES:
        return True
    return session.scalar(select(PlanMember.id).join(PlanStop, PlanStop.plan_id == PlanMember.plan_id)
                          .where(PlanMember.user_id == user.id, PlanStop.facility_id == facility.id).limit(1)) is not None


def open_label(session: Session, user: User | None, token: str, now: dt.datetime | None = None) -> LabelView:
    """What scanning a label shows this user; an inspector's opening is recorded as a Scan."""
    label = label_for_token(session, token)
    facility = label.facility
    if not facility.is_active or not can_inspect(session, user, facility):
        return LabelView(facility, "public")
    scan = Scan(facility_id=facility.id, label_id=label.id, user_id=user.id, opened_at=clock.as_utc(now or clock.now_utc()))
    session.add(scan)
    session.flush()
    checklist = checklists.checklist_for(session, facility.compound_id, facility.kind)
    return LabelView(facility, "inspect", checklist, scan, _open_item(session, facility.id, scan.opened_at))


def _open_item(session: Session, facility_id: int, at: dt.datetime) -> RoundItem | None:
    """The due item of a round accepting records for this facility at `at`."""
    return session.scalar(
        select(RoundItem).join(RoundItem.round)
        .where(RoundItem.facility_id == facility_id, RoundItem.status.in_(("due", "missed")),
               Round.opens_at <= at, Round.submit_until >= at)
        .order_by(Round.opens_at).limit(1))


@dataclass
class Submission:
    answers: list[dict]
    lat: object = None
    lng: object = None
    accuracy_m: object = None
    scanned_at: dt.datetime | None = None
    photos: list[tuple[str, bytes]] = field(default_factory=list)  # (checklist item key, file bytes)


def submit_record(session: Session, actor: User, token: str, data: Submission,
                  now: dt.datetime | None = None) -> tuple[Record, bool]:
    """Record an inspection; returns (record, created). The same scan submitted twice (a retry
    from a phone on a bad network) returns the first record and changes nothing."""
    now = clock.as_utc(now or clock.now_utc())
    label = label_for_token(session, token)
    facility = label.facility
    if not facility.is_active:
        raise Conflict("this facility is no longer in service")
    if not can_inspect(session, actor, facility):
        raise PermissionDenied("you are not assigned to inspect facilities in this compound")
    scan = session.scalar(select(Scan).where(Scan.user_id == actor.id, Scan.facility_id == facility.id)
                          .order_by(Scan.opened_at.desc(), Scan.id.desc()).limit(1))
    if scan is None:
        raise Conflict("scan the facility's label first: a record must follow an opened label", "token")
    earlier = session.scalar(select(Record).where(Record.scan_id == scan.id))
    if earlier is not None:
        return earlier, False

    checklist = checklists.checklist_for(session, facility.compound_id, facility.kind)
    item_keys = {item["key"] for item in checklist.items}
    if len(data.photos) > MAX_PHOTOS:
        raise ValidationError("at most {limit} photos", "photos", limit=MAX_PHOTOS)
    photos = []
    for index, (key, content) in enumerate(data.photos):
        if key not in item_keys:
            raise ValidationError("photo {n}: {key!r} is not an item of this checklist", "photos",
                                  n=index + 1, key=key)
        photos.append((key, process_photo(content, f"photos[{index}]")))
    graded = checklists.grade(checklist.items, data.answers, {key for key, _ in photos})

    lat_e6 = micro_degrees(data.lat, -90, 90, "lat")
    lng_e6 = micro_degrees(data.lng, -180, 180, "lng")
    if (lat_e6 is None) != (lng_e6 is None):
        raise ValidationError("give both lat and lng, or neither", "lat")
    accuracy = _accuracy(data.accuracy_m)
    opened_at = clock.as_utc(scan.opened_at)
    flags, distance = _presence_flags(session, actor, facility, checklist, lat_e6, lng_e6, accuracy, opened_at, now)
    if checklist.is_high_risk:
        _refuse_unproven_presence(flags, distance, checklist.radius_m)

    round_item, timeliness = _claim_round_item(session, facility.id, opened_at, now)
    record = Record(compound_id=facility.compound_id, facility_id=facility.id, user_id=actor.id, scan_id=scan.id,
                    round_item_id=round_item.id if round_item else None, scan_opened_at=opened_at,
                    client_scanned_at=clock.as_utc(data.scanned_at) if data.scanned_at else None, submitted_at=now,
                    lat_e6=lat_e6, lng_e6=lng_e6, accuracy_m=accuracy, distance_m=distance, timeliness=timeliness,
                    is_flagged=bool(flags), flags=flags, passed=all(item["passed"] for item in graded), answers=graded)
    session.add(record)
    session.flush()
    for key, photo in photos:
        session.add(InspectionPhoto(facility_id=facility.id, record_id=record.id, item_key=key, content=photo.content,
                                    original_sha256=photo.original_sha256, original_bytes=photo.original_bytes,
                                    width=photo.width, height=photo.height))
    session.flush()
    audit.record(session, actor, "inspection.record", "inspection_record", record.id, {
        "facility_id": facility.id, "round_item_id": record.round_item_id, "timeliness": timeliness, "flags": flags,
        "distance_m": distance, "accuracy_m": accuracy, "passed": record.passed,
        "answers": [{"key": a["key"], "value": a["value"], "passed": a["passed"]} for a in graded],
        "photos": [photo.original_sha256 for _, photo in photos]})
    _follow_up_findings(session, actor, record, facility, graded)
    return record, True


def _accuracy(value) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError("accuracy_m must be a number of metres", "accuracy_m") from None
    if not 0 <= number < 1_000_000:
        raise ValidationError("accuracy_m must be a positive number of metres", "accuracy_m")
    return round(number)


def _refuse_unproven_presence(flags: list[str], distance: int | None, radius_m: int) -> None:
    """What blocks a high-risk record, and the message the inspector reads (the first failed check)."""
    if "no_location" in flags:
        raise PresenceNotProven("your phone did not report its location; allow location access and try again "
                                "at the facility", "no_location")
    if "facility_unlocated" in flags:
        raise PresenceNotProven("this facility has no position on record, so presence cannot be checked; "
                                "ask the manager to set it", "facility_unlocated")
    if "too_far" in flags:
        raise PresenceNotProven("you are {distance} m from the facility (allowed {radius} m); go to the facility "
                                "and scan again", "too_far", distance=distance, radius=radius_m)
    if "slow_submit" in flags:
        raise PresenceNotProven("more than {minutes} minutes passed since the label was scanned; scan it again "
                                "at the facility", "slow_submit",
                                minutes=int(MAX_SUBMIT_DELAY.total_seconds() // 60))


def _presence_flags(session: Session, actor: User, facility: Facility, checklist: EffectiveChecklist,
                    lat_e6, lng_e6, accuracy, opened_at: dt.datetime, now: dt.datetime) -> tuple[list[str], int | None]:
    flags, distance = [], None
    if lat_e6 is None:
        flags.append("no_location")
    elif facility.lat_e6 is None:
        flags.append("facility_unlocated")
    else:
        distance = round(haversine_m(lat_e6, lng_e6, facility.lat_e6, facility.lng_e6))
        if distance > checklist.radius_m:
            flags.append("too_far")
    if accuracy is not None and accuracy > max(IMPRECISE_M, checklist.radius_m):
        flags.append("imprecise_location")
    if now - opened_at > MAX_SUBMIT_DELAY:
        flags.append("slow_submit")
    if _impossible_travel(session, actor, facility, now):
        flags.append("impossible_travel")
    return flags, distance


def _impossible_travel(session: Session, actor: User, facility: Facility, now: dt.datetime) -> bool:
    """The inspector's previous record was at a facility too far away to have walked here since."""
    if facility.lat_e6 is None:
        return False
    previous = session.execute(
        select(Record.submitted_at, Facility.lat_e6, Facility.lng_e6).join(Facility, Record.facility_id == Facility.id)
        .where(Record.user_id == actor.id, Record.facility_id != facility.id,
               Record.submitted_at >= now - TRAVEL_LOOKBACK, Record.submitted_at <= now)
        .order_by(Record.submitted_at.desc()).limit(1)).first()
    if previous is None or previous.lat_e6 is None:
        return False
    metres = haversine_m(previous.lat_e6, previous.lng_e6, facility.lat_e6, facility.lng_e6)
    seconds = max((now - clock.as_utc(previous.submitted_at)).total_seconds(), 1.0)
    return metres > TRAVEL_MIN_M and metres / seconds > TRAVEL_MAX_SPEED_MPS


def _claim_round_item(session: Session, facility_id: int, opened_at: dt.datetime,
                      now: dt.datetime) -> tuple[RoundItem | None, str]:
    """Which round this record counts for, and whether it is on time, late or outside any window.

    Within the window: on time; after it but before the round stops taking records: late (a
    missed item becomes late). A label opened while a round was open but submitted after that
    round stopped taking records is refused: it cannot count for that round any more."""
    item = _open_item(session, facility_id, now)
    if item is not None:
        timeliness = "on_time" if now <= clock.as_utc(item.round.closes_at) else "late"
        claimed = session.execute(update(RoundItem).where(RoundItem.id == item.id, RoundItem.status.in_(("due", "missed")))
                                  .values(status=timeliness))
        if claimed.rowcount == 1:  # a teammate's record may have claimed it a moment ago
            return item, timeliness
    closed = session.scalar(
        select(Round).join(RoundItem, RoundItem.round_id == Round.id)
        .where(RoundItem.facility_id == facility_id, RoundItem.status.in_(("due", "missed")),
               Round.opens_at <= opened_at, Round.submit_until >= opened_at, Round.submit_until < now).limit(1))
    if closed is not None:
        raise Conflict("the round closed at {time}; this record can no longer be accepted for it",
                       time=clock.format_local(closed.submit_until, "%H:%M"))
    return None, "out_of_window"


# --- defects -------------------------------------------------------------------------------

def _follow_up_findings(session: Session, actor: User, record: Record, facility: Facility, graded: list[dict]) -> None:
    """Failed items open work orders; a re-inspection of a repaired item closes (or reopens) its order."""
    for item in graded:
        pending = session.scalars(select(Finding).where(Finding.facility_id == facility.id,
                                                        Finding.item_key == item["key"],
                                                        Finding.status != "closed")).all()
        for finding in pending:
            if finding.status == "awaiting_reinspection":
                if session.get(WorkOrder, finding.work_order_id).status not in ("resolved", "closed"):
                    finding.status = "open"  # reopened by its reporter meanwhile: still being repaired
                    continue
                workorders.close_work_order_by_reinspection(session, actor, finding.work_order_id, item["passed"])
                if item["passed"]:
                    finding.status, finding.closed_at, finding.closed_by_record_id = "closed", record.submitted_at, record.id
                else:
                    finding.status = "open"
                audit.record(session, actor, "inspection.reinspection", "inspection_finding", finding.id,
                             {"record_id": record.id, "passed": item["passed"], "work_order_id": finding.work_order_id})
        if item["passed"] or pending:
            continue  # a failure already being repaired does not open a second order
        _open_defect(session, actor, record, facility, item)
    session.flush()


def _open_defect(session: Session, actor: User, record: Record, facility: Facility, item: dict) -> Finding:
    reading = f":{item['value']}{item.get('unit') or ''}" if item["type"] == "number" else ""
    description = f"巡检不合格:{facility.name}({facility.place or facility.compound.name})“{item['label']}”{reading}"
    under_warranty = facility.under_warranty(clock.to_local(record.submitted_at).date())
    order = workorders.create_work_order(
        session, actor, compound_id=facility.compound_id, source="inspection",
        category=item["category"] if item["category"] in CATEGORIES else KIND_CATEGORY[facility.kind],
        description=description, priority=checklists.PRIORITY_BY_SEVERITY[item["severity"]],
        building_id=facility.building_id, facility_id=facility.id,
        lat=facility.lat_e6 / 1e6 if facility.lat_e6 is not None else None,
        lng=facility.lng_e6 / 1e6 if facility.lng_e6 is not None else None,
        external_ref=f"inspection-{record.id}-{item['key']}",
        contractor=facility.contractor if under_warranty and facility.contractor else None)
    finding = Finding(compound_id=facility.compound_id, facility_id=facility.id, record_id=record.id,
                      item_key=item["key"], item_label=item["label"][:200], severity=item["severity"],
                      work_order_id=order.id, created_at=record.submitted_at,
                      note="under warranty: routed to the contractor" if under_warranty and facility.contractor else "")
    session.add(finding)
    session.flush()
    return finding


def on_work_order_resolved(session: Session, order: WorkOrder) -> None:
    """A repaired defect waits for a re-inspection, which the next record of the facility does."""
    session.execute(update(Finding).where(Finding.work_order_id == order.id, Finding.status == "open")
                    .values(status="awaiting_reinspection"))


workorders.register_resolution_listener(on_work_order_resolved)


def awaiting_reinspection(session: Session, user: User) -> list[Finding]:
    return list(session.scalars(
        select(Finding).where(Finding.status == "awaiting_reinspection",
                              Finding.compound_id.in_(scope.compound_ids(session, user, INSPECT_ROLES)))
        .order_by(Finding.id)))


def report_problem(session: Session, actor: User, token: str, description: str) -> WorkOrder:
    """Anyone who can see the compound (a resident too) reports a problem with a facility."""
    facility = label_for_token(session, token).facility
    held = scope.roles_on(session, actor, facility.compound_id)
    source = "resident" if "owner" in held and not held & scope.STAFF_ROLES else "staff"
    description = (description or "").strip()
    if not description:
        raise ValidationError("describe the problem", "description")
    return workorders.create_work_order(
        session, actor, compound_id=facility.compound_id, source=source, category=KIND_CATEGORY[facility.kind],
        description=f"{facility.name}:{description}", building_id=facility.building_id, facility_id=facility.id)


def record_payload(session: Session, record: Record) -> dict:
    """A record as plain values (for the API and the result page), with the orders it opened."""
    orders = session.scalars(select(Finding.work_order_id).where(Finding.record_id == record.id)
                             .order_by(Finding.id)).all()
    return {"id": record.id, "facility_id": record.facility_id, "round_item_id": record.round_item_id,
            "submitted_at": clock.as_utc(record.submitted_at).isoformat(), "timeliness": record.timeliness,
            "is_flagged": record.is_flagged, "flags": list(record.flags), "distance_m": record.distance_m,
            "passed": record.passed, "answers": record.answers, "work_order_ids": sorted(set(orders))}


def decode_base64(text: str, field_name: str) -> bytes:
    """Bytes of a photo sent as base64 or a data: URI; an oversized one is refused before decoding."""
    if not isinstance(text, str):
        raise ValidationError("a photo must be a base64 string or a data: URI", field_name)
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) * 3 // 4 > MAX_PHOTO_BYTES + 3:
        raise ValidationError("the photo is larger than 10 MB", field_name)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("the photo is not valid base64", field_name) from None
