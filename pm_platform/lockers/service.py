"""Express lockers: contracts and sites, cabinet events, overdue parcels, monthly settlement."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.money import MAX_FEN
from pm_platform.core.models import User
from pm_platform.lockers.models import EVENT_KINDS, LockerContract, LockerSettlement, LockerSite, Parcel, ParcelEvent
from pm_platform.places import scope
from pm_platform.places.models import Compound, Owner, Ownership, Unit
from pm_platform.places.service import DeviceCaller
from pm_platform.revenue import service as revenue

MANAGER_ROLES = frozenset({"admin", "firm_manager"})
VIEWER_ROLES = scope.STAFF_ROLES
CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_FREE_HOURS = 24 * 365


def _fen(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise ValidationError("the amount must be a whole number of fen, from 0 up to ten billion yuan", field)
    return value


def create_contract(session: Session, actor: User, compound_id: int, operator: str, *, monthly_rent_fen: int,
                    commission_fen: int, free_hours: int, starts_on: dt.date, ends_on: dt.date | None = None) -> LockerContract:
    scope.get_compound(session, actor, compound_id, roles=MANAGER_ROLES)
    operator = (operator or "").strip()
    if not operator or len(operator) > 100:
        raise ValidationError("the operator's name must be 1–100 characters", "operator")
    if not isinstance(free_hours, int) or isinstance(free_hours, bool) or not 0 < free_hours <= MAX_FREE_HOURS:
        raise ValidationError("free hours must be a whole number from 1 to 8760 (a year)", "free_hours")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError("the contract must not end before it starts", "ends_on")
    contract = LockerContract(compound_id=compound_id, operator=operator,
                              monthly_rent_fen=_fen(monthly_rent_fen, "monthly_rent_fen"),
                              commission_fen=_fen(commission_fen, "commission_fen"), free_hours=free_hours,
                              starts_on=starts_on, ends_on=ends_on)
    session.add(contract)
    session.flush()
    audit.record(session, actor, "lockers.contract_created", "locker_contract", contract.id,
                 {"operator": operator, "rent_fen": monthly_rent_fen, "commission_fen": commission_fen,
                  "free_hours": free_hours, "starts_on": starts_on, "ends_on": ends_on})
    return contract


def create_site(session: Session, actor: User, contract_id: int, name: str) -> LockerSite:
    contract = get_contract(session, actor, contract_id, roles=MANAGER_ROLES)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("the site name must be 1–100 characters", "name")
    if session.scalar(select(LockerSite.id).where(LockerSite.compound_id == contract.compound_id,
                                                  LockerSite.name == name)):
        raise Conflict("the compound already has a locker site of this name", "name")
    site = LockerSite(compound_id=contract.compound_id, contract_id=contract.id, name=name)
    session.add(site)
    session.flush()
    audit.record(session, actor, "lockers.site_created", "locker_site", site.id,
                 {"contract_id": contract.id, "compound_id": contract.compound_id, "name": name})
    return site


def get_site(session: Session, actor: User, site_id: int) -> LockerSite:
    site = session.get(LockerSite, site_id)
    if site is None:
        raise NotFound("locker site {site} not found", site=site_id)
    scope.get_compound(session, actor, site.compound_id, roles=VIEWER_ROLES)
    return site


def list_sites(session: Session, actor: User, compound_id: int | None = None) -> list[LockerSite]:
    """The sites the actor may see, or one compound's (404/403 when that compound is not theirs)."""
    query = select(LockerSite).where(LockerSite.compound_id.in_(scope.compound_ids(session, actor, VIEWER_ROLES)))
    if compound_id is not None:
        scope.get_compound(session, actor, compound_id, roles=VIEWER_ROLES)
        query = query.where(LockerSite.compound_id == compound_id)
    return list(session.scalars(query.order_by(LockerSite.id)))


def get_contract(session: Session, actor: User, contract_id: int, roles=VIEWER_ROLES) -> LockerContract:
    contract = session.get(LockerContract, contract_id)
    if contract is None:
        raise NotFound("contract {contract} not found", contract=contract_id)
    scope.get_compound(session, actor, contract.compound_id, roles=roles)
    return contract


def list_contracts(session: Session, actor: User, compound_id: int) -> list[LockerContract]:
    scope.get_compound(session, actor, compound_id, roles=VIEWER_ROLES)
    return list(session.scalars(select(LockerContract).where(LockerContract.compound_id == compound_id)
                                .order_by(LockerContract.starts_on.desc(), LockerContract.id.desc())))


def list_compounds(session: Session, actor: User) -> list[Compound]:
    """The compounds whose locker contracts the actor may see."""
    return list(session.scalars(select(Compound).where(
        Compound.id.in_(scope.compound_ids(session, actor, VIEWER_ROLES))).order_by(Compound.id)))


# --- cabinet events ----------------------------------------------------------------

@dataclass
class LockerAnswer:
    event: ParcelEvent
    parcel: Parcel
    duplicate: bool


def record_locker_event(session: Session, device: DeviceCaller, *, event_id: str, site_id: int, parcel_id: str, kind: str,
                        at: dt.datetime, unit_id: int | None = None, now: dt.datetime | None = None) -> LockerAnswer:
    """Take one cabinet event; the same (device, event_id) again returns the first answer."""
    previous = session.scalar(select(ParcelEvent).where(ParcelEvent.device_id == device.id, ParcelEvent.event_id == event_id))
    if previous is not None:
        return LockerAnswer(previous, session.get(Parcel, previous.parcel_id), True)
    site = session.get(LockerSite, site_id)
    if site is None:
        raise NotFound("locker site {site} not found", "site_id", site=site_id)
    if device.kind != "locker" or site.compound_id != device.compound_id:
        raise PermissionDenied("this device may not post events for this site", "site_id")
    if kind not in EVENT_KINDS:
        raise ValidationError("kind must be one of {choices}", "kind", choices=", ".join(EVENT_KINDS))
    at = clock.as_utc(at)
    if at > (now or clock.now_utc()) + CLOCK_SKEW:
        raise ValidationError("at {at} is in the future", "at", code="future_time", at=at.isoformat())
    parcel_code = str(parcel_id or "").strip()
    if not parcel_code or len(parcel_code) > 100:
        raise ValidationError("parcel_id must be 1–100 characters", "parcel_id")
    if unit_id is not None and session.scalar(select(Unit.compound_id).where(Unit.id == unit_id)) != site.compound_id:
        raise ValidationError("the unit is not in this site's compound", "unit_id")
    try:
        with session.begin_nested():
            parcel = session.scalar(select(Parcel).where(Parcel.site_id == site.id, Parcel.parcel_code == parcel_code))
            if parcel is None:
                parcel = Parcel(site_id=site.id, parcel_code=parcel_code)
                session.add(parcel)
            _apply(parcel, kind, at, unit_id)
            session.flush()
            event = ParcelEvent(device_id=device.id, event_id=event_id, site_id=site.id, parcel_id=parcel.id,
                                kind=kind, at=at)
            session.add(event)
            session.flush()
    except IntegrityError:   # the same event (or parcel) arrived twice at once: the first stands
        first = session.scalar(select(ParcelEvent).where(ParcelEvent.device_id == device.id,
                                                         ParcelEvent.event_id == event_id))
        if first is None:
            raise
        return LockerAnswer(first, session.get(Parcel, first.parcel_id), True)
    return LockerAnswer(event, parcel, False)


def _apply(parcel: Parcel, kind: str, at: dt.datetime, unit_id: int | None) -> None:
    if kind == "deposit":
        if parcel.picked_up_at is not None and at > clock.as_utc(parcel.picked_up_at):
            raise Conflict("a deposit after the parcel's pickup is out of order", "at", code="out_of_order")
        parcel.deposited_at = min(at, clock.as_utc(parcel.deposited_at)) if parcel.deposited_at else at
        if unit_id is not None:
            parcel.unit_id = unit_id
    else:
        if parcel.deposited_at is not None and at < clock.as_utc(parcel.deposited_at):
            raise Conflict("a pickup before the parcel's deposit is out of order", "at", code="out_of_order")
        parcel.picked_up_at = at


# --- overdue parcels ------------------------------------------------------------------

def overdue_parcels(session: Session, site: LockerSite, now: dt.datetime | None = None) -> list[Parcel]:
    now = now or clock.now_utc()
    free = dt.timedelta(hours=site.contract.free_hours)
    return list(session.scalars(select(Parcel).where(
        Parcel.site_id == site.id, Parcel.picked_up_at.is_(None), Parcel.deposited_at.is_not(None),
        Parcel.deposited_at < now - free).order_by(Parcel.deposited_at)))


def resident_notices(session: Session, user: User, now: dt.datetime | None = None) -> list[Parcel]:
    """Overdue parcels addressed to units the signed-in owner owns."""
    now = now or clock.now_utc()
    units = select(Ownership.unit_id).join(Owner, Owner.id == Ownership.owner_id).where(Owner.user_id == user.id)
    waiting = session.scalars(select(Parcel).where(
        Parcel.unit_id.in_(units), Parcel.picked_up_at.is_(None), Parcel.deposited_at.is_not(None),
    ).order_by(Parcel.deposited_at)).all()
    return [p for p in waiting
            if clock.as_utc(p.deposited_at) < now - dt.timedelta(hours=p.site.contract.free_hours)]


def waiting_parcels(session: Session, user: User, now: dt.datetime | None = None) -> list[dict]:
    """Parcels in a cabinet for units the signed-in owner owns, not yet picked up, oldest first;
    each says where it is and whether its free hours have run out."""
    now = now or clock.now_utc()
    units = select(Ownership.unit_id).join(Owner, Owner.id == Ownership.owner_id).where(Owner.user_id == user.id)
    parcels = session.scalars(select(Parcel).join(LockerSite, LockerSite.id == Parcel.site_id).where(
        Parcel.unit_id.in_(units), Parcel.picked_up_at.is_(None), Parcel.deposited_at.is_not(None),
        LockerSite.compound_id.in_(scope.compound_ids(session, user, {"owner"}))).order_by(Parcel.deposited_at)).all()
    return [{"code": p.parcel_code, "site": p.site.name, "deposited_at": p.deposited_at,
             "is_overdue": clock.as_utc(p.deposited_at) < now - dt.timedelta(hours=p.site.contract.free_hours)}
            for p in parcels]


# --- monthly settlement ---------------------------------------------------------------

def _in_force(contract: LockerContract, start: dt.date, end: dt.date) -> bool:
    """Whether the contract runs on any day of [start, end)."""
    return contract.starts_on < end and (contract.ends_on is None or contract.ends_on >= start)


def settle_month(session: Session, contract_id: int, period: str) -> LockerSettlement | None:
    """Rent + commission × parcels deposited in the month, as a statement and a revenue entry.

    Safe to run twice: the settlement is unique per (contract, period) and the revenue entry
    per external reference. None when the contract did not run that month."""
    start, end = clock.period_bounds(clock.parse_period(period))
    if end > clock.local_today():
        raise ValidationError("{period} has not ended yet", "period", period=period)
    contract = session.get(LockerContract, contract_id)
    if contract is None:
        raise NotFound("contract {contract} not found", contract=contract_id)
    existing = session.scalar(select(LockerSettlement).where(LockerSettlement.contract_id == contract.id,
                                                             LockerSettlement.period == period))
    if existing is not None or not _in_force(contract, start, end):
        return existing
    parcels = session.scalar(select(func.count()).select_from(Parcel).join(LockerSite).where(
        LockerSite.contract_id == contract.id, Parcel.deposited_at >= clock.local_midnight_utc(start),
        Parcel.deposited_at < clock.local_midnight_utc(end))) or 0
    rent, commission = contract.monthly_rent_fen, contract.commission_fen * parcels
    entry = revenue.post_revenue_entry(
        session, None, compound_id=contract.compound_id, source="lockers", gross_fen=rent + commission,
        occurred_on=end - dt.timedelta(days=1), external_ref=f"lockers:{contract.id}:{period}",
        description=f"{contract.operator} 快递柜 {period}: 场地费 + 佣金 × {parcels} 件")
    settlement = LockerSettlement(contract_id=contract.id, period=period, parcels=parcels, rent_fen=rent,
                                  commission_fen=commission, total_fen=rent + commission, fund_entry_id=entry.id)
    session.add(settlement)
    session.flush()
    return settlement


def settle_all(session: Session, period: str) -> int:
    """The monthly job: settle every contract that ran in `period`."""
    settled = 0
    for contract_id in session.scalars(select(LockerContract.id).order_by(LockerContract.id)).all():
        settled += settle_month(session, contract_id, period) is not None
    return settled


def list_settlements(session: Session, actor: User, compound_id: int) -> list[LockerSettlement]:
    scope.get_compound(session, actor, compound_id, roles=VIEWER_ROLES)
    return list(session.scalars(select(LockerSettlement).join(LockerContract).where(
        LockerContract.compound_id == compound_id).order_by(LockerSettlement.period.desc(), LockerSettlement.id)))


def get_settlement(session: Session, actor: User, settlement_id: int) -> LockerSettlement:
    settlement = session.get(LockerSettlement, settlement_id)
    if settlement is None:
        raise NotFound("settlement {settlement} not found", settlement=settlement_id)
    scope.get_compound(session, actor, settlement.contract.compound_id, roles=VIEWER_ROLES)
    return settlement
