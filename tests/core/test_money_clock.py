import datetime as dt

import pytest

from pm_platform.core import clock, money
from pm_platform.core.errors import ValidationError


def test_area_charge_rounds_half_up_once():
    assert money.area_charge_fen(8937, 120) == 10724          # 89.37 m² × 1.20 = 107.244
    assert money.area_charge_fen(8950, 101) == 9040           # 90.395 → 90.40 (half up)
    assert money.area_charge_fen(8937, 120, months=3) == 32173  # 321.732 rounded once, not 3×107.24


def test_half_up_is_symmetric_for_reversals():
    assert money.div_round_half_up(-5, 10) == -1
    assert money.div_round_half_up(4, 10) == 0


def test_parse_yuan_refuses_fractions_of_a_fen():
    assert money.parse_yuan("107.24") == 10724
    with pytest.raises(ValidationError, match="2 decimal"):
        money.parse_yuan("1.005")
    with pytest.raises(ValidationError, match="number"):
        money.parse_yuan("abc")
    assert money.format_yuan(-10724) == "-107.24"


def test_business_day_is_shanghai():
    late_utc = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.timezone.utc)  # 01:30 on 1 Dec in Shanghai
    assert clock.period_of(clock.to_local(late_utc).date()) == "2026-12"
    assert clock.local_midnight_utc(dt.date(2026, 12, 1)) == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-11", "2026/11", ""])
def test_period_format_is_checked(bad):
    with pytest.raises(ValidationError):
        clock.parse_period(bad)


def test_period_bounds_cross_year():
    assert clock.period_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


def test_month_arithmetic_written_once():
    import datetime as dt

    from pm_platform.core import clock
    assert clock.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert clock.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert clock.add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)
    assert clock.add_months(dt.date(2026, 12, 6), 60) == dt.date(2031, 12, 6)
    assert clock.shift_period("2026-01", -1) == "2025-12" and clock.shift_period("2026-12", 1) == "2027-01"
    assert clock.recent_periods("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert clock.previous_period(dt.date(2026, 1, 1)) == "2025-12"


def test_amounts_in_words_as_receipts_print_them():
    from pm_platform.core.money import amount_in_words
    assert amount_in_words(10724) == "壹佰零柒元贰角肆分"
    assert amount_in_words(100000) == "壹仟元整"
    assert amount_in_words(20000) == "贰佰元整"
    assert amount_in_words(0) == "零元整"
    assert amount_in_words(100_000_005) == "壹佰万元零伍分"


def test_one_way_to_write_a_unit():
    from pm_platform.places.models import unit_label
    assert unit_label("1栋", "2", "301") == "1栋2单元301" and unit_label("10栋", "", "101") == "10栋101"
