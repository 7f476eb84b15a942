"""Follow-up sampling, "closed but not fixed", and the monthly figures scoring reads."""
import datetime as dt

import pytest

from pm_platform.core import clock
from pm_platform.core.errors import Conflict
from pm_platform.workorders import figures as figures_module
from pm_platform.workorders import followups, service
from pm_platform.workorders.models import FollowUpVisit
from tests.workorders.helpers import jpeg, walk_to_resolved

# A Wednesday in Shanghai; "last week" is Monday 2026-11-09 to Sunday 2026-11-15.
NOW = dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def people(session, world):
    return {"manager": world.user(session, "firm_manager"), "repairer": world.user(session, "firm_staff"),
            "community": world.user(session, "community")}


def closed(session, world, people, category="noise", index=0, stars=5):
    compound = world.compounds[index]
    order = service.create_work_order(session, people["community"], compound_id=compound.id, source="staff",
                                      category=category, description="问题",
                                      unit_id=world.units[compound.id][1].id if index == 0 else None)
    walk_to_resolved(session, order, people["manager"], people["repairer"])
    service.rate_work_order(session, people["community"], order.id, stars)
    return order


def test_weekly_sample_is_ten_percent_once(session, world, people):
    orders = [closed(session, world, people, category=c) for c in
              ("noise", "road", "greenery", "lighting", "parking", "sanitation", "security", "drain", "other",
               "ev_charging", "facility", "fire_safety")]
    for n, order in enumerate(orders):
        order.closed_at = dt.datetime(2026, 11, 9, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=10 * n)
    orders[0].closed_at = dt.datetime(2026, 11, 8, 15, 59, tzinfo=dt.timezone.utc)  # Sunday 23:59 the week before
    session.flush()
    assert followups.sample_follow_ups(session, NOW) == 2  # ceil(11 × 10 %)
    assert followups.sample_follow_ups(session, NOW) == 0  # drawn once per compound and week
    sampled = session.query(FollowUpVisit).all()
    assert {v.week for v in sampled} == {"2026-W46"} and orders[0].id not in {v.work_order_id for v in sampled}


def test_closed_but_not_fixed_reopens_and_is_counted(session, world, people):
    order = closed(session, world, people)
    order.closed_at = dt.datetime(2026, 11, 10, 2, tzinfo=dt.timezone.utc)
    session.flush()
    followups.sample_follow_ups(session, NOW)
    visit = session.query(FollowUpVisit).one()
    assert followups.pending_follow_ups(session, people["community"]) == [visit]
    followups.record_follow_up(session, people["community"], visit.id, False, "还是有噪音")
    assert order.status == "reopened" and order.reopen_count == 1
    with pytest.raises(Conflict):
        followups.record_follow_up(session, people["community"], visit.id, True)
    period = clock.period_of(clock.local_today())
    figures = figures_module.workorder_figures(session, [world.compounds[0].id], period)[world.compounds[0].id]
    assert (figures.closed_not_fixed, figures.follow_ups) == (1, 1)
    assert figures.ratios()["reopen"] == (1, 1)


def test_figures_count_what_a_scorer_would(session, world, people):
    c0, c1 = world.compounds[0].id, world.compounds[1].id
    period = clock.period_of(clock.local_today())
    five = closed(session, world, people, "noise", stars=5)
    done = [five, closed(session, world, people, "road", stars=4), closed(session, world, people, "greenery", stars=2)]
    for order in done:  # deadlines inside this month whatever day the test runs
        order.respond_due_at = order.resolve_due_at = clock.now_utc()
    late = service.create_work_order(session, people["community"], compound_id=c0, source="staff",
                                     category="lighting", description="灯坏了")
    late.created_at -= dt.timedelta(seconds=5)
    late.respond_due_at = late.created_at + dt.timedelta(seconds=1)  # missed: never accepted
    rebound = service.create_work_order(session, people["community"], compound_id=c0, source="staff",
                                        category="noise", description="又吵了", unit_id=five.unit_id)
    assert rebound.rebound_of_id == five.id
    session.flush()

    figures = figures_module.workorder_figures(session, [c0, c1], period)
    f = figures[c0]
    assert f.received == 5 and f.closed == 3 and f.rated == 3
    assert (f.satisfied, f.basically_satisfied) == (1, 1)
    assert f.ratios()["satisfaction"] == (10 + 9, 30)          # (1 + 0.9) ÷ 3
    assert f.rate("satisfaction") == pytest.approx((1 + 0.9) / 3)
    assert f.ratios()["rebound"] == (1, 3)
    assert f.ratios()["response_on_time"] == (3, 4)            # the lighting order missed its 1 s deadline
    assert f.ratios()["resolution_on_time"] == (3, 3)
    assert f.median_resolve_seconds is not None and f.median_resolve_seconds >= 0
    assert figures[c1] == figures_module.WorkOrderFigures()           # zeros for a quiet compound
    assert all(isinstance(v, int) for pair in f.ratios().values() for v in pair)

    other_firm = figures_module.workorder_figures(session, [c0], period, firm_id=world.firm.id + 999)[c0]
    assert other_firm.closed == 0 and other_firm.rebounds == 0

    records = figures_module.workorder_records(session, c0, period)
    assert {five.id, late.id, rebound.id} <= {r["id"] for r in records} and len(records) == 5
    assert all({"id", "label", "status", "at"} <= set(r) for r in records)
    by_id = {r["id"]: r for r in records}
    assert by_id[rebound.id]["rebound_of"] == five.id and by_id[five.id]["has_rebounded"]
    assert by_id[late.id]["responded_on_time"] is False


def test_median_time_to_resolve(session, world, people):
    period = clock.period_of(clock.local_today())
    durations = [3600, 7200, 36000]
    for hours, category in zip(durations, ("noise", "road", "greenery")):
        order = closed(session, world, people, category)
        order.resolved_at = clock.as_utc(order.created_at) + dt.timedelta(seconds=hours)
    session.flush()
    f = figures_module.workorder_figures(session, [world.compounds[0].id], period)[world.compounds[0].id]
    assert f.median_resolve_seconds == 7200


def test_resolution_on_time_counts_deadlines_falling_in_the_month(session, world, people):
    order = service.create_work_order(session, people["community"], compound_id=world.compounds[0].id,
                                      source="staff", category="noise", description="x", photos=[jpeg()])
    walk_to_resolved(session, order, people["manager"], people["repairer"])
    order.resolve_due_at = clock.now_utc() - dt.timedelta(seconds=1)
    order.first_resolved_at = clock.now_utc() - dt.timedelta(seconds=2)
    session.flush()
    period = clock.period_of(clock.to_local(order.resolve_due_at).date())
    f = figures_module.workorder_figures(session, [world.compounds[0].id], period)[world.compounds[0].id]
    assert f.ratios()["resolution_on_time"] == (1, 1)
