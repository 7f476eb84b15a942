"""Quarterly disclosure: figures to the fen, preparation, publishing, review, timeliness."""
import datetime as dt
import json

import pytest

from pm_platform.core import clock
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied
from pm_platform.revenue import service
from pm_platform.revenue.models import Disclosure
from tests.revenue.test_ledger import IN_LAST_QUARTER, LAST_QUARTER, revenue, spend


def test_quarter_arithmetic():
    assert service.quarter_of(dt.date(2026, 11, 23)) == "2026-Q4"
    assert service.quarter_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert service.quarter_bounds("2026-Q1") == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert service.previous_quarter(dt.date(2026, 1, 1)) == "2025-Q4"
    assert service.due_on("2026-Q3") == dt.date(2026, 10, 15)


def test_figures_by_source_with_costs_spending_and_balances(session, world):
    keeper = world.user(session, "firm_manager")
    cid = world.compounds[0].id
    start = service.quarter_bounds(LAST_QUARTER)[0]
    revenue(session, keeper, cid, gross=7000, cost=0, source="other", day=start - dt.timedelta(days=1))  # before
    revenue(session, keeper, cid)                                            # parking 1000.00 - 200.00
    wrong = revenue(session, keeper, cid, gross=50000, cost=0, source="advertising")
    spend(session, keeper, cid)
    service.reverse_entry(session, keeper, wrong.id, "重复录入")            # reversed today: not in last quarter
    figures = service.quarter_figures(session, cid, LAST_QUARTER)
    assert figures["opening_fen"] == 7000
    assert {line["source"]: line["net_fen"] for line in figures["income"]} == {"parking": 80000, "advertising": 50000}
    assert (figures["gross_fen"], figures["cost_fen"], figures["spending_fen"]) == (150000, 20000, 30000)
    assert figures["spending"][0]["decision_ref"] == "业主大会决议 2026-03号"
    assert figures["closing_fen"] == 7000 + 80000 + 50000 - 30000
    assert figures["income"][0]["costs"] == [{"reason": "保洁与设备电费", "cost_fen": 20000}]


def test_each_reason_for_a_cost_is_listed_once_with_the_cost_it_covers(session, world):
    """Monthly entries give the same reason: the disclosure lists it once, with their sum."""
    keeper = world.user(session, "firm_manager")
    cid = world.compounds[0].id
    start = service.quarter_bounds(LAST_QUARTER)[0]
    for month in range(3):
        revenue(session, keeper, cid, day=start + dt.timedelta(days=31 * month + 5))   # 1000.00 - 200.00 each
    service.post_revenue_entry(session, keeper, compound_id=cid, source="parking", gross_fen=50000, cost_fen=5000,
                               cost_justification="道闸维修", occurred_on=IN_LAST_QUARTER, description="临停")
    parking = service.quarter_figures(session, cid, LAST_QUARTER)["income"][0]
    assert parking["costs"] == [{"reason": "保洁与设备电费", "cost_fen": 60000}, {"reason": "道闸维修", "cost_fen": 5000}]
    assert sum(cost["cost_fen"] for cost in parking["costs"]) == parking["cost_fen"] == 65000
    # a reversal takes its cost back under the reason of the entry it reverses (in the quarter it is dated)
    first = service.list_entries(session, keeper, cid)[-1]
    service.reverse_entry(session, keeper, first.id, "重复录入")
    now = service.quarter_figures(session, cid, service.quarter_of(clock.local_today()))["income"][0]
    assert now["costs"] == [{"reason": "保洁与设备电费", "cost_fen": -20000}] and now["cost_fen"] == -20000


def test_the_task_prepares_every_compound_once(session, world):
    revenue(session, world.user(session, "firm_manager"), world.compounds[0].id)
    first_day = service.quarter_bounds(service.quarter_of(clock.local_today()))[0]
    assert service.prepare_quarter_disclosures(session, first_day) >= 2
    service.prepare_quarter_disclosures(session, first_day)   # twice is harmless
    mine = session.query(Disclosure).filter(Disclosure.compound_id.in_([c.id for c in world.compounds])).all()
    assert sorted((d.compound_id, d.quarter) for d in mine) == sorted((c.id, LAST_QUARTER) for c in world.compounds)
    assert json.loads(mine[0].figures)["net_fen"] in (80000, 0)


def test_publish_review_and_visibility(session, world):
    cid = world.compounds[0].id
    keeper, committee, owner = (world.user(session, r) for r in ("firm_manager", "committee", "owner"))
    revenue(session, keeper, cid)
    service.prepare_disclosure(session, cid, LAST_QUARTER)
    with pytest.raises(NotFound):                 # owners do not see drafts
        service.get_disclosure(session, owner, cid, LAST_QUARTER)
    with pytest.raises(Conflict):
        service.mark_reviewed(session, committee, cid, LAST_QUARTER)
    with pytest.raises(PermissionDenied):
        service.publish_disclosure(session, owner, cid, LAST_QUARTER)
    published = service.publish_disclosure(session, keeper, cid, LAST_QUARTER)
    assert service.get_disclosure(session, owner, cid, LAST_QUARTER).id == published.id
    with pytest.raises(PermissionDenied):         # only the committee reviews
        service.mark_reviewed(session, keeper, cid, LAST_QUARTER)
    assert service.mark_reviewed(session, committee, cid, LAST_QUARTER).reviewed_at is not None
    # a published quarter is fixed: nothing more may be dated in it
    with pytest.raises(Conflict):
        revenue(session, keeper, cid)
    with pytest.raises(NotFound):
        service.get_disclosure(session, world.user(session, "owner", index=1), cid, LAST_QUARTER)


def test_on_time_for_scoring(session, world):
    c0, c1 = world.compounds
    keeper = world.user(session, "firm_manager")
    revenue(session, keeper, c0.id)
    quarter = LAST_QUARTER
    due = service.due_on(quarter)
    period = clock.period_of(due)
    assert service.disclosure_on_time(session, [c0.id, c1.id], period) == {c0.id: False, c1.id: None}
    disclosure = service.publish_disclosure(session, keeper, c0.id, quarter)
    disclosure.published_at = clock.local_midnight_utc(due)        # published on the due day
    service.prepare_disclosure(session, c1.id, quarter)             # drafted, never published
    assert service.disclosure_on_time(session, [c0.id, c1.id], period) == {c0.id: True, c1.id: False}
    disclosure.published_at = clock.local_midnight_utc(due + dt.timedelta(days=1))
    assert service.disclosure_on_time(session, [c0.id], period) == {c0.id: False}
    # the month the quarter itself ends in asks about the quarter before, which was not due
    assert service.disclosure_on_time(session, [c0.id], clock.period_of(IN_LAST_QUARTER)) == {c0.id: None}


def test_office_sees_who_has_not_disclosed(session, world):
    keeper = world.user(session, "firm_manager")
    office = world.user(session, "street")
    c0 = world.compounds[0]
    revenue(session, keeper, c0.id)
    today = service.due_on(LAST_QUARTER) + dt.timedelta(days=3)
    quarter, rows = service.disclosure_status(session, office, today)
    assert quarter == LAST_QUARTER
    assert [(r["compound"].id, r["on_time"]) for r in rows] == [(c0.id, False)]   # the other street is not theirs
    with pytest.raises(PermissionDenied):
        service.disclosure_status(session, keeper, today)
