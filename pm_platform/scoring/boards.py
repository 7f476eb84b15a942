"""What the offices read: card lists with firm scores, the boards for each level of the tree
with their drill-down, and the red/black lists as shown (published, or a preview)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Compound, PropertyFirm
from pm_platform.scoring import arithmetic, ranking, service
from pm_platform.scoring.models import PublishedMonth, Scorecard, ScorecardLine

CHILD_KIND = {"district": "street", "street": "community", "community": "compound"}
AREA_COLUMN = {"district": Scorecard.district_id, "street": Scorecard.street_id, "community": Scorecard.community_id}
CHILD_COLUMN = {"street": Scorecard.street_id, "community": Scorecard.community_id, "compound": Scorecard.compound_id}


def parse_scope(text: str | None, kinds=("district", "street", "community", "compound")) -> tuple[str, int]:
    kind, _, raw = (text or "").partition(":")
    if kind not in kinds or not raw.isdigit():
        raise ValidationError("scope must be KIND:ID with KIND one of {choices}", "scope", choices=", ".join(kinds))
    return kind, int(raw)


def published_streets(session: Session, month: str, street_ids) -> set[int]:
    return set(session.scalars(select(PublishedMonth.street_id).where(
        PublishedMonth.month == month, PublishedMonth.street_id.in_(list(street_ids)))))


def card_list(session: Session, user: User, month: str, scope_text: str) -> dict:
    """The API's card list: current cards in a scope the user may see, and the area-weighted
    score of each firm over those cards."""
    kind, area_id = parse_scope(scope_text)
    cards = service.cards_in(session, user, month, kind, area_id)
    names = dict(session.execute(select(Compound.id, Compound.name).where(
        Compound.id.in_([c.compound_id for c in cards]))).all())
    published = published_streets(session, month, {c.street_id for c in cards})
    for card in cards:
        card.compound_name, card.published = names[card.compound_id], card.street_id in published
    return {"month": month, "scope": f"{kind}:{area_id}", "cards": cards,
            "firms": firm_rows(session, service.firm_scores(cards))}


def firm_rows(session: Session, scores: dict[int, tuple[int | None, int, int]]) -> list[dict]:
    names = dict(session.execute(select(PropertyFirm.id, PropertyFirm.name).where(
        PropertyFirm.id.in_(list(scores)))).all())
    rows = [{"firm_id": fid, "firm": names[fid], "total": total, "grade": arithmetic.grade_of(total),
             "compounds": n, "area_m2": f"{area // 100}.{area % 100:02d}"} for fid, (total, area, n) in scores.items()]
    return sorted(rows, key=lambda r: (-(r["total"] or -1), r["firm_id"]))


def card_detail(session: Session, user: User, card_id: int) -> Scorecard:
    card = service.get_card(session, user, card_id)
    card.compound_name = session.get(Compound, card.compound_id).name
    card.published = service.is_published(session, card.street_id, card.month)
    card.revisions = service.card_history(session, card)
    return card


def lists_scope(session: Session, user: User, scope_text: str) -> AdminArea:
    """The street office or district that `street:ID` / `district:ID` names, if the user's."""
    kind, area_id = parse_scope(scope_text, ("street", "district"))
    area = ranking.lists_area(session, user, area_id)
    if area.kind != kind:
        raise ValidationError("{area} is a {actual}, not a {kind}", "scope", area=area_id, actual=area.kind, kind=kind)
    return area


def redblack(session: Session, user: User, month: str, scope_text: str) -> dict:
    area = lists_scope(session, user, scope_text)
    notice = ranking.get_notice(session, area.id, month)
    entries = notice.entries if notice else ranking.compute_lists(session, area, month)
    return {"month": month, "scope": f"{area.kind}:{area.id}", "area": area, "published": notice is not None,
            "published_at": notice.published_at if notice else None, "notice": notice, "entries": entries}


# --- boards ---------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of a board: a child area (or a compound) with its average and grades."""

    kind: str
    id: int
    name: str
    total: int | None = None
    grade: str | None = None
    compounds: int = 0
    grades: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0, "C": 0, "D": 0})
    card_id: int | None = None
    trend: list[tuple[str, int | None]] = field(default_factory=list)


@dataclass
class Board:
    kind: str
    area: AdminArea
    month: str
    rows: list[Row]
    total: int | None
    scored: int  # compounds with a card this month
    breakdown: list[tuple[str, int, int]]  # (indicator key, average points, weight)
    watch: dict[str, int]
    trend: list[tuple[str, int | None]]


def _mean(total_sum, count) -> int | None:
    """The average of `count` totals adding up to `total_sum` (hundredths, half-up)."""
    return arithmetic.round_hundredths(Fraction(int(total_sum), int(count) * 100)) if count else None


def area_board(session: Session, user: User, kind: str, area_id: int, month: str) -> Board:
    """A district, street or community board: each child's average score and grades, the
    indicators' average points, the level's 12-month trend, and the figures to watch. Read
    with grouped queries, so a district of 500 compounds loads no card objects."""
    area = session.get(AdminArea, area_id)
    if area is None or area.kind != kind:
        raise NotFound("{kind} {area} not found", kind=kind, area=area_id)
    clock.parse_period(month, "month")
    visible = scope.compound_ids(session, user, scope.STAFF_ROLES)
    in_area = (AREA_COLUMN[kind] == area_id, Scorecard.is_current, Scorecard.compound_id.in_(visible))
    child = CHILD_KIND[kind]
    child_column = CHILD_COLUMN[child]
    if child == "compound":
        children = session.execute(select(Compound.id, Compound.name).where(
            Compound.community_id == area_id, Compound.id.in_(visible)).order_by(Compound.name)).all()
    else:
        parent_column = Compound.district_id if kind == "district" else Compound.street_id
        own_column = Compound.street_id if child == "street" else Compound.community_id
        child_ids = select(own_column).where(parent_column == area_id, Compound.id.in_(visible))
        children = session.execute(select(AdminArea.id, AdminArea.name).where(AdminArea.id.in_(child_ids))
                                   .order_by(AdminArea.name)).all()
    rows = {child_id: Row(child, child_id, name) for child_id, name in children}
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for child_id, grade, cards, total_sum, scored in session.execute(
            select(child_column, Scorecard.grade, func.count(), func.sum(Scorecard.total), func.count(Scorecard.total))
            .where(Scorecard.month == month, *in_area).group_by(child_column, Scorecard.grade)):
        row = rows.get(child_id)
        if row is None:
            continue
        row.compounds += cards
        if grade:
            row.grades[grade] += cards
        sums[child_id][0] += int(total_sum or 0)
        sums[child_id][1] += scored
    if child == "compound":
        for compound_id, card_id in session.execute(select(Scorecard.compound_id, Scorecard.id).where(
                Scorecard.month == month, *in_area)):
            rows[compound_id].card_id = card_id
    trends = _trends(session, month, in_area, child_column)
    for row in rows.values():
        row.total = _mean(*sums[row.id]) if row.id in sums else None
        row.grade = arithmetic.grade_of(row.total)
        row.trend = trends.get(row.id, [])
    ordered = sorted(rows.values(), key=lambda r: (r.total is None, -(r.total or 0), r.name))
    all_sum, all_count = sum(v[0] for v in sums.values()), sum(v[1] for v in sums.values())
    return Board(kind, area, month, ordered, _mean(all_sum, all_count), sum(r.compounds for r in ordered),
                 _breakdown(session, month, in_area), _watch(session, month, in_area), trends.get("all", []))


def _trends(session: Session, month: str, in_area: tuple, child_column) -> dict:
    """12-month trend of the average score, for the whole area ("all") and for each child."""
    months = clock.recent_periods(month, 12)
    sums: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for m, child_id, total_sum, scored in session.execute(
            select(Scorecard.month, child_column, func.sum(Scorecard.total), func.count(Scorecard.total))
            .where(Scorecard.month.in_(months), *in_area).group_by(Scorecard.month, child_column)):
        for key in (child_id, "all"):
            sums[key][m][0] += int(total_sum or 0)
            sums[key][m][1] += scored
    return {key: [(m, _mean(*per_month[m]) if m in per_month else None) for m in months]
            for key, per_month in sums.items()}


def _breakdown(session: Session, month: str, in_area: tuple) -> list[tuple[str, int, int]]:
    """Average points per indicator over the cards that measured it (hundredths), with its weight."""
    measured = ScorecardLine.denominator > 0
    rows = {key: (points, count, weight) for key, points, count, weight in session.execute(
        select(ScorecardLine.key, func.sum(case((measured, ScorecardLine.points), else_=0)),
               func.count(case((measured, 1))), func.max(ScorecardLine.weight))
        .join(Scorecard, Scorecard.id == ScorecardLine.scorecard_id)
        .where(Scorecard.month == month, *in_area, ScorecardLine.kind == "indicator").group_by(ScorecardLine.key))}
    return [(key, _mean(rows[key][0], rows[key][1]) or 0 if key in rows else 0, rows[key][2] if key in rows else 0)
            for key in arithmetic.INDICATOR_KEYS]


def _watch(session: Session, month: str, in_area: tuple) -> dict[str, int]:
    """Overdue work orders, missed inspections, arrears and rebounds added up over the cards."""
    summed: dict[str, int] = defaultdict(int)
    for watch in session.scalars(select(Scorecard.watch).where(Scorecard.month == month, *in_area)):
        for key, value in (watch or {}).items():
            summed[key] += value
    return dict(summed)


def card_breakdown(cards: list[Scorecard]) -> list[tuple[str, int, int]]:
    """The same averages as a board's, over a few loaded cards (a firm's compounds)."""
    sums: dict[str, list[int]] = defaultdict(list)
    weights: dict[str, int] = {}
    for card in cards:
        for line in card.lines:
            if line.kind == "indicator" and line.denominator:
                sums[line.key].append(line.points)
            weights.setdefault(line.key, line.weight)
    return [(key, arithmetic.average(sums.get(key, [])) or 0, weights.get(key, 0))
            for key in arithmetic.INDICATOR_KEYS]


def firm_board(session: Session, user: User, firm_id: int, month: str) -> dict:
    """A firm manager's own compounds, the same way the offices see them."""
    firm = session.get(PropertyFirm, firm_id)
    held = {g.id for g in scope.grants_of(session, user) if g.kind == "firm"}
    if firm is None or not (firm_id in held or scope.roles_of(session, user) & scope.OFFICE_ROLES):
        raise NotFound("firm {firm} not found", firm=firm_id)
    cards = list(session.scalars(service.scoped_cards(session, user, month).where(Scorecard.firm_id == firm_id)
                                 .order_by(Scorecard.total.desc())))
    names = dict(session.execute(select(Compound.id, Compound.name).where(
        Compound.id.in_([c.compound_id for c in cards]))).all())
    rows = [Row("compound", c.compound_id, names[c.compound_id], c.total, c.grade, 1, card_id=c.id,
                trend=service.compound_trend(session, c.compound_id, month)) for c in cards]
    score = service.firm_scores(cards).get(firm_id, (None, 0, 0))
    return {"firm": firm, "month": month, "rows": rows, "total": score[0], "grade": arithmetic.grade_of(score[0]),
            "breakdown": card_breakdown(cards), "warnings": ranking.warnings_for(session, user, firm_id=firm_id)}
