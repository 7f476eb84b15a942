"""以奖代补: a district's half-year reward fund shared out by compound size and average score."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import audit
from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.models import User
from pm_platform.places.models import Compound
from pm_platform.scoring import arithmetic
from pm_platform.scoring.models import RewardFund, Scorecard
from pm_platform.scoring.service import compound_areas, get_area

FUND_ROLES = {"admin", "bureau"}
_HALF = re.compile(r"^(\d{4})-H([12])$")


def half_months(half: str) -> list[str]:
    match = _HALF.match(half or "")
    if not match:
        raise ValidationError("a half-year looks like 2026-H1, not {half!r}", "half", half=half)
    year, part = int(match[1]), int(match[2])
    return [f"{year:04d}-{m:02d}" for m in range(1 + 6 * (part - 1), 7 + 6 * (part - 1))]


def set_fund(session: Session, actor: User, district_id: int, half: str, amount_fen: int) -> RewardFund:
    district = get_area(session, actor, district_id, "district", FUND_ROLES)
    half_months(half)
    if not isinstance(amount_fen, int) or amount_fen < 0:
        raise ValidationError("the fund must be an amount of 0 or more", "amount")
    fund = session.scalars(select(RewardFund).where(RewardFund.district_id == district.id, RewardFund.half == half)).first()
    before = fund.amount_fen if fund else None
    if fund is None:
        fund = RewardFund(district_id=district.id, half=half, amount_fen=amount_fen, created_by_id=actor.id)
        session.add(fund)
    else:
        fund.amount_fen, fund.created_by_id = amount_fen, actor.id
    session.flush()
    audit.record(session, actor, "scoring.reward_fund", "reward_fund", fund.id,
                 {"district_id": district.id, "half": half, "amount_fen": amount_fen, "previous_fen": before})
    return fund


def allocation(session: Session, actor: User, district_id: int, half: str) -> tuple[arithmetic.Allocation, dict[int, str]]:
    """The allocation table for a district's half-year from its compounds' current cards;
    returns it with the compounds' names."""
    district = get_area(session, actor, district_id, "district", FUND_ROLES | {"street"})
    months = half_months(half)
    fund = session.scalars(select(RewardFund).where(RewardFund.district_id == district.id, RewardFund.half == half)).first()
    if fund is None:
        raise NotFound("no reward fund is set for {half}", half=half)
    compounds = session.execute(select(Compound.id, Compound.name).where(Compound.district_id == district.id)
                                .order_by(Compound.id)).all()
    ids = [cid for cid, _ in compounds]
    totals: dict[int, list[int | None]] = {cid: [] for cid in ids}
    for cid, total in session.execute(select(Scorecard.compound_id, Scorecard.total).where(
            Scorecard.compound_id.in_(ids), Scorecard.month.in_(months), Scorecard.is_current)):
        totals[cid].append(total)
    areas = compound_areas(session, ids)
    rows = [(cid, areas.get(cid, 0), arithmetic.average(totals[cid])) for cid in ids]
    return arithmetic.allocate_rewards(fund.amount_fen, rows), dict(compounds)
