"""The default scheme's arithmetic on cards computed by hand (values in hundredths of a point)."""
from pm_platform.scoring import arithmetic as a
from pm_platform.scoring.arithmetic import DEFAULT_SCHEME, Ratio


def ratios(**given):
    return {key: Ratio(*value) for key, value in given.items()}


def points(card):
    return {line.key: line.points for line in card.lines}


def test_a_full_card_with_capped_rebounds_and_a_closed_but_not_fixed():
    card = a.score_card(DEFAULT_SCHEME, ratios(
        fee_collection=(8500, 10000),          # 85 %: 20 × (85−60)/(95−60) = 14.2857 → 14.29
        inspection_completion=(45, 50),        # 90 %: 20 × (90−70)/30 = 13.333 → 13.33
        workorders_on_time=(19, 20),           # 95 %: at the target, all 15
        satisfaction=(10 * 6 + 9 * 2, 10 * 10),  # 6 satisfied, 2 basically, 10 rated = 78 %: 15 × 18/35 → 7.71
        spot_checks=(50, 60),                  # 83.3 %: 20 × 23.33/40 = 11.667 → 11.67
        disclosure_on_time=(1, 1),             # on time: 5
        really_fixed=(3, 4),                   # 75 %: 5 × 15/40 = 1.875 → 1.88
    ), {"rebound": 12, "closed_not_fixed": 1, "safety_incident": 0})
    assert points(card) == {
        "fee_collection": 1429, "inspection_completion": 1333, "workorders_on_time": 1500, "satisfaction": 771,
        "spot_checks": 1167, "disclosure_on_time": 500, "really_fixed": 188,
        "rebound": -1000,  # 12 rebounds, capped at −10
        "closed_not_fixed": -200, "safety_incident": 0,
    }
    assert card.applicable_weight == 100
    assert card.total == 6888 - 1200 == 5688  # 68.88 − 12 = 56.88
    assert card.grade == "D"


def test_indicators_without_anything_to_measure_leave_out_their_weight():
    card = a.score_card(DEFAULT_SCHEME, ratios(
        fee_collection=(90, 100),              # 20 × 30/35 = 17.142857 → 17.14
        inspection_completion=(10, 10), workorders_on_time=(3, 3), satisfaction=(20, 20), spot_checks=(60, 60),
        disclosure_on_time=(0, 0), really_fixed=(0, 0),  # nothing due, nothing followed up
    ), {"safety_incident": 1})
    assert card.applicable_weight == 90
    # earned 87.14 of 90 → 87.14 × 100/90 = 96.822 → 96.82; a major incident −20
    assert card.total == 9682 - 2000 == 7682
    assert card.grade == "C"
    assert points(card)["disclosure_on_time"] == 0


def test_floor_and_target_bounds_and_a_total_that_cannot_go_negative():
    card = a.score_card(DEFAULT_SCHEME, ratios(fee_collection=(60, 100), inspection_completion=(101, 100)),
                        {"safety_incident": 2, "closed_not_fixed": 30})
    assert points(card)["fee_collection"] == 0          # at the floor
    assert points(card)["inspection_completion"] == 2000  # above the target
    assert points(card)["closed_not_fixed"] == -6000    # no cap
    assert card.total == 0 and card.grade == "D"


def test_no_measurable_indicator_gives_no_score():
    card = a.score_card(DEFAULT_SCHEME, {}, {"rebound": 3})
    assert card.total is None and card.grade is None


def test_grade_boundaries():
    assert [a.grade_of(t) for t in (10000, 9000, 8999, 8000, 7999, 6000, 5999, 0)] == list("AABBCCDD")


def test_a_firms_score_is_weighted_by_floor_area():
    # 56.88 on 40,000 m² and 76.82 on 60,000 m²: (56.88×4 + 76.82×6)/10 = 68.844 → 68.84;
    # a compound without a score does not count
    assert a.area_weighted([(5688, 40_000_00_00), (7682, 60_000_00_00), (None, 90_000_00_00)]) == 6884
    assert a.area_weighted([(None, 100)]) is None


def test_rewards_are_scaled_pro_rata_when_the_fund_is_short():
    compounds = [
        (1, 40_000 * 10_000, 8500),   # < 50,000 m²: 30,000/yr → 15,000 for the half; ≥ 80: 100 %
        (2, 60_000 * 10_000, 7200),   # < 100,000 m²: 50,000/yr → 25,000; ≥ 70: 80 % = 20,000
        (3, 120_000 * 10_000, 6500),  # larger: 70,000/yr → 35,000; ≥ 60: 50 % = 17,500
        (4, 30_000 * 10_000, 5500),   # below 60: nothing
        (5, 30_000 * 10_000, None),   # no score this half-year: nothing
    ]
    short = a.allocate_rewards(50_000_00, compounds)
    assert [line.due_fen for line in short.lines] == [15_000_00, 20_000_00, 17_500_00, 0, 0]
    assert short.due_fen == 52_500_00 and short.scaled
    # × 50,000/52,500: 1,428,571.43 / 1,904,761.90 / 1,666,666.67 fen; rounded down, the two fen
    # left over go to the largest remainders (.90 and .67)
    assert [line.paid_fen for line in short.lines] == [14_285_71, 19_047_62, 16_666_67, 0, 0]
    assert short.paid_fen == 50_000_00

    enough = a.allocate_rewards(60_000_00, compounds)
    assert not enough.scaled
    assert [line.paid_fen for line in enough.lines] == [15_000_00, 20_000_00, 17_500_00, 0, 0]


def test_every_fen_rounding_keeps_the_total_within_the_fund():
    compounds = [(i, (i * 7919) % 150_000 * 10_000 + 1, 6000 + (i * 37) % 4000) for i in range(1, 60)]
    for fund in (1, 99, 123_456_78, 999_999_99):
        result = a.allocate_rewards(fund, compounds)
        assert result.paid_fen == min(fund, result.due_fen)
        assert all(0 <= line.paid_fen <= line.due_fen for line in result.lines)


def test_scheme_validation():
    assert a.validate_scheme(DEFAULT_SCHEME) == []
    heavy = {**DEFAULT_SCHEME, "indicators": [dict(i, weight=i["weight"] + 1) if i["key"] == "satisfaction" else i
                                              for i in DEFAULT_SCHEME["indicators"]]}
    assert [p.message for p in a.validate_scheme(heavy)] == ["the weights must add up to 100"]
    bad_floor = {**DEFAULT_SCHEME, "indicators": [dict(i, floor=100) if i["key"] == "spot_checks" else i
                                                  for i in DEFAULT_SCHEME["indicators"]]}
    assert [p.message for p in a.validate_scheme(bad_floor)] == [
        "spot_checks: need weight ≥ 0 and 0 ≤ floor < target ≤ 100"]
