"""Importing 12345 hotline tickets from the .xlsx the city platform hands the community office.

Every row is checked; one bad row and nothing is imported, with every problem listed by row.
The same ticket number twice (in one file or across files) is one order.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import DomainError, RowErrors, ValidationError
from pm_platform.core.models import User
from pm_platform.core.sheets import Column, read_table, template_xlsx
from pm_platform.places import scope
from pm_platform.places.models import Compound
from pm_platform.workorders.models import CATEGORIES, WorkOrderReport
from pm_platform.workorders.service import REPORT_ROLES, create_work_order

COLUMNS = [
    Column("ticket_no", "工单编号", "ticket number"),
    Column("received_at", "来电时间", "time"),
    Column("address", "地址", "address"),
    Column("content", "诉求内容", "content"),
    Column("category", "类别", "category"),
    Column("deadline", "办结时限", "deadline", required=False),
    Column("compound", "小区", "compound", required=False),
    Column("caller_phone", "来电号码", "caller phone", required=False),
]
# The hotline's own words for our categories (the key itself is accepted too).
CATEGORY_WORDS = {
    "供水": "water", "漏水": "water", "停水": "water", "供电": "power", "停电": "power", "燃气": "gas",
    "电梯困人": "lift_trapped", "电梯": "lift", "排水": "drain", "下水道": "drain", "屋面渗漏": "roof_leak",
    "漏雨": "roof_leak", "道路": "road", "照明": "lighting", "路灯": "lighting", "消防": "fire_safety",
    "停车": "parking", "充电桩": "ev_charging", "绿化": "greenery", "环境卫生": "sanitation", "垃圾": "sanitation",
    "噪音": "noise", "治安": "security", "安全": "security", "设施": "facility", "其他": "other",
}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


@dataclass
class HotlineImportResult:
    rows: int = 0
    created: int = 0
    joined_open_order: int = 0
    already_imported: int = 0


def parse_local_time(text: str) -> dt.datetime | None:
    text = text.strip().replace("T", " ")
    for fmt in _TIME_FORMATS:
        try:
            moment = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt in ("%Y-%m-%d", "%Y/%m/%d"):  # a bare date means the end of that day
            moment += dt.timedelta(days=1, seconds=-1)
        return moment.replace(tzinfo=clock.SHANGHAI).astimezone(dt.timezone.utc)
    return None


def import_hotline_tickets(session: Session, actor: User, filename: str, data: bytes,
                           compound_id: int | None = None) -> dict:
    """Import a 12345 ticket file; each row goes to its 小区 column's compound or `compound_id`."""
    table = read_table(filename, data, COLUMNS, max_rows=5000)
    roles = REPORT_ROLES["hotline_12345"]
    if compound_id is not None:
        scope.get_compound(session, actor, compound_id, roles)
    compounds = {c.name: c.id for c in session.scalars(
        select(Compound).where(Compound.id.in_(scope.compound_ids(session, actor, roles))))}
    result = HotlineImportResult(rows=len(table))
    errors: list[tuple[int, DomainError]] = []
    nested = session.begin_nested()  # nothing stays written if any row is wrong
    for number, row in table:
        problems = []
        target = compound_id
        if row["compound"]:
            target = compounds.get(row["compound"])
            if target is None:
                problems.append(ValidationError("no compound named {name!r} in your area", "compound",
                                                name=row["compound"]))
        elif target is None:
            problems.append(ValidationError("name the compound (小区) or choose one for the whole file", "compound"))
        category = row["category"] if row["category"] in CATEGORIES else CATEGORY_WORDS.get(row["category"])
        if category is None:
            problems.append(ValidationError("unknown category {category!r}", "category", category=row["category"]))
        received = parse_local_time(row["received_at"])
        if received is None:
            problems.append(ValidationError("not a time: {value!r} (write 2026-11-20 09:30)", "received_at",
                                            value=row["received_at"]))
        deadline = parse_local_time(row["deadline"]) if row["deadline"] else None
        if row["deadline"] and deadline is None:
            problems.append(ValidationError("not a date: {value!r}", "deadline", value=row["deadline"]))
        elif deadline and received and deadline <= received:
            problems.append(ValidationError("the deadline is before the call", "deadline"))
        for key in ("ticket_no", "content"):
            if not row[key]:
                problems.append(ValidationError("required", key))
        if not problems:
            known = session.scalar(select(WorkOrderReport.id).where(WorkOrderReport.source == "hotline_12345",
                                                                    WorkOrderReport.external_ref == row["ticket_no"]))
            try:
                order = create_work_order(
                    session, actor, compound_id=target, source="hotline_12345", category=category,
                    description=f"{row['content']}\n地址: {row['address']}" if row["address"] else row["content"],
                    external_ref=row["ticket_no"], reporter_phone=row["caller_phone"][:30],
                    received_at=received, resolve_by=deadline)
            except DomainError as error:
                problems.append(error)
            else:
                if known:
                    result.already_imported += 1
                elif order.external_ref == row["ticket_no"]:
                    result.created += 1
                else:
                    result.joined_open_order += 1
        errors.extend((number, problem) for problem in problems)
    if errors:
        nested.rollback()
        raise RowErrors(errors)
    nested.commit()
    return asdict(result)


def template() -> bytes:
    return template_xlsx(COLUMNS, [["12345-2026-0001", "2026-11-20 09:30", "幸福路3号2栋", "楼道灯不亮", "照明",
                                    "2026-11-27", "", "13900000000"]])

