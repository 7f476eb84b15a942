"""Who pays what: passes, own spaces, internal cars, white list, tariff changes."""
import datetime as dt

import pytest

from pm_platform.core import clock
from pm_platform.core.clock import SHANGHAI
from pm_platform.parking import service

TARIFF = {"template": "standard", "free_minutes": 15, "first_minutes": 60, "first_price_fen": 500,
          "unit_minutes": 30, "unit_price_fen": 200, "cap_fen": 3000}


def at(day, hour, minute=0):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def setup(session, world):
    manager = world.user(session, "firm_manager")
    lot = service.create_lot(session, manager, world.compounds[0].id, "南区", 10, TARIFF)
    return manager, lot, world.units[world.compounds[0].id][0]


def test_temporary_car_pays_the_tariff(session, setup):
    _manager, lot, _unit = setup
    assert service.stay_charge(session, lot, "京A12345", at(2, 10), at(2, 11, 30)) == 700


def test_pass_valid_for_the_whole_stay(session, setup):
    manager, lot, unit = setup
    car = service.register_vehicle(session, manager, lot.compound_id, "京A12345", "monthly", unit.id)
    service.sell_pass(session, manager, car.id, lot.id, dt.date(2026, 11, 1), dt.date(2026, 11, 30), 30000)
    assert service.stay_charge(session, lot, "京A12345", at(2, 10), at(5, 10)) == 0


def test_pass_expiring_during_the_stay_charges_from_midnight_after_its_last_day(session, setup):
    manager, lot, unit = setup
    car = service.register_vehicle(session, manager, lot.compound_id, "京A12345", "monthly", unit.id)
    service.sell_pass(session, manager, car.id, lot.id, dt.date(2026, 11, 1), dt.date(2026, 11, 2), 30000)
    # covered until 00:00 on the 3rd; 00:00-01:30 is a new 90-minute stay: 500 + 200
    assert service.stay_charge(session, lot, "京A12345", at(2, 20), at(3, 1, 30)) == 700


def test_back_to_back_passes_join_up(session, setup):
    manager, lot, unit = setup
    car = service.register_vehicle(session, manager, lot.compound_id, "京A12345", "monthly", unit.id)
    service.sell_pass(session, manager, car.id, lot.id, dt.date(2026, 11, 1), dt.date(2026, 11, 2), 1)
    service.sell_pass(session, manager, car.id, lot.id, dt.date(2026, 11, 3), dt.date(2026, 11, 30), 1)
    assert service.stay_charge(session, lot, "京A12345", at(2, 20), at(4, 1)) == 0


def test_pass_on_another_lot_does_not_count(session, setup):
    manager, lot, unit = setup
    other = service.create_lot(session, manager, lot.compound_id, "北区", 10, TARIFF)
    car = service.register_vehicle(session, manager, lot.compound_id, "京A12345", "monthly", unit.id)
    service.sell_pass(session, manager, car.id, other.id, dt.date(2026, 11, 1), dt.date(2026, 11, 30), 1)
    assert service.stay_charge(session, lot, "京A12345", at(2, 10), at(2, 11)) == 500


def test_own_space_is_free_only_where_the_unit_owns_a_space(session, setup):
    manager, lot, unit = setup
    other = service.create_lot(session, manager, lot.compound_id, "北区", 10, TARIFF)
    service.add_space(session, manager, lot.id, "A-01", "owned", unit.id)
    service.register_vehicle(session, manager, lot.compound_id, "京A12345", "own_space", unit.id)
    assert service.stay_charge(session, lot, "京A12345", at(2, 10), at(4, 10)) == 0
    assert service.stay_charge(session, other, "京A12345", at(2, 10), at(2, 11)) == 500


def test_internal_and_white_listed_cars_are_free(session, setup):
    manager, lot, _unit = setup
    service.register_vehicle(session, manager, lot.compound_id, "京A12345", "internal")
    service.set_plate_list(session, manager, lot.compound_id, "京B12345", "white", "救护车")
    assert service.stay_charge(session, lot, "京A12345", at(2, 10), at(3, 10)) == 0
    assert service.stay_charge(session, lot, "京B12345", at(2, 10), at(3, 10)) == 0


def test_a_tariff_change_applies_to_stays_that_begin_after_it(session, setup, monkeypatch):
    manager, lot, _unit = setup
    monkeypatch.setattr(clock, "now_utc", lambda: at(1, 9))
    service.set_tariff(session, manager, lot.id, "temporary", {"template": "per_entry", "free_minutes": 0,
                                                               "price_fen": 800}, effective_from=at(2, 12))
    assert service.stay_charge(session, lot, "京A12345", at(2, 11), at(2, 13)) == 500 + 2 * 200
    assert service.stay_charge(session, lot, "京A12345", at(2, 12), at(2, 13)) == 800
