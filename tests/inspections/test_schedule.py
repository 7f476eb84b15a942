"""Rounds: which days, which windows (Shanghai time, across midnight and month ends), made
ahead once, and missed when a window closes unscanned."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core.errors import ValidationError
from pm_platform.core.models import AuditEntry
from pm_platform.inspections import schedule, service
from pm_platform.inspections.models import Round, RoundItem
from tests.inspections.helpers import facility, inspect, plan, shanghai


def test_a_night_window_ends_the_next_day_even_across_a_month_end():
    opens, closes = schedule.window(dt.date(2026, 1, 31), dt.time(22), dt.time(2))
    assert opens == shanghai(2026, 1, 31, 22) and opens.hour == 14  # UTC+8
    assert closes == shanghai(2026, 2, 1, 2)
    opens, closes = schedule.window(dt.date(2026, 12, 31), dt.time(23, 30), dt.time(0, 30))
    assert closes == shanghai(2027, 1, 1, 0, 30)
    opens, closes = schedule.window(dt.date(2026, 3, 5), dt.time(8), dt.time(10))
    assert (closes - opens) == dt.timedelta(hours=2) and opens == shanghai(2026, 3, 5, 8)


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months():
    days = [d for d in (dt.date(2026, 1, 1) + dt.timedelta(n) for n in range(366))
            if schedule.occurs_on("monthly", "", 31, d)]
    assert len(days) == 12
    assert dt.date(2026, 2, 28) in days and dt.date(2026, 4, 30) in days and dt.date(2026, 1, 31) in days
    assert schedule.occurs_on("monthly", "", 30, dt.date(2028, 2, 29))  # leap year
    assert not schedule.occurs_on("monthly", "", 30, dt.date(2028, 2, 28))


def test_weekly_on_given_days():
    week = [dt.date(2026, 11, 23) + dt.timedelta(n) for n in range(7)]  # Monday to Sunday
    assert [d.isoweekday() for d in week if schedule.occurs_on("weekly", "1,3", None, d)] == [1, 3]
    with pytest.raises(ValidationError):
        schedule.occurs_on("weekly", "0,8", None, week[0])


def test_rounds_are_made_ahead_once_and_a_night_round_is_missed_when_it_closes(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    items = [facility(session, manager, compound, name=f"灭火器{n}", lat=31.23 + n * 0.0001) for n in range(3)]
    plan(session, manager, compound, items, [staff], start=dt.time(22), end=dt.time(2))

    now = shanghai(2026, 2, 28, 23, 30)  # inside the 28 February night round
    created = service.create_rounds_ahead(session, now=now)
    assert created == 3  # 28 Feb (open now), 1 and 2 March; 27 Feb's window closed already
    assert service.create_rounds_ahead(session, now=now) == 0  # a second run makes nothing new
    night = session.scalars(select(Round).where(Round.due_date == dt.date(2026, 2, 28))).one()
    assert night.closes_at.replace(tzinfo=dt.timezone.utc) == shanghai(2026, 3, 1, 2)
    assert [i.facility_id for i in night.items] == [f.id for f in items]  # the route, in order

    # One facility scanned at 01:30 on 1 March counts on time for the 28 February round.
    record, _ = inspect(session, staff, items[0], opened=shanghai(2026, 3, 1, 1, 30))
    assert record.timeliness == "on_time" and record.round_item_id == night.items[0].id

    assert service.mark_missed(session, now=shanghai(2026, 3, 1, 1, 59)) == 0
    assert service.mark_missed(session, now=shanghai(2026, 3, 1, 2, 0)) == 2
    session.expire_all()
    assert [i.status for i in night.items] == ["on_time", "missed", "missed"]
    assert service.mark_missed(session, now=shanghai(2026, 3, 1, 2, 5)) == 0  # done once
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.round.missed")).one()
    assert entry.entity_id == str(night.id)

    # The figures put the round in February (the day its window opened).
    feb = service.inspection_figures(session, [compound.id], "2026-02")[compound.id]
    assert (feb.due_items, feb.on_time, feb.missed) == (3, 1, 2)
    assert feb.completion_rate == pytest.approx(1 / 3)
    assert service.inspection_figures(session, [compound.id], "2026-03")[compound.id].missed == 0
    rows = service.inspection_records(session, compound.id, "2026-02")
    assert [(r["status"], r["facility"]) for r in rows] == [("on_time", "灭火器0"), ("missed", "灭火器1"), ("missed", "灭火器2")]
    assert rows[0]["record_id"] == record.id and {"id", "label", "status", "at"} <= set(rows[0])
    other = world.compounds[1].id
    assert service.inspection_figures(session, [compound.id, other], "2026-02")[other].due_items == 0


def test_monthly_plan_makes_its_round_on_the_last_day_of_february(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    item = facility(session, manager, compound, kind="roof", name="1栋屋面")
    plan(session, manager, compound, [item], [staff], frequency="monthly", month_day=31,
         start=dt.time(9), end=dt.time(17))
    service.create_rounds_ahead(session, now=shanghai(2026, 2, 27, 12), days=3)
    days = session.scalars(select(Round.due_date)).all()
    assert days == [dt.date(2026, 2, 28)]


def test_a_plan_refuses_facilities_of_another_compound_and_outsiders(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    community = world.user(session, "community", index=1)
    other = facility(session, community, world.compounds[1], name="别处的灭火器")
    mine = facility(session, manager, world.compounds[0], name="灭火器")
    with pytest.raises(ValidationError, match="not in this compound"):
        plan(session, manager, world.compounds[0], [mine, other], [staff])
    owner = world.user(session, "owner")
    with pytest.raises(ValidationError, match="does not work on this compound"):
        plan(session, manager, world.compounds[0], [mine], [owner])
    assert session.scalar(select(RoundItem.id)) is None


def test_saving_a_plan_schedules_that_plan_only(session, world):
    """The plan page schedules the new plan's rounds, not every plan of the platform (the job does)."""
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    first = plan(session, manager, world.compounds[0], [facility(session, manager, world.compounds[0])], [staff])
    second = plan(session, manager, world.compounds[0], [facility(session, manager, world.compounds[0], name="2号")],
                  [staff], name="第二条线路")
    assert service.create_rounds_ahead(session, plan_ids=[second.id]) > 0
    planned = set(session.scalars(select(Round.plan_id)))
    assert planned == {second.id} and first.id not in planned
