"""Demo lockers: an operator's site in each of the first compounds, last month settled,
and a few parcels waiting too long (one for the demo owner)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.lockers import service
from pm_platform.lockers.models import LockerContract, Parcel
from pm_platform.places.models import Compound, Owner, Ownership

SITE_COMPOUNDS = 3
PARCELS = {"full": (300, 600), "small": (20, 40)}  # last month's deposits per site


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    if session.scalar(select(LockerContract.id).limit(1)):
        return "already present"
    admin = get_user_by_name(session, "admin")
    owner = get_user_by_name(session, "owner")
    owner_unit = session.scalar(select(Ownership.unit_id).join(Owner).where(Owner.user_id == owner.id).limit(1))
    month_start = clock.local_today().replace(day=1)
    last_month_start = (month_start - dt.timedelta(days=1)).replace(day=1)
    now = clock.now_utc()
    compounds = session.scalars(select(Compound).order_by(Compound.id).limit(SITE_COMPOUNDS)).all()
    for number, compound in enumerate(compounds):
        contract = service.create_contract(session, admin, compound.id, ["丰巢", "速递易", "中邮"][number],
                                           monthly_rent_fen=60000, commission_fen=10, free_hours=48,
                                           starts_on=last_month_start - dt.timedelta(days=90))
        site = service.create_site(session, admin, contract.id, "北门快递柜")
        first = clock.local_midnight_utc(last_month_start)
        for n in range(rng.randint(*PARCELS[size])):   # last month's deposits, all collected
            deposited = first + dt.timedelta(minutes=rng.randint(0, 27 * 24 * 60))
            session.add(Parcel(site_id=site.id, parcel_code=f"SF{number}{n:06d}", deposited_at=deposited,
                               picked_up_at=deposited + dt.timedelta(hours=rng.randint(1, 40))))
        for n in range(4):                      # waiting too long now
            session.add(Parcel(site_id=site.id, parcel_code=f"YT{number}{n:05d}",
                               unit_id=owner_unit if compound.id == compounds[0].id and n == 0 else None,
                               deposited_at=now - dt.timedelta(hours=60 + 10 * n)))
        session.flush()
        service.settle_month(session, contract.id, clock.period_of(last_month_start))
    return f"{len(compounds)} locker sites, last month settled"
