"""Every clause of every tariff template, with times in Asia/Shanghai."""
import datetime as dt

import pytest

from pm_platform.core.clock import SHANGHAI
from pm_platform.core.errors import ValidationError
from pm_platform.parking.tariffs import Coupon, stay_fee, tariff_from_dict, tariff_to_dict

STANDARD = tariff_from_dict({"template": "standard", "free_minutes": 15, "first_minutes": 60,
                             "first_price_fen": 500, "unit_minutes": 30, "unit_price_fen": 200,
                             "cap_fen": 3000})
PER_ENTRY = tariff_from_dict({"template": "per_entry", "free_minutes": 30, "price_fen": 1000})
DAY_NIGHT = tariff_from_dict({"template": "day_night", "free_minutes": 15, "day_start": "07:00",
                              "day_end": "19:00", "unit_minutes": 60, "day_unit_price_fen": 300,
                              "night_price_fen": 500, "cap_fen": 2500})


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time in November 2026."""
    return dt.datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


def after(start: dt.datetime, **delta) -> dt.datetime:
    return start + dt.timedelta(**delta)


class TestStandard:
    def test_stay_within_free_minutes_costs_nothing(self):
        assert STANDARD.fee(at(2, 10), at(2, 10, 15)) == 0

    def test_free_minutes_are_not_deducted_once_exceeded(self):
        # 16 minutes: over the free 15, so the first segment is charged in full
        assert STANDARD.fee(at(2, 10), at(2, 10, 16)) == 500

    def test_first_segment_alone(self):
        assert STANDARD.fee(at(2, 10), at(2, 11)) == 500

    def test_started_units_count_whole(self):
        assert STANDARD.fee(at(2, 10), at(2, 11, 0, 1)) == 700      # one second into unit 1
        assert STANDARD.fee(at(2, 10), at(2, 11, 30)) == 700        # exactly one unit
        assert STANDARD.fee(at(2, 10), at(2, 11, 31)) == 900        # a second unit started

    def test_block_is_capped(self):
        # 10 h: 500 + 18 units * 200 = 4100 -> cap 3000
        assert STANDARD.fee(at(2, 10), at(2, 20)) == 3000

    def test_several_blocks_each_capped_and_summed(self):
        # 2 full days + 90 min: 3000 + 3000 + (500 + 1 unit 200)
        assert STANDARD.fee(at(2, 10), at(4, 11, 30)) == 6700

    def test_second_block_starts_with_its_own_first_segment(self):
        # 24 h + 1 min: block 1 capped, block 2 is 1 minute -> first segment price
        assert STANDARD.fee(at(2, 10), at(3, 10, 1)) == 3500

    def test_exactly_24_hours_is_one_block(self):
        assert STANDARD.fee(at(2, 10), at(3, 10)) == 3000


class TestPerEntry:
    def test_free_minutes(self):
        assert PER_ENTRY.fee(at(2, 10), at(2, 10, 30)) == 0

    def test_flat_price_once_free_minutes_pass(self):
        assert PER_ENTRY.fee(at(2, 10), at(2, 10, 31)) == 1000
        assert PER_ENTRY.fee(at(2, 10), at(3, 10)) == 1000

    def test_each_started_24_hours(self):
        assert PER_ENTRY.fee(at(2, 10), at(3, 10, 0, 1)) == 2000
        assert PER_ENTRY.fee(at(2, 10), at(5, 9)) == 3000


class TestDayNight:
    def test_free_minutes(self):
        assert DAY_NIGHT.fee(at(2, 10), at(2, 10, 15)) == 0

    def test_day_units_started(self):
        assert DAY_NIGHT.fee(at(2, 10), at(2, 11)) == 300
        assert DAY_NIGHT.fee(at(2, 10), at(2, 11, 1)) == 600

    def test_part_of_a_night_costs_the_night_price(self):
        assert DAY_NIGHT.fee(at(2, 20), at(2, 21)) == 500
        assert DAY_NIGHT.fee(at(2, 1), at(2, 6, 59)) == 500

    def test_evening_into_night(self):
        # 18:00-19:00 one day unit, then part of the night
        assert DAY_NIGHT.fee(at(2, 18), at(2, 20)) == 300 + 500

    def test_night_then_morning(self):
        # 06:00-07:00 night, 07:00-08:30 two started day units
        assert DAY_NIGHT.fee(at(2, 6), at(2, 8, 30)) == 500 + 600

    def test_overnight_stay_counts_one_night(self):
        # 20:00 to 06:00 next morning: one night
        assert DAY_NIGHT.fee(at(2, 20), at(3, 6)) == 500

    def test_each_24_hour_block_is_capped(self):
        # 08:00 day 2 to 08:00 day 3: 11 day units (3300) + 1 night + 1 unit next morning -> cap
        assert DAY_NIGHT.fee(at(2, 8), at(3, 8)) == 2500
        # a second block from 08:00 day 3 to 09:30 day 3: two started day units
        assert DAY_NIGHT.fee(at(2, 8), at(3, 9, 30)) == 2500 + 600

    def test_two_nights_in_two_blocks_capped_separately(self):
        # 20:00 day 2 -> 21:00 day 4.
        # block 1 (20:00 d2 - 20:00 d3): night 500 + 12 day units 3600 -> 2500 (the 19:00 night starts here)
        # block 2 (20:00 d3 - 20:00 d4): 12 day units + the d4 19:00 night -> 2500
        # block 3 (20:00 d4 - 21:00 d4): inside the night begun in block 2 -> 0
        assert DAY_NIGHT.fee(at(2, 20), at(4, 21)) == 5000

    def test_night_across_a_block_boundary_is_charged_once(self):
        # entry 18:30 day 2, exit 19:40 day 3
        # block 1 (18:30 d2 - 18:30 d3): 1 day unit (18:30-19:00) + night + 12 day units -> cap 2500
        # block 2 (18:30 d3 - 19:40 d3): 1 day unit + the night begun 19:00 d3 = 300 + 500
        assert DAY_NIGHT.fee(at(2, 18, 30), at(3, 19, 40)) == 2500 + 800


class TestPassOwnSpaceCoupons:
    def test_pass_covers_the_whole_stay(self):
        assert stay_fee(STANDARD, at(2, 10), at(4, 10), pass_until=at(5, 0)) == 0

    def test_pass_expiring_during_stay_charges_from_expiry(self):
        # expiry at midnight; 00:00 -> 01:30 is a fresh 90-minute stay: 500 + 200
        assert stay_fee(STANDARD, at(2, 10), at(3, 1, 30), pass_until=at(3, 0)) == 700

    def test_part_after_expiry_gets_its_own_free_minutes(self):
        assert stay_fee(STANDARD, at(2, 10), at(3, 0, 10), pass_until=at(3, 0)) == 0

    def test_expired_before_entry_is_ignored_by_caller_but_harmless(self):
        assert stay_fee(STANDARD, at(2, 10), at(2, 11), pass_until=at(1, 0)) == 500

    def test_own_space_is_free(self):
        assert stay_fee(STANDARD, at(2, 10), at(5, 10), own_space=True) == 0

    def test_coupon_free_minutes_shorten_the_stay(self):
        # 2 h with 60 free minutes -> charged as 1 h
        assert stay_fee(STANDARD, at(2, 10), at(2, 12), coupons=(Coupon(free_minutes=60),)) == 500
        # down into the free minutes -> nothing
        assert stay_fee(STANDARD, at(2, 10), at(2, 11), coupons=(Coupon(free_minutes=50),)) == 0

    def test_coupon_amount_off_never_below_zero(self):
        assert stay_fee(STANDARD, at(2, 10), at(2, 12), coupons=(Coupon(amount_off_fen=300),)) == 500 + 400 - 300
        assert stay_fee(STANDARD, at(2, 10), at(2, 11), coupons=(Coupon(amount_off_fen=900),)) == 0

    def test_exit_before_entry_costs_nothing(self):
        assert stay_fee(STANDARD, at(2, 10), at(2, 9)) == 0

    def test_utc_and_local_inputs_agree(self):
        utc_entry = at(2, 10).astimezone(dt.timezone.utc)
        assert stay_fee(DAY_NIGHT, utc_entry, at(2, 20)) == DAY_NIGHT.fee(at(2, 10), at(2, 20))


class TestValidation:
    @pytest.mark.parametrize("bad", [
        {"template": "hourly"},
        {"template": "per_entry", "free_minutes": 0},
        {"template": "per_entry", "free_minutes": -1, "price_fen": 100},
        {"template": "per_entry", "free_minutes": 0, "price_fen": 1.5},
        {"template": "standard", "free_minutes": 0, "first_minutes": 0, "first_price_fen": 1,
         "unit_minutes": 30, "unit_price_fen": 1, "cap_fen": 1},
        {"template": "day_night", "free_minutes": 0, "day_start": "19:00", "day_end": "07:00",
         "unit_minutes": 60, "day_unit_price_fen": 1, "night_price_fen": 1, "cap_fen": 1},
        {"template": "day_night", "free_minutes": 0, "day_start": "7am", "day_end": "19:00",
         "unit_minutes": 60, "day_unit_price_fen": 1, "night_price_fen": 1, "cap_fen": 1},
    ])
    def test_bad_tariffs_are_refused_with_the_field(self, bad):
        with pytest.raises(ValidationError) as info:
            tariff_from_dict(bad)
        assert info.value.field.startswith("tariff.")

    @pytest.mark.parametrize("tariff", [STANDARD, PER_ENTRY, DAY_NIGHT])
    def test_round_trip(self, tariff):
        assert tariff_from_dict(tariff_to_dict(tariff)) == tariff
