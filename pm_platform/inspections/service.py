"""Facilities and their labels, plans and rounds, missed detection, and the figures scoring reads.

The scan itself (proof of presence, records, defects) lives in `scanning.py`.
"""
from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, DomainError, NotFound, RowErrors, ValidationError
from pm_platform.core.models import User
from pm_platform.core.naturalsort import natural_key
from pm_platform.core.sheets import Column, read_table, template_xlsx
from pm_platform.inspections import schedule
from pm_platform.inspections.models import (
    FREQUENCIES, KINDS, Facility, FacilityLabel, Finding, InspectionPhoto, Plan, PlanMember, PlanStop, Record,
    Round, RoundItem,
)
from pm_platform.places import scope
from pm_platform.places.models import Building
from pm_platform.workorders.photos import process_photo

MANAGE_ROLES = frozenset({"admin", "community", "firm_manager"})
INSPECT_ROLES = frozenset({"firm_manager", "firm_staff"})
VIEW_ROLES = scope.STAFF_ROLES
TOKEN_BYTES = 18  # 24 URL-safe characters: unguessable, and still a small QR code
MAX_FACILITY_ROWS = 5000
ROUNDS_AHEAD_DAYS = 2


class LabelReplaced(DomainError):
    status = 410
    code = "label_replaced"


# --- coordinates ---------------------------------------------------------------------------

def micro_degrees(value, low: float, high: float, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError("{coordinate} must be a number of degrees, not {value!r}", field_name,
                              coordinate=field_name, value=value) from None
    if math.isnan(number) or not low <= number <= high:
        raise ValidationError("{coordinate} must be between {low} and {high}", field_name,
                              coordinate=field_name, low=low, high=high)
    return round(number * 1_000_000)


def haversine_m(lat1_e6: int, lng1_e6: int, lat2_e6: int, lng2_e6: int) -> float:
    """Great-circle distance in metres between two points in micro-degrees."""
    lat1, lng1, lat2, lng2 = (math.radians(v / 1_000_000) for v in (lat1_e6, lng1_e6, lat2_e6, lng2_e6))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


# --- facilities ----------------------------------------------------------------------------

@dataclass
class FacilityInput:
    kind: str
    name: str
    building: str = ""
    floor: str = ""
    location_text: str = ""
    lat: object = None
    lng: object = None
    renovation_project: str = ""
    contractor: str = ""
    warranty_ends_on: dt.date | None = None


def _clean(data: FacilityInput) -> dict:
    if data.kind not in KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(KINDS))
    name = (data.name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("the name must be 1–100 characters", "name")
    for value, limit, key in ((data.building, 50, "building"), (data.floor, 20, "floor"),
                              (data.location_text, 300, "location_text"),
                              (data.renovation_project, 200, "renovation_project"), (data.contractor, 200, "contractor")):
        if len((value or "").strip()) > limit:
            raise ValidationError("{column} is longer than {limit} characters", key, column=key, limit=limit)
    lat_e6 = micro_degrees(data.lat, -90, 90, "lat")
    lng_e6 = micro_degrees(data.lng, -180, 180, "lng")
    if (lat_e6 is None) != (lng_e6 is None):
        raise ValidationError("give both latitude and longitude, or neither", "lat")
    return {"kind": data.kind, "name": name, "floor": (data.floor or "").strip(),
            "location_text": (data.location_text or "").strip(), "lat_e6": lat_e6, "lng_e6": lng_e6,
            "renovation_project": (data.renovation_project or "").strip(),
            "contractor": (data.contractor or "").strip(), "warranty_ends_on": data.warranty_ends_on}


def _building_id(session: Session, compound_id: int, name: str) -> int | None:
    name = (name or "").strip()
    if not name:
        return None
    building_id = session.scalar(select(Building.id).where(Building.compound_id == compound_id, Building.name == name))
    if building_id is None:
        raise ValidationError("the compound has no building {building!r}", "building", building=name)
    return building_id


def create_facility(session: Session, actor: User, compound_id: int, data: FacilityInput) -> Facility:
    scope.get_compound(session, actor, compound_id, MANAGE_ROLES)
    values = _clean(data)
    if session.scalar(select(Facility.id).where(Facility.compound_id == compound_id, Facility.name == values["name"])):
        raise Conflict("a facility named {name!r} already exists in this compound", "name", name=values["name"])
    facility = Facility(compound_id=compound_id, building_id=_building_id(session, compound_id, data.building), **values)
    session.add(facility)
    session.flush()
    _issue_label(session, facility)
    audit.record(session, actor, "inspection.facility.create", "facility", facility.id, values)
    return facility


def update_facility(session: Session, actor: User, facility_id: int, data: FacilityInput) -> Facility:
    facility = get_facility(session, actor, facility_id, MANAGE_ROLES)
    values = _clean(data)
    clash = session.scalar(select(Facility.id).where(Facility.compound_id == facility.compound_id,
                                                     Facility.name == values["name"], Facility.id != facility.id))
    if clash:
        raise Conflict("a facility named {name!r} already exists in this compound", "name", name=values["name"])
    for key, value in values.items():
        setattr(facility, key, value)
    facility.building_id = _building_id(session, facility.compound_id, data.building)
    session.flush()
    audit.record(session, actor, "inspection.facility.update", "facility", facility.id, values)
    return facility


def set_facility_photo(session: Session, actor: User, facility_id: int, data: bytes) -> InspectionPhoto:
    facility = get_facility(session, actor, facility_id, MANAGE_ROLES)
    photo = process_photo(data, "photo")
    row = InspectionPhoto(facility_id=facility.id, content=photo.content, original_sha256=photo.original_sha256,
                          original_bytes=photo.original_bytes, width=photo.width, height=photo.height)
    session.add(row)
    session.flush()
    return row


def facility_photo(session: Session, facility_id: int) -> InspectionPhoto | None:
    return session.scalar(select(InspectionPhoto).where(InspectionPhoto.facility_id == facility_id,
                                                        InspectionPhoto.record_id.is_(None))
                          .order_by(InspectionPhoto.id.desc()).limit(1))


def get_facility(session: Session, user: User, facility_id: int, roles=VIEW_ROLES) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFound("facility {facility_id} not found", facility_id=facility_id)
    try:
        scope.get_compound(session, user, facility.compound_id, roles)
    except NotFound:
        raise NotFound("facility {facility_id} not found", facility_id=facility_id) from None
    return facility


def list_facilities(session: Session, user: User, compound_id: int) -> list[Facility]:
    scope.get_compound(session, user, compound_id, VIEW_ROLES)
    return sorted(session.scalars(select(Facility).where(Facility.compound_id == compound_id)
                                  .options(selectinload(Facility.labels), selectinload(Facility.building))),
                  key=facility_order)


def facility_order(facility: Facility) -> tuple:
    """By kind, then name in natural order: "2栋灭火器" before "10栋灭火器"."""
    return facility.kind, natural_key(facility.name), facility.id


# --- labels --------------------------------------------------------------------------------

def _issue_label(session: Session, facility: Facility) -> FacilityLabel:
    label = FacilityLabel(facility_id=facility.id, token=secrets.token_urlsafe(TOKEN_BYTES), issued_at=clock.now_utc())
    session.add(label)
    session.flush()
    return label


def live_label(session: Session, facility_id: int) -> FacilityLabel:
    return session.scalars(select(FacilityLabel).where(FacilityLabel.facility_id == facility_id,
                                                       FacilityLabel.revoked_at.is_(None))).one()


def replace_label(session: Session, actor: User, facility_id: int, reason: str = "") -> FacilityLabel:
    """A damaged or suspect label: the old token stops working at once, a new one is issued."""
    facility = get_facility(session, actor, facility_id, MANAGE_ROLES)
    reason = (reason or "").strip()[:200]
    old = live_label(session, facility.id)
    old.revoked_at, old.revoked_reason = clock.now_utc(), reason
    session.flush()  # the one-live-label index is checked per row
    new = _issue_label(session, facility)
    audit.record(session, actor, "inspection.label.replace", "facility", facility.id,
                 {"old_label_id": old.id, "new_label_id": new.id, "reason": reason})
    return new


def label_for_token(session: Session, token: str) -> FacilityLabel:
    """The live label with this token; a replaced one answers 410 so the finder knows why."""
    label = session.scalar(select(FacilityLabel).where(FacilityLabel.token == (token or "")[:64]))
    if label is None:
        raise NotFound("this QR code is not a label of this platform")
    if label.revoked_at is not None:
        raise LabelReplaced("this label has been replaced and no longer works; scan the new label "
                            "(report the old one to the property office)")
    return label


def label_sheet(session: Session, actor: User, compound_id: int, facility_ids: list[int] | None,
                base_url: str) -> bytes:
    """The A4 label sheet PDF (3 × 8 labels a page) for a compound or a selection of its facilities."""
    from pm_platform.core.pdf import render_pdf
    from pm_platform.core.qr import qr_data_uri

    compound = scope.get_compound(session, actor, compound_id, MANAGE_ROLES)
    query = select(Facility).where(Facility.compound_id == compound_id, Facility.is_active.is_(True))
    if facility_ids:
        query = query.where(Facility.id.in_(facility_ids))
    facilities = sorted(session.scalars(query), key=facility_order)
    if not facilities:
        raise ValidationError("no facilities to print", "facility_ids")
    labels = []
    for facility in facilities:
        url = f"{base_url.rstrip('/')}/q/{live_label(session, facility.id).token}"
        labels.append({"qr": qr_data_uri(url, box_size=6, border=2), "name": facility.name,
                       "place": facility.place, "url": url})
    pages = [labels[i:i + 24] for i in range(0, len(labels), 24)]
    return render_pdf("inspections/label_sheet.html", {"compound": compound.name, "pages": pages})


# --- import --------------------------------------------------------------------------------

IMPORT_COLUMNS = [
    Column("kind", "类型"),
    Column("name", "名称"),
    Column("building", "楼栋", required=False),
    Column("floor", "楼层", required=False),
    Column("location", "位置", required=False),
    Column("lat", "纬度", required=False),
    Column("lng", "经度", required=False),
    Column("renovation_project", "改造项目", required=False),
    Column("contractor", "施工单位", required=False),
    Column("warranty_ends_on", "保修截止", required=False),
]
KIND_NAMES = {"灭火器": "extinguisher", "消火栓": "hydrant", "水泵": "pump", "电梯": "elevator", "道闸": "gate",
              "摄像头": "camera", "监控": "camera", "充电桩": "ev_charger", "屋面": "roof", "排水": "drain",
              **{kind: kind for kind in KINDS}}


def facility_template() -> bytes:
    return template_xlsx(IMPORT_COLUMNS, [["灭火器", "1栋1单元1层灭火器", "1栋", "1", "楼道东侧",
                                           "39.908722", "116.397499", "2022年老旧小区改造", "某消防工程公司",
                                           "2025-12-31"]])


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_facilities(session: Session, actor: User, compound_id: int, filename: str, data: bytes) -> ImportResult:
    """Check every row first; then create new facilities and update existing ones (by name).
    Importing the same file twice changes nothing the second time."""
    scope.get_compound(session, actor, compound_id, MANAGE_ROLES)
    table = read_table(filename, data, IMPORT_COLUMNS, max_rows=MAX_FACILITY_ROWS)
    buildings = dict(session.execute(select(Building.name, Building.id).where(Building.compound_id == compound_id)).all())
    errors, parsed, names = [], [], {}
    for row, values in table:
        try:
            warranty = dt.date.fromisoformat(values["warranty_ends_on"][:10]) if values["warranty_ends_on"] else None
        except ValueError:
            errors.append((row, ValidationError("must be a date like 2026-12-31", "warranty_ends_on")))
            continue
        item = FacilityInput(kind=KIND_NAMES.get(values["kind"].lower(), values["kind"]), name=values["name"],
                             building=values["building"], floor=values["floor"], location_text=values["location"],
                             lat=values["lat"], lng=values["lng"], renovation_project=values["renovation_project"],
                             contractor=values["contractor"], warranty_ends_on=warranty)
        try:
            clean = _clean(item)
        except ValidationError as exc:
            errors.append((row, exc))
            continue
        if item.building and item.building not in buildings:
            errors.append((row, ValidationError("the compound has no building {building!r}", "building",
                                                building=item.building)))
            continue
        if clean["name"] in names:
            errors.append((row, ValidationError("the same name is on row {other}", "name", other=names[clean["name"]])))
            continue
        names[clean["name"]] = row
        clean["building_id"] = buildings.get(item.building) if item.building else None
        parsed.append(clean)
    if errors:
        raise RowErrors(errors)
    if not parsed:
        raise ValidationError("the file has no rows to import", "file")
    existing = {f.name: f for f in session.scalars(select(Facility).where(Facility.compound_id == compound_id))}
    result = ImportResult(rows=len(parsed))
    for values in parsed:
        facility = existing.get(values["name"])
        if facility is None:
            facility = Facility(compound_id=compound_id, **values)
            session.add(facility)
            session.flush()
            _issue_label(session, facility)
            result.created += 1
        elif any(getattr(facility, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(facility, key, value)
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    if result.created or result.updated:
        audit.record(session, actor, "inspection.facility.import", "compound", compound_id,
                     {"file": filename, "created": result.created, "updated": result.updated})
    return result


# --- plans ---------------------------------------------------------------------------------

@dataclass
class PlanInput:
    name: str
    facility_ids: list[int]
    member_ids: list[int]
    frequency: str
    window_start: dt.time
    window_end: dt.time
    weekdays: str = ""
    month_day: int | None = None
    late_minutes: int = 60
    starts_on: dt.date | None = None


def create_plan(session: Session, actor: User, compound_id: int, data: PlanInput) -> Plan:
    scope.get_compound(session, actor, compound_id, MANAGE_ROLES)
    name = (data.name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("the name must be 1–100 characters", "name")
    if data.frequency not in FREQUENCIES:
        raise ValidationError("frequency must be daily, weekly or monthly", "frequency")
    weekdays = ",".join(map(str, schedule.parse_weekdays(data.weekdays))) if data.frequency == "weekly" else ""
    month_day = data.month_day if data.frequency == "monthly" else None
    if data.frequency == "monthly" and not (isinstance(month_day, int) and 1 <= month_day <= 31):
        raise ValidationError("a monthly plan needs a day of the month, 1–31", "month_day")
    if data.window_start == data.window_end:
        raise ValidationError("the window must not start and end at the same time", "window_end")
    if not 0 <= data.late_minutes <= 720:
        raise ValidationError("late records may be accepted for 0–720 minutes after the window", "late_minutes")
    if not data.facility_ids or len(set(data.facility_ids)) != len(data.facility_ids):
        raise ValidationError("name each facility of the route once", "facility_ids")
    found = set(session.scalars(select(Facility.id).where(Facility.id.in_(data.facility_ids),
                                                          Facility.compound_id == compound_id)))
    if found != set(data.facility_ids):
        raise ValidationError("some facilities are not in this compound", "facility_ids")
    if not data.member_ids:
        raise ValidationError("name the inspector or the team", "member_ids")
    for user_id in set(data.member_ids):
        member = session.get(User, user_id)
        if member is None or not scope.roles_on(session, member, compound_id) & (INSPECT_ROLES | scope.OFFICE_ROLES):
            raise ValidationError("user {user_id} does not work on this compound", "member_ids", user_id=user_id)
    if session.scalar(select(Plan.id).where(Plan.compound_id == compound_id, Plan.name == name)):
        raise Conflict("a plan named {name!r} already exists", "name", name=name)
    plan = Plan(compound_id=compound_id, name=name, frequency=data.frequency, weekdays=weekdays, month_day=month_day,
                window_start=data.window_start, window_end=data.window_end, late_minutes=data.late_minutes,
                starts_on=data.starts_on or clock.local_today())
    plan.stops = [PlanStop(facility_id=fid, position=n) for n, fid in enumerate(data.facility_ids, start=1)]
    plan.members = [PlanMember(user_id=uid) for uid in sorted(set(data.member_ids))]
    session.add(plan)
    session.flush()
    audit.record(session, actor, "inspection.plan.create", "inspection_plan", plan.id,
                 {"compound_id": compound_id, "name": name, "frequency": data.frequency, "weekdays": weekdays,
                  "month_day": month_day, "window": f"{data.window_start}-{data.window_end}",
                  "facilities": data.facility_ids, "members": sorted(set(data.member_ids))})
    return plan


def list_plans(session: Session, user: User, compound_id: int) -> list[Plan]:
    scope.get_compound(session, user, compound_id, VIEW_ROLES)
    return list(session.scalars(select(Plan).where(Plan.compound_id == compound_id).order_by(Plan.name)))


# --- rounds --------------------------------------------------------------------------------

def create_rounds_ahead(session: Session, now: dt.datetime | None = None, days: int = ROUNDS_AHEAD_DAYS,
                        plan_ids: list[int] | None = None) -> int:
    """Create the rounds (with their due items) of every active plan (or of `plan_ids`) for today
    and the next `days` days, skipping windows already closed. Safe to run twice: (plan, day) is
    unique."""
    now = clock.as_utc(now or clock.now_utc())
    today = clock.to_local(now).date()
    created = 0
    query = select(Plan).where(Plan.is_active.is_(True)).options(selectinload(Plan.stops))
    if plan_ids is not None:
        query = query.where(Plan.id.in_(plan_ids))
    plans = session.scalars(query).all()
    for plan in plans:
        for offset in range(-1, days + 1):  # yesterday too: a night window may still be open
            day = today + dt.timedelta(days=offset)
            if day < plan.starts_on or not schedule.occurs_on(plan.frequency, plan.weekdays, plan.month_day, day):
                continue
            opens_at, closes_at = schedule.window(day, plan.window_start, plan.window_end)
            if closes_at <= now or session.scalar(select(Round.id).where(Round.plan_id == plan.id, Round.due_date == day)):
                continue
            try:
                with session.begin_nested():
                    round_ = Round(plan_id=plan.id, compound_id=plan.compound_id, due_date=day, opens_at=opens_at,
                                   closes_at=closes_at,
                                   submit_until=closes_at + dt.timedelta(minutes=plan.late_minutes))
                    round_.items = [RoundItem(facility_id=stop.facility_id, position=stop.position)
                                    for stop in plan.stops if stop.facility.is_active]
                    session.add(round_)
                    session.flush()
                created += 1
            except IntegrityError:  # another run made it first
                continue
    return created


def mark_missed(session: Session, now: dt.datetime | None = None) -> int:
    """Every round whose window has closed: its unscanned items become missed. Returns how many."""
    now = clock.as_utc(now or clock.now_utc())
    rounds = session.scalars(select(Round).where(Round.closes_at <= now, Round.missed_marked_at.is_(None))
                             .order_by(Round.id).with_for_update(skip_locked=True)).all()
    missed = 0
    for round_ in rounds:
        result = session.execute(update(RoundItem).where(RoundItem.round_id == round_.id, RoundItem.status == "due")
                                 .values(status="missed"))
        round_.missed_marked_at = now
        missed += result.rowcount
        if result.rowcount:
            audit.record(session, None, "inspection.round.missed", "inspection_round", round_.id,
                         {"compound_id": round_.compound_id, "due_date": round_.due_date, "missed": result.rowcount})
    session.flush()
    return missed


@dataclass
class RoundSummary:
    round: Round
    counts: dict[str, int] = field(default_factory=dict)
    flagged: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rounds_on(session: Session, user: User, day: dt.date, compound_id: int | None = None) -> list[RoundSummary]:
    """Rounds due on a Shanghai day in the compounds the user may see, with item counts."""
    query = (select(Round).where(Round.due_date == day,
                                 Round.compound_id.in_(scope.compound_ids(session, user, VIEW_ROLES)))
             .options(selectinload(Round.items).selectinload(RoundItem.facility), selectinload(Round.plan))
             .order_by(Round.compound_id, Round.opens_at))
    if compound_id is not None:
        scope.get_compound(session, user, compound_id, VIEW_ROLES)
        query = query.where(Round.compound_id == compound_id)
    rounds = session.scalars(query).all()
    flagged = dict(session.execute(
        select(RoundItem.round_id, func.count()).join(Record, Record.round_item_id == RoundItem.id)
        .where(RoundItem.round_id.in_([r.id for r in rounds]), Record.is_flagged.is_(True))
        .group_by(RoundItem.round_id)).all()) if rounds else {}
    summaries = []
    for round_ in rounds:
        counts = {status: 0 for status in ("due", "on_time", "late", "missed")}
        for item in round_.items:
            counts[item.status] += 1
        summaries.append(RoundSummary(round_, counts, flagged.get(round_.id, 0)))
    return summaries


def today_for(session: Session, user: User, day: dt.date | None = None) -> list[Round]:
    """The rounds of the plans the user walks, due today (or open now from a night window)."""
    day = day or clock.local_today()
    member_plans = select(PlanMember.plan_id).where(PlanMember.user_id == user.id)
    still_open = and_(Round.due_date == day - dt.timedelta(days=1), Round.submit_until > clock.now_utc())
    return list(session.scalars(
        select(Round).where(Round.plan_id.in_(member_plans), or_(Round.due_date == day, still_open))
        .options(selectinload(Round.items).selectinload(RoundItem.facility),
                 selectinload(Round.plan).joinedload(Plan.compound))
        .order_by(Round.opens_at)))


def missed_rounds(session: Session, user: User, since: dt.date, roles=VIEW_ROLES) -> list[RoundSummary]:
    """Rounds due from `since` to today, in the compounds the user's `roles` cover, that left
    items missed: the most recent first."""
    with_missed = select(RoundItem.round_id).where(RoundItem.status == "missed")
    rounds = session.scalars(
        select(Round).where(Round.due_date >= since, Round.due_date <= clock.local_today(), Round.id.in_(with_missed),
                            Round.compound_id.in_(scope.compound_ids(session, user, roles)))
        .options(selectinload(Round.items), selectinload(Round.plan))
        .order_by(Round.due_date.desc(), Round.opens_at.desc()).limit(200)).all()
    return [RoundSummary(round_, item_counts(round_)) for round_ in rounds]


def item_counts(round_: Round) -> dict[str, int]:
    """How many of a round's items are due, done on time, done late and missed."""
    counts = {status: 0 for status in ("due", "on_time", "late", "missed")}
    for item in round_.items:
        counts[item.status] += 1
    return counts


def facility_history(session: Session, user: User, facility_id: int, limit: int = 200) -> tuple[Facility, list[Record], list[Finding]]:
    facility = get_facility(session, user, facility_id, VIEW_ROLES)
    records = session.scalars(select(Record).where(Record.facility_id == facility.id)
                              .order_by(Record.submitted_at.desc()).limit(limit)).all()
    findings = session.scalars(select(Finding).where(Finding.facility_id == facility.id)
                               .order_by(Finding.id.desc()).limit(limit)).all()
    return facility, list(records), list(findings)


# --- figures for scoring -------------------------------------------------------------------

@dataclass
class InspectionFigures:
    due_items: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    flagged: int = 0
    records: int = 0
    open_defects: int = 0

    @property
    def completion_rate(self) -> float | None:
        """On-time records ÷ due items (None when nothing was due)."""
        return self.on_time / self.due_items if self.due_items else None

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.records if self.records else None


def inspection_figures(session: Session, compound_ids: list[int], period: str) -> dict[int, InspectionFigures]:
    """Per compound, for rounds due in the month (Shanghai days) and records submitted in it.
    `open_defects` counts findings still open at the end of the month (or now, if earlier)."""
    start, end = clock.period_bounds(period)
    figures = {cid: InspectionFigures() for cid in compound_ids}
    if not compound_ids:
        return figures
    for cid, status, count in session.execute(
            select(Round.compound_id, RoundItem.status, func.count()).join(RoundItem.round)
            .where(Round.compound_id.in_(compound_ids), Round.due_date >= start, Round.due_date < end)
            .group_by(Round.compound_id, RoundItem.status)):
        fig = figures[cid]
        fig.due_items += count
        if status in ("on_time", "late", "missed"):
            setattr(fig, status, getattr(fig, status) + count)
    start_at, end_at = clock.local_midnight_utc(start), clock.local_midnight_utc(end)
    for cid, flagged, count in session.execute(
            select(Record.compound_id, Record.is_flagged, func.count())
            .where(Record.compound_id.in_(compound_ids), Record.submitted_at >= start_at, Record.submitted_at < end_at)
            .group_by(Record.compound_id, Record.is_flagged)):
        figures[cid].records += count
        if flagged:
            figures[cid].flagged += count
    cutoff = min(end_at, clock.now_utc())
    for cid, count in session.execute(
            select(Finding.compound_id, func.count())
            .where(Finding.compound_id.in_(compound_ids), Finding.created_at < cutoff,
                   (Finding.closed_at.is_(None)) | (Finding.closed_at >= cutoff))
            .group_by(Finding.compound_id)):
        figures[cid].open_defects = count
    return figures


def inspection_records(session: Session, compound_id: int, period: str) -> list[dict]:
    """The due items of the month behind the figures: one dict per item, with its record if any."""
    start, end = clock.period_bounds(period)
    rows = session.execute(
        select(RoundItem, Round, Facility.name, Record)
        .join(Round, RoundItem.round_id == Round.id).join(Facility, RoundItem.facility_id == Facility.id)
        .outerjoin(Record, Record.round_item_id == RoundItem.id)
        .where(Round.compound_id == compound_id, Round.due_date >= start, Round.due_date < end)
        .order_by(Round.due_date, Round.opens_at, RoundItem.position)).all()
    return [{"id": item.id, "label": f"{round_.due_date} {name}", "status": item.status,
             "at": record.submitted_at if record else round_.closes_at, "round_id": round_.id,
             "facility": name, "record_id": record.id if record else None,
             "flagged": bool(record and record.is_flagged), "flags": record.flags if record else []}
            for item, round_, name, record in rows]
