"""Demo scores: a monthly spot check in every compound, a year of cards, the
months before last published by the street offices, and the district's red/black lists."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.places.models import AdminArea, Compound
from pm_platform.places.demo import DISTRICT
from pm_platform.scoring import ranking, service
from pm_platform.scoring.models import SPOT_ITEMS, PublishedMonth, Scorecard, SpotCheck, SpotCheckItem


MONTHS = {"full": 12, "small": 3}  # months of cards; all but the last published


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    district = session.scalar(select(AdminArea).where(AdminArea.kind == "district", AdminArea.name == DISTRICT))
    if district is None:
        return "no demo district"
    if session.scalar(select(Scorecard.id).where(Scorecard.district_id == district.id).limit(1)):
        return "already there"
    admin = session.scalar(select(User).where(User.username == "admin"))
    compounds = session.scalars(select(Compound).where(Compound.district_id == district.id).order_by(Compound.id)).all()
    last = service.previous_month()
    months = clock.recent_periods(last, MONTHS[size])
    for compound in compounds:
        care = rng.uniform(0.72, 1.0)  # some compounds are kept better than others
        for month in months:
            start = dt.date.fromisoformat(f"{month}-01")
            check = SpotCheck(compound_id=compound.id, month=month, checked_on=start + dt.timedelta(days=rng.randint(3, 25)),
                              checked_by_id=admin.id, note="月度抽查")
            session.add(check)
            session.flush()
            for item in SPOT_ITEMS:
                session.add(SpotCheckItem(spot_check_id=check.id, item=item,
                                          score=max(0, min(10, round(rng.gauss(10 * care, 1.5))))))
    session.flush()
    streets = session.scalars(select(AdminArea.id).where(AdminArea.parent_id == district.id)).all()
    for month in months:
        service.compute_month(session, month, district.id)
        if month != last:  # the last month is left for the street offices to publish
            for street_id in streets:
                session.add(PublishedMonth(street_id=street_id, month=month, published_by_id=admin.id))
            session.flush()
            ranking.publish_lists(session, admin, district.id, month)
    return f"{len(compounds) * len(months)} cards over {len(months)} months, {len(months) - 1} months published"
