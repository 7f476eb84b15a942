"""Demo common-fund ledgers: two quarters of income and some spending in the first compounds
of the demo district, last quarter published in most of them (not all: the office sees who is late)."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.places.models import Compound
from pm_platform.revenue import service
from pm_platform.revenue.models import FundEntry

LEDGER_COMPOUNDS = 8
STREAMS = [("parking", "临时停车收入", (300000, 900000), "道闸设备维护与电费", 0.2),
           ("advertising", "电梯广告位租金", (50000, 150000), "", 0.0),
           ("recycling", "废品回收分成", (5000, 20000), "", 0.0),
           ("venue_rental", "活动室场地租赁", (10000, 40000), "保洁费", 0.1)]


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    """The same ledgers at either size (the small district has fewer compounds than LEDGER_COMPOUNDS)."""
    compounds = session.scalars(select(Compound).order_by(Compound.id).limit(LEDGER_COMPOUNDS)).all()
    if not compounds or session.scalar(select(FundEntry.id).where(FundEntry.compound_id == compounds[0].id).limit(1)):
        return "already present"
    admin = get_user_by_name(session, "admin")
    today = clock.local_today()
    last = service.previous_quarter(today)
    quarters = [service.previous_quarter(service.quarter_bounds(last)[0]), last]
    for index, compound in enumerate(compounds):
        for quarter in quarters:
            start, end = service.quarter_bounds(quarter)
            for month in range(3):
                day = min(start.replace(month=start.month + month, day=25), end - dt.timedelta(days=1))
                for source, description, (low, high), why, cost_share in STREAMS:
                    gross = rng.randint(low, high) // 100 * 100
                    service.post_revenue_entry(session, admin, compound_id=compound.id, source=source, gross_fen=gross,
                                               cost_fen=int(gross * cost_share) // 100 * 100, cost_justification=why,
                                               occurred_on=day, description=f"{description} {day:%Y-%m}")
            service.post_expenditure(session, admin, compound_id=compound.id, amount_fen=rng.randint(5, 30) * 10000,
                                     description="单元门禁维修", decision_ref=f"业委会决议 {quarter} 第{index + 1}号",
                                     occurred_on=start + dt.timedelta(days=40), attachment_name="决议.pdf",
                                     attachment_type="application/pdf", attachment_data=b"%PDF-1.4 demo resolution")
            if quarter == quarters[0] or index % 4 != 3:   # every fourth compound has not disclosed last quarter
                disclosure = service.publish_disclosure(session, admin, compound.id, quarter)
                disclosure.published_at = clock.local_midnight_utc(disclosure.due_on - dt.timedelta(days=5))
            else:
                service.prepare_disclosure(session, compound.id, quarter)
    return f"ledgers for {len(compounds)} compounds over {', '.join(quarters)}"
