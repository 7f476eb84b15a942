"""Scoring rules: schemes, spot checks, incidents, and the monthly cards with their freezing
and revisions. Plain functions `verb_noun(session, actor, ...)`: they flush, the caller commits."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places import scope
from pm_platform.places.models import AdminArea, Compound, ServiceContract, Unit
from pm_platform.scoring import arithmetic, inputs
from pm_platform.workorders import service as workorders
from pm_platform.scoring.models import (
    SPOT_ITEMS, SPOT_MAX, PublishedMonth, SafetyIncident, Scorecard, ScorecardLine, ScoringScheme, SpotCheck,
    SpotCheckItem, SpotCheckPhoto,
)

SCHEME_ROLES = {"admin", "bureau"}
SPOT_CHECK_ROLES = {"admin", "community", "street"}
INCIDENT_ROLES = {"admin", "bureau", "street", "community"}
PUBLISH_ROLES = {"admin", "street"}
REVISE_ROLES = {"admin", "bureau", "street"}
# the work-order category a failed spot-check item is reported under, and its name in the order
SPOT_CATEGORIES = {"cleaning": "sanitation", "greenery": "greenery", "fire_lanes": "fire_safety",
                   "parking": "parking", "notice_board": "other", "facilities": "facility"}
SPOT_ITEM_NAMES = {"cleaning": "环境卫生", "greenery": "绿化养护", "fire_lanes": "消防通道", "parking": "停车秩序",
                   "notice_board": "公示栏", "facilities": "设施设备"}
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def get_area(session: Session, user: User, area_id: int, kind: str | None = None, roles=scope.OFFICE_ROLES) -> AdminArea:
    area = session.get(AdminArea, area_id)
    if area is None or (kind and area.kind != kind) or not scope.covers_area(session, user, area, roles):
        raise NotFound("{kind} {area} not found", kind=kind or "area", area=area_id)
    return area


# --- schemes --------------------------------------------------------------------------------

def scheme_for(session: Session, district_id: int, month: str) -> tuple[int | None, dict]:
    """The scheme in force in a district for a month: its latest version from that month or
    before, else the default (id None)."""
    scheme = session.scalars(
        select(ScoringScheme).where(ScoringScheme.district_id == district_id, ScoringScheme.effective_month <= month)
        .order_by(ScoringScheme.effective_month.desc()).limit(1)
    ).first()
    return (scheme.id, scheme.definition) if scheme else (None, arithmetic.DEFAULT_SCHEME)


def save_scheme(session: Session, actor: User, district_id: int, effective_month: str, definition: dict) -> ScoringScheme:
    """A district bureau sets the scheme from a month on. A month some street office has already
    published keeps the scheme its frozen cards were computed with."""
    district = get_area(session, actor, district_id, "district", SCHEME_ROLES)
    clock.parse_period(effective_month, "effective_month")
    problems = arithmetic.validate_scheme(definition)
    if problems:
        raise problems[0]  # one at a time: each problem is its own translated message
    published = session.scalar(
        select(func.max(PublishedMonth.month)).join(AdminArea, AdminArea.id == PublishedMonth.street_id)
        .where(AdminArea.parent_id == district.id))
    if published and effective_month <= published:
        raise Conflict("{month} is already published; a new scheme can start from a later month",
                       "effective_month", month=published)
    definition = {"indicators": definition["indicators"], "deductions": definition["deductions"]}
    scheme = session.scalars(select(ScoringScheme).where(
        ScoringScheme.district_id == district.id, ScoringScheme.effective_month == effective_month)).first()
    if scheme is None:
        scheme = ScoringScheme(district_id=district.id, effective_month=effective_month, definition=definition,
                               created_by_id=actor.id)
        session.add(scheme)
    else:
        scheme.definition, scheme.created_by_id = definition, actor.id
    session.flush()
    audit.record(session, actor, "scoring.scheme_saved", "scoring_scheme", scheme.id,
                 {"district_id": district.id, "effective_month": effective_month, "definition": definition})
    return scheme


# --- spot checks and incidents --------------------------------------------------------------

def record_spot_check(session: Session, actor: User, compound_id: int, checked_on: dt.date,
                      items: dict[str, dict], note: str = "", open_work_orders: bool = True) -> SpotCheck:
    """A spot check of every item: items = {item: {"score": 0–10, "note": str,
    "photos": [(content_type, bytes)]}}. All items are required, so months compare. With
    `open_work_orders`, each failed item (below 6) opens a work order for the firm."""
    compound = scope.get_compound(session, actor, compound_id, SPOT_CHECK_ROLES)
    if checked_on > clock.local_today():
        raise ValidationError("a spot check cannot be dated in the future", "checked_on")
    missing = [key for key in SPOT_ITEMS if key not in items]
    unknown = [key for key in items if key not in SPOT_ITEMS]
    if missing or unknown:
        raise ValidationError("score every item ({items}); missing: {missing}; unknown: {unknown}", "items",
                              items=", ".join(SPOT_ITEMS), missing=", ".join(missing) or "-",
                              unknown=", ".join(unknown) or "-")
    check = SpotCheck(compound_id=compound.id, month=clock.period_of(checked_on), checked_on=checked_on,
                      checked_by_id=actor.id, note=(note or "").strip()[:2000])
    session.add(check)
    session.flush()
    for key in SPOT_ITEMS:
        given = items[key]
        score = given.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= SPOT_MAX:
            raise ValidationError("{item}: the score must be a whole number from 0 to {max}", key, item=key, max=SPOT_MAX)
        item = SpotCheckItem(spot_check_id=check.id, item=key, score=score, note=(given.get("note") or "").strip()[:2000])
        session.add(item)
        session.flush()
        for content_type, data in given.get("photos") or []:
            if content_type not in PHOTO_TYPES or not data or len(data) > MAX_PHOTO_BYTES:
                raise ValidationError("{item}: photos must be JPEG, PNG or WebP up to 5 MB", key, item=key)
            session.add(SpotCheckPhoto(item_id=item.id, content_type=content_type, data=data))
        if open_work_orders and item.failed:
            order = workorders.create_work_order(
                session, actor, compound_id=compound.id, source="spot_check", category=SPOT_CATEGORIES[key],
                description=f"抽查不合格:{SPOT_ITEM_NAMES[key]} {score}/{SPOT_MAX} {item.note}".strip(),
                external_ref=f"spot-check-{check.id}-{key}")
            item.work_order_id = order.id
    session.flush()
    session.refresh(check, ["items"])
    audit.record(session, actor, "scoring.spot_check", "spot_check", check.id,
                 {"compound_id": compound.id, "checked_on": checked_on.isoformat(),
                  "scores": {i.item: i.score for i in check.items}})
    return check


def record_incident(session: Session, actor: User, compound_id: int, occurred_on: dt.date, description: str) -> SafetyIncident:
    compound = scope.get_compound(session, actor, compound_id, INCIDENT_ROLES)
    description = (description or "").strip()
    if not description:
        raise ValidationError("describe the incident", "description")
    if occurred_on > clock.local_today():
        raise ValidationError("the date is in the future", "occurred_on")
    incident = SafetyIncident(compound_id=compound.id, month=clock.period_of(occurred_on), occurred_on=occurred_on,
                              description=description[:2000], recorded_by_id=actor.id)
    session.add(incident)
    session.flush()
    audit.record(session, actor, "scoring.safety_incident", "safety_incident", incident.id,
                 {"compound_id": compound.id, "occurred_on": occurred_on.isoformat(), "description": description})
    return incident


# --- scorecards -----------------------------------------------------------------------------

def compound_areas(session: Session, compound_ids: list[int]) -> dict[int, int]:
    rows = session.execute(select(Unit.compound_id, func.sum(Unit.area_cm2))
                           .where(Unit.compound_id.in_(compound_ids)).group_by(Unit.compound_id)).all()
    return {cid: int(area) for cid, area in rows}


def firms_at_month_end(session: Session, compound_ids: list[int], month: str) -> dict[int, int]:
    """The firm serving each compound on the month's last day (the one its card counts for)."""
    last_day = clock.period_bounds(month)[1] - dt.timedelta(days=1)
    rows = session.execute(select(ServiceContract.compound_id, ServiceContract.firm_id).where(
        ServiceContract.compound_id.in_(compound_ids), ServiceContract.starts_on <= last_day,
        or_(ServiceContract.ends_on.is_(None), ServiceContract.ends_on >= last_day))).all()
    return dict(rows)


def _fill(card: Scorecard, scheme_id: int | None, result: arithmetic.Card) -> None:
    card.scheme_id, card.total, card.grade = scheme_id, result.total, result.grade
    card.computed_at = clock.now_utc()
    # lines are updated in place by key (a delete-and-insert would trip the unique key)
    existing = {line.key: line for line in card.lines}
    lines = []
    for line in result.lines:
        row = existing.get(line.key) or ScorecardLine(key=line.key)
        row.kind, row.weight, row.numerator, row.denominator, row.points = (
            line.kind, line.weight, line.numerator, line.denominator, line.points)
        lines.append(row)
    card.lines = lines


def _score(session: Session, compounds: list[Compound], month: str) -> dict[int, tuple]:
    """{compound_id: (scheme_id, computed card, floor area, firm at month end, watch figures)}"""
    ids = [c.id for c in compounds]
    figures = inputs.gather(session, ids, month)
    areas, firms = compound_areas(session, ids), firms_at_month_end(session, ids, month)
    schemes: dict[int, tuple[int | None, dict]] = {}
    scored = {}
    for c in compounds:
        if c.district_id not in schemes:
            schemes[c.district_id] = scheme_for(session, c.district_id, month)
        scheme_id, definition = schemes[c.district_id]
        result = arithmetic.score_card(definition, figures[c.id].ratios, figures[c.id].counts)
        scored[c.id] = (scheme_id, result, areas.get(c.id, 0), firms.get(c.id), figures[c.id].watch)
    return scored


def compute_month(session: Session, month: str, district_id: int | None = None, actor: User | None = None) -> int:
    """Compute (or recompute) every compound's card for a month; cards of months their street
    office has published are left alone. The same inputs give the same cards. Returns how many
    cards were written."""
    clock.parse_period(month, "month")
    query = select(Compound).order_by(Compound.id)
    if district_id is not None:
        query = query.where(Compound.district_id == district_id)
    compounds = session.scalars(query).all()
    published = set(session.scalars(select(PublishedMonth.street_id).where(PublishedMonth.month == month)))
    current = {card.compound_id: card for card in session.scalars(
        select(Scorecard).where(Scorecard.month == month, Scorecard.is_current).options(selectinload(Scorecard.lines)))}
    todo = [c for c in compounds if not (c.street_id in published and c.id in current)]
    for compound_id, (scheme_id, result, area, firm_id, watch) in _score(session, todo, month).items():
        card = current.get(compound_id)
        if card is None:
            compound = session.get(Compound, compound_id)
            card = Scorecard(compound_id=compound_id, month=month, revision=1, is_current=True,
                             district_id=compound.district_id, street_id=compound.street_id,
                             community_id=compound.community_id)
            session.add(card)
        card.area_cm2, card.firm_id, card.watch = area, firm_id, watch
        _fill(card, scheme_id, result)
    session.flush()
    audit.record(session, actor, "scoring.computed", "scoring_month", month,
                 {"district_id": district_id, "cards": len(todo)})
    return len(todo)


def is_published(session: Session, street_id: int, month: str) -> bool:
    return session.scalar(select(PublishedMonth.id).where(
        PublishedMonth.street_id == street_id, PublishedMonth.month == month)) is not None


def publish_month(session: Session, actor: User, street_id: int, month: str) -> PublishedMonth:
    """The street office publishes a month: its compounds' cards are frozen from now on."""
    street = get_area(session, actor, street_id, "street", PUBLISH_ROLES)
    clock.parse_period(month, "month")
    if is_published(session, street.id, month):
        raise Conflict("{month} is already published", month=month)
    compounds = set(session.scalars(select(Compound.id).where(Compound.street_id == street.id)))
    carded = set(session.scalars(select(Scorecard.compound_id).where(
        Scorecard.street_id == street.id, Scorecard.month == month, Scorecard.is_current)))
    if not compounds or compounds - carded:
        raise Conflict("{count} compound(s) have no card for {month} yet; compute the month first",
                       count=len(compounds - carded), month=month)
    published = PublishedMonth(street_id=street.id, month=month, published_by_id=actor.id)
    session.add(published)
    session.flush()
    audit.record(session, actor, "scoring.published", "street_month", f"{street.id}:{month}",
                 {"street_id": street.id, "month": month, "cards": len(carded)})
    return published


def revise_card(session: Session, actor: User, compound_id: int, month: str, reason: str) -> Scorecard:
    """A correction to a published month: the card is recomputed from today's records as the next
    revision; the published one stays, marked as replaced."""
    compound = scope.get_compound(session, actor, compound_id, REVISE_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("say why the card is corrected", "reason")
    if not is_published(session, compound.street_id, month):
        raise Conflict("{month} is not published yet: its cards are simply recomputed", month=month)
    old = session.scalars(select(Scorecard).where(
        Scorecard.compound_id == compound.id, Scorecard.month == month, Scorecard.is_current)).one()
    scheme_id, result, area, firm_id, watch = _score(session, [compound], month)[compound.id]
    if result.total == old.total and [(l.key, l.numerator, l.denominator, l.points) for l in result.lines] == \
            [(l.key, l.numerator, l.denominator, l.points) for l in old.lines]:
        raise Conflict("the records give the same card as the published one; nothing to correct")
    old.is_current = False
    session.flush()  # the one-current index must see the old card retired first
    card = Scorecard(compound_id=compound.id, month=month, revision=old.revision + 1, is_current=True,
                     district_id=compound.district_id, street_id=compound.street_id,
                     community_id=compound.community_id, area_cm2=area, firm_id=firm_id, watch=watch,
                     reason=reason[:2000], created_by_id=actor.id)
    _fill(card, scheme_id, result)
    session.add(card)
    session.flush()
    audit.record(session, actor, "scoring.revised", "scorecard", card.id,
                 {"compound_id": compound.id, "month": month, "revision": card.revision, "reason": reason,
                  "total": card.total, "previous_total": old.total})
    return card


# --- reading cards --------------------------------------------------------------------------

def scoped_cards(session: Session, user: User, month: str) -> Select:
    """Current cards of a month for the compounds the user may see."""
    clock.parse_period(month, "month")
    return (select(Scorecard).where(Scorecard.month == month, Scorecard.is_current,
                                    Scorecard.compound_id.in_(scope.compound_ids(session, user, scope.STAFF_ROLES)))
            .options(selectinload(Scorecard.lines)))


def latest_card_month(session: Session, user: User) -> str | None:
    """The latest month with a card the user may see (None before the first computation)."""
    return session.scalar(select(func.max(Scorecard.month)).where(
        Scorecard.compound_id.in_(scope.compound_ids(session, user, scope.STAFF_ROLES))))


def cards_in(session: Session, user: User, month: str, kind: str, area_id: int) -> list[Scorecard]:
    """Current cards of a month within a district, street, community or one compound, limited
    to the compounds the user may see (a street office asking for its district gets its own)."""
    if kind == "compound":
        scope.get_compound(session, user, area_id, scope.STAFF_ROLES)
        column = Scorecard.compound_id
    elif kind in ("district", "street", "community"):
        area = session.get(AdminArea, area_id)
        if area is None or area.kind != kind:
            raise NotFound("{kind} {area} not found", kind=kind, area=area_id)
        column = {"district": Scorecard.district_id, "street": Scorecard.street_id,
                  "community": Scorecard.community_id}[kind]
    else:
        raise ValidationError("scope must be district:{id}, street:{id}, community:{id} or compound:{id}", "scope")
    return list(session.scalars(scoped_cards(session, user, month).where(column == area_id)
                                .order_by(Scorecard.total.desc(), Scorecard.compound_id)))


def get_card(session: Session, user: User, card_id: int) -> Scorecard:
    card = session.get(Scorecard, card_id)
    if card is None:
        raise NotFound("scorecard {card} not found", card=card_id)
    scope.get_compound(session, user, card.compound_id, scope.STAFF_ROLES)  # 404 if not visible
    return card


def card_history(session: Session, card: Scorecard) -> list[Scorecard]:
    return list(session.scalars(select(Scorecard).where(
        Scorecard.compound_id == card.compound_id, Scorecard.month == card.month).order_by(Scorecard.revision)))


def compound_trend(session: Session, compound_id: int, month: str, months: int = 12) -> list[tuple[str, int | None]]:
    wanted = clock.recent_periods(month, months)
    totals = dict(session.execute(select(Scorecard.month, Scorecard.total).where(
        Scorecard.compound_id == compound_id, Scorecard.is_current, Scorecard.month.in_(wanted))).all())
    return [(m, totals.get(m)) for m in wanted]


def previous_month(today: dt.date | None = None) -> str:
    return clock.previous_period(today)


def firm_scores(cards: list[Scorecard]) -> dict[int, tuple[int | None, int, int]]:
    """Each firm's area-weighted score over the given compound cards: {firm_id: (total, area, compounds)}."""
    by_firm: dict[int, list[tuple[int | None, int]]] = {}
    for card in cards:
        if card.firm_id is not None:
            by_firm.setdefault(card.firm_id, []).append((card.total, card.area_cm2))
    return {firm: (arithmetic.area_weighted(rows), sum(a for t, a in rows if t is not None), len(rows))
            for firm, rows in by_firm.items()}
