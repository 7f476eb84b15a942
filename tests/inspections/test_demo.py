"""The inspections part of `flask demo`, built in the afternoon: the day's round, whose window is
already over, is on the inspector's today page and on the board, as on the days around it.

The places demo runs on a small district (its size constants patched) to keep the test fast."""
import datetime as dt
import random
import re

import pytest
from sqlalchemy import select

from pm_platform.core.auth import get_user_by_name
from pm_platform.inspections import demo
from pm_platform.inspections.models import Plan, Round
from pm_platform.places import demo as places_demo
from tests.inspections.helpers import shanghai

SMALL_DISTRICT = {"COMPOUNDS": 6, "BUILDINGS": 12, "HOUSEHOLDS": 120, "TOTAL_AREA_M2": 11_000}
TODAY = dt.date(2026, 11, 25)  # a Wednesday: the night route (Monday, Wednesday, Friday) is due too


@pytest.fixture
def built(session, monkeypatch, pin_clock):
    for name, value in SMALL_DISTRICT.items():
        monkeypatch.setattr(places_demo, name, value)
    pin_clock(shanghai(2026, 11, 25, 15))  # after the 08:00–11:00 day window has closed
    rng = random.Random(2022)
    places_demo.build_demo(session, rng)
    summary = demo.build_demo(session, rng)
    session.commit()
    return summary


def test_the_demo_day_has_its_rounds_like_the_days_around_it(session, built):
    days = {}
    for plan in session.scalars(select(Plan).where(Plan.name == "日间巡检")):
        days[plan.id] = set(session.scalars(select(Round.due_date).where(Round.plan_id == plan.id)))
    assert len(days) == demo.COMPOUNDS
    for due in days.values():
        assert {TODAY - dt.timedelta(days=1), TODAY, TODAY + dt.timedelta(days=1)} <= due


def test_the_inspector_sees_todays_rounds_and_the_manager_the_board(session, built, login):
    page = login(get_user_by_name(session, "inspector")).get("/inspections/today")
    assert page.status_code == 200
    assert "今天没有您的巡检任务" not in page.text
    titles = [title.split(" · ", 1) for title in re.findall(r"<h2>(.*?)</h2>", page.text)]
    # three compounds' rounds, each card naming its compound (three identical cards before)
    assert [rest for _compound, rest in titles].count("日间巡检 · 08:00–11:00") == demo.COMPOUNDS
    assert [rest for _compound, rest in titles].count("夜间安防巡查 · 11-25 22:00–11-26 01:00") == demo.COMPOUNDS
    assert len({compound for compound, rest in titles if rest == "日间巡检 · 08:00–11:00"}) == demo.COMPOUNDS
    assert "按时完成" in page.text  # walked this morning

    board = login(get_user_by_name(session, "manager")).get("/inspections/board")
    assert board.status_code == 200 and "2026-11-25" in board.text
    rows = re.findall(r"<td>日间巡检</td>", board.text)
    assert len(rows) == demo.COMPOUNDS
