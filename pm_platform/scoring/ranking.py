"""Red and black lists (红黑榜) per street office and district, and the warning ladder for
firms black-listed by a district in consecutive months."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Compound, PropertyFirm
from pm_platform.scoring.models import LADDER, FirmWarning, PublishedMonth, RedBlackEntry, RedBlackNotice, Scorecard
from pm_platform.scoring.service import firm_scores, get_area

LIST_SIZE = 3
RED_FROM = 8000  # a red list names the best, and only those at 80 points or more (grade A or B)
BLACK_BELOW = 7000  # a black list names the worst, and only those below 70 (where rewards fall to half)
RECTIFICATION_DAYS = 30
PUBLISH_ROLES = {"street": {"admin", "street"}, "district": {"admin", "bureau"}}


@dataclass(frozen=True)
class Entry:
    board: str
    subject: str
    subject_id: int
    name: str
    rank: int
    total: int


def _boards(subject: str, scored: list[tuple[int, str, int]]) -> list[Entry]:
    """[(id, name, total)] → red and black entries; the lists never share a member."""
    ranked = sorted(scored, key=lambda s: (-s[2], s[0]))
    red = [s for s in ranked if s[2] >= RED_FROM][:LIST_SIZE]
    black = [s for s in reversed(ranked) if s[2] < BLACK_BELOW][:LIST_SIZE]
    return ([Entry("red", subject, i, n, rank, t) for rank, (i, n, t) in enumerate(red, 1)]
            + [Entry("black", subject, i, n, rank, t) for rank, (i, n, t) in enumerate(black, 1)])


def compute_lists(session: Session, area: AdminArea, month: str) -> list[Entry]:
    column = Scorecard.street_id if area.kind == "street" else Scorecard.district_id
    cards = session.scalars(select(Scorecard).where(column == area.id, Scorecard.month == month,
                                                    Scorecard.is_current)).all()
    names = dict(session.execute(select(Compound.id, Compound.name).where(
        Compound.id.in_([c.compound_id for c in cards]))).all())
    compounds = [(c.compound_id, names[c.compound_id], c.total) for c in cards if c.total is not None]
    firms = firm_scores(list(cards))
    firm_names = dict(session.execute(select(PropertyFirm.id, PropertyFirm.name).where(
        PropertyFirm.id.in_(list(firms)))).all())
    firm_rows = [(fid, firm_names[fid], total) for fid, (total, _, _) in firms.items() if total is not None]
    return _boards("compound", compounds) + _boards("firm", firm_rows)


def lists_area(session: Session, user: User, area_id: int) -> AdminArea:
    area = get_area(session, user, area_id)
    if area.kind not in ("street", "district"):
        raise NotFound("red and black lists are kept per street office and district")
    return area


def may_view_lists(session: Session, user: User, area_id: int) -> bool:
    """Whether `user` may open the area's red and black lists (a board shows the link only then:
    a firm's staff see the district board of their own compounds, not the district's lists)."""
    try:
        lists_area(session, user, area_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def get_notice(session: Session, area_id: int, month: str) -> RedBlackNotice | None:
    return session.scalars(select(RedBlackNotice).where(RedBlackNotice.area_id == area_id, RedBlackNotice.month == month)
                           .options(selectinload(RedBlackNotice.entries))).first()


def publish_lists(session: Session, actor: User, area_id: int, month: str) -> RedBlackNotice:
    """Publish the month's lists for a street office (once it has published its cards) or a
    district (once every street office has); a district's black list moves firms up the ladder."""
    area = lists_area(session, actor, area_id)
    clock.parse_period(month, "month")
    if not scope.covers_area(session, actor, area, PUBLISH_ROLES[area.kind]):
        raise PermissionDenied("your role does not publish these lists")
    if get_notice(session, area.id, month):
        raise Conflict("the lists for {month} are already published", month=month)
    streets = [area.id] if area.kind == "street" else list(session.scalars(
        select(AdminArea.id).where(AdminArea.parent_id == area.id, AdminArea.kind == "street")))
    published = set(session.scalars(select(PublishedMonth.street_id).where(
        PublishedMonth.month == month, PublishedMonth.street_id.in_(streets))))
    if not streets or set(streets) - published:
        raise Conflict("{count} street office(s) have not published {month} yet",
                       count=len(set(streets) - published), month=month)
    notice = RedBlackNotice(area_id=area.id, month=month, published_by_id=actor.id)
    session.add(notice)
    session.flush()
    entries = compute_lists(session, area, month)
    for e in entries:
        session.add(RedBlackEntry(notice_id=notice.id, board=e.board, subject=e.subject, subject_id=e.subject_id,
                                  name=e.name, rank=e.rank, total=e.total))
    session.flush()
    audit.record(session, actor, "scoring.redblack_published", "redblack_notice", notice.id,
                 {"area_id": area.id, "month": month,
                  "entries": [[e.board, e.subject, e.subject_id, e.total] for e in entries]})
    if area.kind == "district":
        for e in entries:
            if e.board == "black" and e.subject == "firm":
                _climb(session, actor, notice, e.subject_id)
    session.refresh(notice, ["entries"])
    return notice


def _black_listed(session: Session, district_id: int, month: str, firm_id: int) -> bool:
    return session.scalar(select(RedBlackEntry.id).join(RedBlackNotice).where(
        RedBlackNotice.area_id == district_id, RedBlackNotice.month == month, RedBlackEntry.board == "black",
        RedBlackEntry.subject == "firm", RedBlackEntry.subject_id == firm_id)) is not None


def _climb(session: Session, actor: User, notice: RedBlackNotice, firm_id: int) -> FirmWarning | None:
    """Months in a row on the district's black list: 2 → notice (通报), 3 → interview (约谈),
    4 → rectification deadline (限期整改), 5 and more → report to the district (报区)."""
    consecutive = 1
    for month in reversed(clock.recent_periods(notice.month, 24)[:-1]):
        if not _black_listed(session, notice.area_id, month, firm_id):
            break
        consecutive += 1
    if consecutive < 2:
        return None
    step = LADDER[min(consecutive - 2, len(LADDER) - 1)]
    due = clock.local_today() + dt.timedelta(days=RECTIFICATION_DAYS) if step == "rectification" else None
    warning = FirmWarning(firm_id=firm_id, district_id=notice.area_id, month=notice.month, step=step,
                          consecutive=consecutive, due_on=due, notice_id=notice.id)
    session.add(warning)
    session.flush()
    audit.record(session, actor, "scoring.firm_warning", "firm_warning", warning.id,
                 {"firm_id": firm_id, "district_id": notice.area_id, "month": notice.month, "step": step,
                  "consecutive": consecutive, "due_on": due.isoformat() if due else None})
    return warning


def warnings_for(session: Session, user: User, district_id: int | None = None, firm_id: int | None = None) -> list[FirmWarning]:
    """Warnings the user may see: an office sees its district's, a firm its own."""
    query = select(FirmWarning).order_by(FirmWarning.month.desc(), FirmWarning.id)
    if district_id is not None:
        query = query.where(FirmWarning.district_id == district_id)
    if firm_id is not None:
        query = query.where(FirmWarning.firm_id == firm_id)
    visible = []
    for warning in session.scalars(query):
        district = session.get(AdminArea, warning.district_id)
        own_firm = any(g.kind == "firm" and g.id == warning.firm_id for g in scope.grants_of(session, user))
        if own_firm or scope.covers_area(session, user, district, scope.OFFICE_ROLES):
            visible.append(warning)
    return visible
