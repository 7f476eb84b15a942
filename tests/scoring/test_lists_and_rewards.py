"""Red/black lists, the firms' warning ladder, and the 以奖代补 allocation."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.core.errors import Conflict, NotFound
from pm_platform.scoring import ranking, rewards, service
from pm_platform.scoring.models import FirmWarning
from tests import factories

GOOD = dict(billed_fen=100, paid_fen=100, due_items=10, on_time=10)  # 100 points
POOR = dict(billed_fen=100, paid_fen=50, due_items=10, on_time=7)  # 0 points: both at or below the floor


def close_month(session, world, month, street, bureau, publish_district=True):
    service.compute_month(session, month, world.district.id)
    for index, st in enumerate(world.streets):
        service.publish_month(session, street[index], st.id, month)
    if publish_district:
        return ranking.publish_lists(session, bureau, world.district.id, month)


@pytest.fixture
def offices(session, world):
    return [world.user(session, "street", 0), world.user(session, "street", 1)], world.user(session, "bureau")


def test_lists_name_the_best_and_the_worst(session, world, figures, offices):
    first, second = world.compounds
    figures.set(first.id, **POOR)
    figures.set(second.id, **GOOD)
    streets, bureau = offices
    notice = close_month(session, world, "2026-07", streets, bureau)
    entries = {(e.board, e.subject, e.subject_id, e.total) for e in notice.entries}
    assert entries == {("red", "compound", second.id, 10000), ("black", "compound", first.id, 0),
                       ("black", "firm", world.firm.id, 0)}
    with pytest.raises(Conflict):
        ranking.publish_lists(session, bureau, world.district.id, "2026-07")


def test_district_lists_wait_for_every_street_office(session, world, figures, offices):
    streets, bureau = offices
    service.compute_month(session, "2026-07")
    service.publish_month(session, streets[0], world.streets[0].id, "2026-07")
    with pytest.raises(Conflict):
        ranking.publish_lists(session, bureau, world.district.id, "2026-07")
    with pytest.raises(NotFound):  # a street office does not publish the district's list
        ranking.publish_lists(session, streets[0], world.district.id, "2026-07")
    street_notice = ranking.publish_lists(session, streets[0], world.streets[0].id, "2026-07")
    assert street_notice.area_id == world.streets[0].id


def test_a_firm_black_listed_month_after_month_climbs_the_warning_ladder(session, world, figures, offices):
    first, second = world.compounds
    figures.set(second.id, **GOOD)
    streets, bureau = offices
    months = ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    steps = []
    for month in months:
        figures.set(first.id, **(GOOD if month == "2026-08" else POOR))  # one good month breaks the run
        close_month(session, world, month, streets, bureau)
        warning = session.scalars(select(FirmWarning).where(FirmWarning.month == month)).first()
        steps.append((warning.step, warning.consecutive) if warning else None)
    assert steps == [None, ("notice", 2), ("interview", 3), ("rectification", 4), ("report", 5), None, None]
    rectification = session.scalars(select(FirmWarning).where(FirmWarning.step == "rectification")).one()
    assert rectification.due_on == clock.local_today() + dt.timedelta(days=30)

    assert len(ranking.warnings_for(session, bureau, world.district.id)) == 4
    manager = world.user(session, "firm_manager")
    assert [w.step for w in ranking.warnings_for(session, manager, firm_id=world.firm.id)] == \
        ["report", "rectification", "interview", "notice"]
    other_firm = factories.user(session, "firm_manager", "firm", 999_999)
    assert ranking.warnings_for(session, other_firm, firm_id=world.firm.id) == []


def test_reward_allocation_from_half_year_averages_scaled_to_a_short_fund(session, world, figures, offices):
    first, second = world.compounds
    bureau = offices[1]
    figures.set(first.id, **GOOD)
    figures.set(second.id, **GOOD)
    service.compute_month(session, "2026-01")
    figures.set(second.id, billed_fen=100, paid_fen=60, due_items=10, on_time=10)  # (0 + 20) / 40 → 50
    service.compute_month(session, "2026-02")
    # months without a card (March to June) do not count: first averages 100 → 100 %,
    # second (100 + 50) / 2 = 75 → 80 %; both under 50,000 m²: 30,000/yr → 15,000 for the half
    with pytest.raises(NotFound):
        rewards.allocation(session, bureau, world.district.id, "2026-H1")
    rewards.set_fund(session, bureau, world.district.id, "2026-H1", 20_000_00)
    allocation, names = rewards.allocation(session, bureau, world.district.id, "2026-H1")
    lines = {line.compound_id: line for line in allocation.lines}
    assert (lines[first.id].average, lines[first.id].percent, lines[first.id].due_fen) == (10000, 100, 15_000_00)
    assert (lines[second.id].average, lines[second.id].percent, lines[second.id].due_fen) == (7500, 80, 12_000_00)
    # 27,000 due from a 20,000 fund: × 20/27 = 11,111.1111 and 8,888.8888 yuan; the fen left
    # over by rounding down goes to the larger remainder
    assert allocation.scaled
    assert (lines[first.id].paid_fen, lines[second.id].paid_fen) == (11_111_11, 8_888_89)
    assert allocation.paid_fen == 20_000_00 and names[first.id] == first.name

    rewards.set_fund(session, bureau, world.district.id, "2026-H1", 30_000_00)
    allocation, _ = rewards.allocation(session, bureau, world.district.id, "2026-H1")
    assert not allocation.scaled and allocation.paid_fen == 27_000_00
    with pytest.raises(NotFound):
        rewards.set_fund(session, offices[0][0], world.district.id, "2026-H1", 1)


def test_the_publish_redblack_command_publishes_as_the_page_does_and_refuses_bad_input(app, session, world, figures,
                                                                                       offices):
    first, second = world.compounds
    figures.set(first.id, **POOR)
    figures.set(second.id, **GOOD)
    streets, bureau = offices
    close_month(session, world, "2026-07", streets, bureau, publish_district=False)
    session.commit()

    def publish(month, scope_text, as_user=bureau):
        return app.test_cli_runner().invoke(args=["scoring", "publish-redblack", "--month", month,
                                                  "--scope", scope_text, "--as", as_user.username])

    district = f"district:{world.district.id}"
    result = publish("2026-07", district)
    assert result.exit_code == 0, result.output
    assert f"({district}) for 2026-07" in result.output
    assert f"red\t1\tcompound\t{second.name}\t100.00" in result.output
    assert f"black\t1\tfirm\t{world.firm.name}\t0.00" in result.output
    notice = ranking.get_notice(session, world.district.id, "2026-07")
    assert notice.published_by_id == bureau.id and len(notice.entries) == 3

    for args, message in [
        (("2026-07", district), "already published"),
        (("2026-08", district), "have not published 2026-08"),   # the street offices' cards come first
        (("2026-13", district), "2026-11"),
        (("2026-07", f"compound:{first.id}"), "street, district"),
        (("2026-07", f"street:{world.district.id}"), "not a street"),
        (("2026-07", "district:999999"), "not found"),
        (("2026-07", f"street:{world.streets[1].id}", streets[0]), "not found"),   # another street office's
        (("2026-07", f"street:{world.streets[0].id}"), "does not publish"),        # the bureau's role does not
    ]:
        refused = publish(*args)
        assert refused.exit_code == 1 and message in refused.output, (args, refused.output)
    missing = app.test_cli_runner().invoke(args=["scoring", "publish-redblack", "--month", "2026-07", "--scope", district,
                                                 "--as", "nobody-such"])
    assert missing.exit_code == 1 and "no user named" in missing.output
