"""Importing a compound's owner roster (业主花名册): validate the whole file, then write it
in one transaction. Importing the same file twice changes nothing the second time."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pm_platform.core import audit
from pm_platform.core.errors import RowErrors, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import parse_area_m2
from pm_platform.core.sheets import Column, read_table, template_xlsx
from pm_platform.places import scope
from pm_platform.places.models import Building, Owner, Ownership, Unit
from pm_platform.places.service import identity_hash, mask_identity

MAX_ROWS = 200_000
MAX_AREA_CM2 = 10_000 * 100  # a single unit over 10,000 m² is a typo, not a flat

COLUMNS = [
    Column("building", "楼栋"),
    Column("entrance", "单元", required=False),
    Column("floor", "楼层"),
    Column("room", "房号"),
    Column("area_m2", "建筑面积"),
    Column("use", "用途"),
    Column("owner_name", "业主姓名"),
    Column("owner_phone", "联系电话", required=False),
    Column("owner_id_number", "证件号码"),
    Column("certificate_no", "产权证号", required=False),
    Column("owner_type", "业主类型", required=False),
    Column("is_voter", "表决人", required=False),
]
USES = {"住宅": "residential", "residential": "residential", "商业": "commercial",
        "commercial": "commercial", "车位": "parking", "parking": "parking"}
OWNER_TYPES = {"": "person", "个人": "person", "person": "person", "单位": "organization",
               "organization": "organization", "建设单位": "developer", "developer": "developer"}
YES_NO = {"是": True, "yes": True, "y": True, "true": True, "1": True,
          "否": False, "no": False, "n": False, "false": False, "0": False}
_ID_CHARS = re.compile(r"^[0-9A-Z\-]{5,30}$")
_MAINLAND_ID = re.compile(r"^\d{17}[\dX]$")
_PHONE = re.compile(r"^[0-9+\- ]{5,20}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def mainland_id_checksum_ok(number: str) -> bool:
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


@dataclass
class RosterRow:
    row: int
    building: str
    entrance: str
    floor: int
    room: str
    area_cm2: int
    use: str
    owner_name: str
    owner_phone: str
    id_number: str
    certificate_no: str
    owner_type: str
    is_voter: bool | None

    @property
    def unit_key(self) -> tuple[str, str, str]:
        return self.building, self.entrance, self.room


@dataclass
class ImportResult:
    rows: int = 0
    units_created: int = 0
    units_updated: int = 0
    owners_created: int = 0
    owners_updated: int = 0
    ownerships_created: int = 0
    ownerships_updated: int = 0
    buildings_created: int = 0

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__ if name != "rows")


def roster_template() -> bytes:
    example = [["1栋", "1", "3", "301", "89.37", "住宅", "张三", "13800000000",
                "110101199003071234", "京(2020)东城区不动产权第0001号", "个人", "是"]]
    return template_xlsx(COLUMNS, example)


@dataclass
class _Checker:
    errors: list[tuple[int, ValidationError]] = field(default_factory=list)

    def fail(self, row: int, problem: ValidationError) -> None:
        """`problem` names the column as its field."""
        self.errors.append((row, problem))

    def text(self, row: int, values: dict, key: str, max_len: int, required: bool = True) -> str:
        value = values.get(key, "") or ""
        if required and not value:
            self.fail(row, ValidationError("is required", key))
        elif len(value) > max_len:
            self.fail(row, ValidationError("is longer than {limit} characters", key, limit=max_len))
        return value


def _parse_row(check: _Checker, row: int, values: dict) -> RosterRow | None:
    before = len(check.errors)
    building = check.text(row, values, "building", 50)
    entrance = check.text(row, values, "entrance", 20, required=False)
    room = check.text(row, values, "room", 20)
    floor = 0
    try:
        floor = int(values.get("floor", ""))
        if not -5 <= floor <= 200:
            check.fail(row, ValidationError("floor {floor} is out of range (-5 to 200)", "floor", floor=floor))
    except ValueError:
        check.fail(row, ValidationError("must be a whole number, not {value!r}", "floor", value=values.get("floor")))
    area = 0
    try:
        area = parse_area_m2(values.get("area_m2", ""))
        if not 0 < area <= MAX_AREA_CM2:
            check.fail(row, ValidationError("area {area} m² must be above 0 and at most 10000", "area_m2",
                                             area=values.get("area_m2")))
    except ValidationError as exc:
        check.fail(row, exc)
    use = USES.get(values.get("use", "").lower())
    if use is None:
        check.fail(row, ValidationError("must be 住宅/residential, 商业/commercial or 车位/parking", "use"))
    name = check.text(row, values, "owner_name", 100)
    phone = values.get("owner_phone", "")
    if phone and not _PHONE.match(phone):
        check.fail(row, ValidationError("{phone!r} is not a phone number", "owner_phone", phone=phone))
    id_number = "".join(values.get("owner_id_number", "").split()).upper()
    if not id_number:
        check.fail(row, ValidationError("is required", "owner_id_number"))
    elif not _ID_CHARS.match(id_number):
        check.fail(row, ValidationError("must be 5–30 letters or digits", "owner_id_number"))
    elif _MAINLAND_ID.match(id_number) and not mainland_id_checksum_ok(id_number):
        check.fail(row, ValidationError("the check digit of this ID number is wrong", "owner_id_number"))
    certificate = check.text(row, values, "certificate_no", 50, required=False)
    owner_type = OWNER_TYPES.get(values.get("owner_type", "").lower())
    if owner_type is None:
        check.fail(row, ValidationError("must be 个人/person, 单位/organization or 建设单位/developer", "owner_type"))
    raw_voter = values.get("is_voter", "").lower()
    is_voter = YES_NO.get(raw_voter) if raw_voter else None
    if raw_voter and is_voter is None:
        check.fail(row, ValidationError("must be 是 or 否", "is_voter"))
    if len(check.errors) > before:
        return None
    return RosterRow(row, building, entrance, floor, room, area, use, name, phone, id_number,
                     certificate, owner_type, is_voter)


def _check_across_rows(check: _Checker, rows: list[RosterRow]) -> None:
    by_unit: dict[tuple, list[RosterRow]] = defaultdict(list)
    for r in rows:
        by_unit[r.unit_key].append(r)
    for unit_rows in by_unit.values():
        first = unit_rows[0]
        seen_ids: set[str] = set()
        for r in unit_rows:
            if r.id_number in seen_ids:
                check.fail(r.row, ValidationError("duplicate row: this owner is already listed for {unit} (row {first})",
                                                  "owner_id_number", unit="/".join(r.unit_key), first=first.row))
            seen_ids.add(r.id_number)
            if (r.floor, r.area_cm2, r.use) != (first.floor, first.area_cm2, first.use):
                check.fail(r.row, ValidationError("room {unit} appears again with a different floor, area or use (row {first})",
                                                  "room", unit="/".join(r.unit_key), first=first.row))
        if len(unit_rows) > 1:
            voters = [r for r in unit_rows if r.is_voter]
            if len(voters) != 1:
                check.fail(first.row, ValidationError("co-owned unit {unit} must name exactly one voter (是); it names {voters}",
                                                      "is_voter", unit="/".join(first.unit_key), voters=len(voters)))
    names: dict[str, RosterRow] = {}
    for r in rows:
        other = names.setdefault(r.id_number, r)
        if other.owner_name != r.owner_name:
            check.fail(r.row, ValidationError("the same ID number has the name {name!r} on row {other}", "owner_name",
                                              name=other.owner_name, other=other.row))


def validate_roster(filename: str, data: bytes) -> list[RosterRow]:
    """Parse and check the whole file; raise RowErrors listing every bad row."""
    table = read_table(filename, data, COLUMNS, max_rows=MAX_ROWS)
    check = _Checker()
    rows = [parsed for number, values in table if (parsed := _parse_row(check, number, values))]
    if not check.errors:
        _check_across_rows(check, rows)
    if check.errors:
        raise RowErrors(check.errors)
    if not rows:
        raise ValidationError("the file has no rows to import", "file")
    return rows


def import_roster(session: Session, actor: User, compound_id: int, filename: str, data: bytes) -> ImportResult:
    scope.get_compound(session, actor, compound_id, roles={"admin", "community", "firm_manager"})
    rows = validate_roster(filename, data)
    result = _RosterWriter(session, compound_id).write(rows)
    if result.changed:
        audit.record(session, actor, "roster.import", "compound", compound_id,
                     {"file": filename, **{k: getattr(result, k) for k in result.__dataclass_fields__}})
    return result


class _RosterWriter:
    """Set-based upserts: load what exists once, insert the new rows in bulk."""

    def __init__(self, session: Session, compound_id: int):
        self.session = session
        self.compound_id = compound_id
        self.result = ImportResult()

    def write(self, rows: list[RosterRow]) -> ImportResult:
        self.result.rows = len(rows)
        building_ids = self._buildings({r.building for r in rows})
        unit_ids = self._units(rows, building_ids)
        owner_ids = self._owners(rows)
        self._ownerships(rows, unit_ids, owner_ids)
        self.session.flush()
        return self.result

    def _buildings(self, names: set[str]) -> dict[str, int]:
        existing = dict(self.session.execute(
            select(Building.name, Building.id).where(Building.compound_id == self.compound_id)).all())
        new = sorted(names - existing.keys())
        if new:
            created = self.session.execute(
                insert(Building).returning(Building.name, Building.id),
                [{"compound_id": self.compound_id, "name": n} for n in new]).all()
            existing.update(dict(created))
            self.result.buildings_created = len(new)
        return existing

    def _units(self, rows: list[RosterRow], building_ids: dict[str, int]) -> dict[tuple, int]:
        names = {v: k for k, v in building_ids.items()}
        existing = {
            (names[u.building_id], u.entrance, u.room): u
            for u in self.session.execute(
                select(Unit.id, Unit.building_id, Unit.entrance, Unit.room, Unit.floor, Unit.area_cm2, Unit.use)
                .where(Unit.compound_id == self.compound_id)).all()
        }
        wanted = {r.unit_key: r for r in rows}
        unit_ids = {key: u.id for key, u in existing.items()}
        to_insert, to_update = [], []
        for key, r in wanted.items():
            current = existing.get(key)
            if current is None:
                to_insert.append({"compound_id": self.compound_id, "building_id": building_ids[r.building],
                                  "entrance": r.entrance, "floor": r.floor, "room": r.room,
                                  "area_cm2": r.area_cm2, "use": r.use})
            elif (current.floor, current.area_cm2, current.use) != (r.floor, r.area_cm2, r.use):
                to_update.append({"id": current.id, "floor": r.floor, "area_cm2": r.area_cm2, "use": r.use})
        if to_insert:
            for uid, bid, entrance, room in self.session.execute(
                    insert(Unit).returning(Unit.id, Unit.building_id, Unit.entrance, Unit.room), to_insert):
                unit_ids[(names[bid], entrance, room)] = uid
        if to_update:
            self.session.execute(update(Unit), to_update)
        self.result.units_created, self.result.units_updated = len(to_insert), len(to_update)
        return unit_ids

    def _owners(self, rows: list[RosterRow]) -> dict[str, int]:
        wanted: dict[str, RosterRow] = {}
        for r in rows:
            wanted.setdefault(identity_hash(r.id_number), r)
        existing = {}
        hashes = list(wanted)
        for start in range(0, len(hashes), 1000):
            for o in self.session.execute(
                    select(Owner.id, Owner.id_number_hash, Owner.name, Owner.phone, Owner.owner_type)
                    .where(Owner.id_number_hash.in_(hashes[start:start + 1000]))):
                existing[o.id_number_hash] = o
        owner_ids = {h: o.id for h, o in existing.items()}
        to_insert, to_update = [], []
        for h, r in wanted.items():
            current = existing.get(h)
            if current is None:
                to_insert.append({"name": r.owner_name, "phone": r.owner_phone, "id_number_hash": h,
                                  "id_number_masked": mask_identity(r.id_number), "owner_type": r.owner_type})
            elif (current.name, current.phone, current.owner_type) != (r.owner_name, r.owner_phone, r.owner_type):
                to_update.append({"id": current.id, "name": r.owner_name, "phone": r.owner_phone,
                                  "owner_type": r.owner_type})
        if to_insert:
            owner_ids.update(dict(self.session.execute(
                insert(Owner).returning(Owner.id_number_hash, Owner.id), to_insert).all()))
        if to_update:
            self.session.execute(update(Owner), to_update)
        self.result.owners_created, self.result.owners_updated = len(to_insert), len(to_update)
        return {r.id_number: owner_ids[identity_hash(r.id_number)] for r in rows}

    def _ownerships(self, rows: list[RosterRow], unit_ids: dict[tuple, int], owner_ids: dict[str, int]) -> None:
        touched_units = list({unit_ids[r.unit_key] for r in rows})
        existing = {}
        for start in range(0, len(touched_units), 1000):
            for o in self.session.execute(
                    select(Ownership.id, Ownership.unit_id, Ownership.owner_id, Ownership.is_voter,
                           Ownership.certificate_hash)
                    .where(Ownership.unit_id.in_(touched_units[start:start + 1000]))):
                existing[(o.unit_id, o.owner_id)] = o
        co_owned = defaultdict(int)
        for r in rows:
            co_owned[r.unit_key] += 1
        wanted = {}
        for r in rows:
            key = (unit_ids[r.unit_key], owner_ids[r.id_number])
            is_voter = True if co_owned[r.unit_key] == 1 else bool(r.is_voter)
            cert = identity_hash(r.certificate_no) if r.certificate_no else ""
            wanted[key] = (is_voter, cert)
        voter_of_unit = {key[0]: key for key, (is_voter, _) in wanted.items() if is_voter}
        # Clear voters who are being replaced first: the one-voter index is checked per row.
        unset = {o.id for key, o in existing.items()
                 if o.is_voter and key[0] in voter_of_unit and voter_of_unit[key[0]] != key}
        if unset:
            self.session.execute(update(Ownership), [{"id": i, "is_voter": False} for i in unset])
        to_insert, to_update = [], []
        for key, (is_voter, cert) in wanted.items():
            current = existing.get(key)
            if current is None:
                to_insert.append({"unit_id": key[0], "owner_id": key[1], "is_voter": is_voter, "certificate_hash": cert})
                continue
            was_voter = current.is_voter and current.id not in unset
            if (was_voter, current.certificate_hash) != (is_voter, cert):
                to_update.append({"id": current.id, "is_voter": is_voter, "certificate_hash": cert})
        if to_update:
            self.session.execute(update(Ownership), to_update)
        if to_insert:
            self.session.execute(insert(Ownership), to_insert)
        self.result.ownerships_created = len(to_insert)
        self.result.ownerships_updated = len(unset | {row["id"] for row in to_update})
