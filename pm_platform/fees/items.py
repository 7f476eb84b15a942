"""Property fees: fee items, their rates over time, and the compound's late-fee setting.
Functions validate, change, flush and return; the request or task commits.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pm_platform.core import audit, clock
from pm_platform.core.errors import Conflict, NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.core.money import MAX_RATE_FEN
from pm_platform.fees.common import MANAGE_ROLES, READ_ROLES, _choice
from pm_platform.fees.models import APPLIES_TO, CYCLE_MONTHS, CYCLES, FEE_KINDS, Bill, FeeItem, FeeRate, FeeSettings
from pm_platform.places import scope


def _rate_fen(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_RATE_FEN:
        raise ValidationError("rate must be a whole number of fen from 0 up to 10,000 yuan", "rate_fen")
    return value


# --- fee items and rates ----------------------------------------------------------------------

def create_fee_item(session: Session, actor: User, compound_id: int, *, name: str, kind: str, rate_fen: int,
                    applies_to: str = "all", cycle: str = "monthly", due_day: int = 15,
                    from_period: str) -> FeeItem:
    scope.get_compound(session, actor, compound_id, roles=MANAGE_ROLES)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("name must be 1–100 characters", "name")
    _choice(kind, FEE_KINDS, "kind")
    _choice(applies_to, APPLIES_TO, "applies_to")
    _choice(cycle, CYCLES, "cycle")
    if not isinstance(due_day, int) or not 1 <= due_day <= 28:
        raise ValidationError("due_day must be a day from 1 to 28", "due_day")
    clock.parse_period(from_period, "from_period")
    _rate_fen(rate_fen)
    if session.scalar(select(FeeItem.id).where(FeeItem.compound_id == compound_id, FeeItem.name == name)):
        raise Conflict("fee item {name!r} already exists in this compound", "name", name=name)
    item = FeeItem(compound_id=compound_id, name=name, kind=kind, applies_to=applies_to, cycle=cycle,
                   due_day=due_day, is_active=True)
    session.add(item)
    session.flush()
    session.add(FeeRate(fee_item_id=item.id, from_period=from_period, rate_fen=rate_fen))
    session.flush()
    audit.record(session, actor, "fee_item.create", "fee_item", item.id,
                 {"compound_id": compound_id, "name": name, "kind": kind, "applies_to": applies_to, "cycle": cycle,
                  "due_day": due_day, "rate_fen": rate_fen, "from_period": from_period})
    return item


def list_fee_items(session: Session, user: User, compound_id: int) -> list[FeeItem]:
    scope.get_compound(session, user, compound_id, roles=READ_ROLES)
    return list(session.scalars(select(FeeItem).where(FeeItem.compound_id == compound_id).order_by(FeeItem.id)))


def get_fee_item(session: Session, user: User, fee_item_id: int, roles=READ_ROLES) -> FeeItem:
    item = session.get(FeeItem, fee_item_id)
    if item is None:
        raise NotFound("fee item {fee_item} not found", fee_item=fee_item_id)
    scope.get_compound(session, user, item.compound_id, roles=roles)
    return item


def set_fee_rate(session: Session, actor: User, fee_item_id: int, rate_fen: int, from_period: str) -> FeeRate:
    """A new rate from `from_period` on. Bills keep the amounts they were issued with, so a rate
    may only start after the last period already billed for the item."""
    item = get_fee_item(session, actor, fee_item_id, roles=MANAGE_ROLES)
    clock.parse_period(from_period, "from_period")
    _rate_fen(rate_fen)
    last_billed = session.scalar(select(func.max(Bill.period)).where(Bill.fee_item_id == item.id))
    if last_billed and from_period <= last_billed:
        raise Conflict("{period} is already billed; a new rate can start from a later period", "from_period",
                       period=last_billed)
    rate = session.scalar(select(FeeRate).where(FeeRate.fee_item_id == item.id, FeeRate.from_period == from_period))
    old = rate.rate_fen if rate else None
    if rate is None:
        rate = FeeRate(from_period=from_period, rate_fen=rate_fen)
        item.rates.append(rate)  # through the collection, so rate_for sees it in this transaction
    rate.rate_fen = rate_fen
    session.flush()
    audit.record(session, actor, "fee_rate.set", "fee_item", item.id,
                 {"from_period": from_period, "rate_fen": rate_fen, "previous_rate_fen": old})
    return rate


def rate_for(item: FeeItem, period: str) -> int | None:
    """The item's rate in force in `period`, or None before its first rate."""
    in_force = [rate for rate in item.rates if rate.from_period <= period]
    return max(in_force, key=lambda rate: rate.from_period).rate_fen if in_force else None


def bills_in_period(cycle: str, period: str) -> bool:
    """Monthly items bill every month, quarterly ones in Jan/Apr/Jul/Oct, yearly ones in January."""
    month = int(period[5:7])
    return (month - 1) % CYCLE_MONTHS[cycle] == 0


def set_late_fee(session: Session, actor: User, compound_id: int, per_10k_day: int) -> FeeSettings:
    scope.get_compound(session, actor, compound_id, roles=MANAGE_ROLES)
    if not isinstance(per_10k_day, int) or isinstance(per_10k_day, bool) or not 0 <= per_10k_day <= 100:
        raise ValidationError("late fee must be 0 (off) to 100 parts per ten thousand per day", "late_fee_per_10k_day")
    settings = fee_settings(session, compound_id)
    old = settings.late_fee_per_10k_day
    settings.late_fee_per_10k_day = per_10k_day
    session.flush()
    audit.record(session, actor, "fee_settings.late_fee", "compound", compound_id,
                 {"late_fee_per_10k_day": per_10k_day, "previous": old})
    return settings


def fee_settings(session: Session, compound_id: int) -> FeeSettings:
    settings = session.get(FeeSettings, compound_id)
    if settings is None:
        settings = FeeSettings(compound_id=compound_id, late_fee_per_10k_day=0)
        session.add(settings)
        session.flush()
    return settings
