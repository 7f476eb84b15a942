"""Every boundary of Civil Code Art. 278, on the pure arithmetic."""
import pytest

from pm_platform.committees import rules
from pm_platform.committees.rules import Candidate, Counts, RuleSet, Threshold, decide, elect, with_nonvoters

LAW = RuleSet()


def counts(A=300, N=30, A_P=200, N_P=20, A_yes=101, N_yes=11, **kw):
    return Counts(A, N, A_P, N_P, A_yes, N_yes, **kw)


def test_exactly_two_thirds_participation_passes_and_one_below_fails():
    assert decide(LAW, "covenant", counts(A=300, A_P=200, N=30, N_P=20)).participation_met
    below_area = decide(LAW, "covenant", counts(A=300, A_P=199))
    assert not below_area.participation_area_met and not below_area.passed
    below_heads = decide(LAW, "covenant", counts(N=30, N_P=19))
    assert not below_heads.participation_head_met and not below_heads.passed


def test_two_thirds_is_compared_without_rounding():
    # 2/3 of 100 is 66.67: 66 fails, 67 meets (a float or integer-division check gets one wrong)
    assert not decide(LAW, "covenant", counts(A=100, A_P=66, A_yes=60)).participation_area_met
    assert decide(LAW, "covenant", counts(A=100, A_P=67, A_yes=60)).participation_area_met


def test_exactly_half_approval_fails_and_just_over_half_passes():
    at_half = decide(LAW, "firm_hiring", counts(A_P=200, A_yes=100, N_P=20, N_yes=10))
    assert not at_half.approval_area_met and not at_half.approval_head_met and not at_half.passed
    over = decide(LAW, "firm_hiring", counts(A_P=200, A_yes=101, N_P=20, N_yes=11))
    assert over.approval_met and over.passed


def test_exactly_three_quarters_passes_for_the_three_quarter_categories():
    for category in rules.SPECIAL_CATEGORIES:
        at = decide(LAW, category, counts(A_P=200, A_yes=150, N_P=20, N_yes=15))
        assert at.passed, category
        below = decide(LAW, category, counts(A_P=200, A_yes=149, N_P=20, N_yes=15))
        assert not below.approval_area_met and not below.passed
        heads_below = decide(LAW, category, counts(A_P=200, A_yes=150, N_P=20, N_yes=14))
        assert heads_below.approval_area_met and not heads_below.approval_head_met and not heads_below.passed


def test_a_simple_majority_is_not_enough_for_raising_funds():
    assert decide(LAW, "fund_use", counts(A_P=200, A_yes=120, N_P=20, N_yes=12)).passed
    assert not decide(LAW, "fund_raising", counts(A_P=200, A_yes=120, N_P=20, N_yes=12)).passed


def test_area_met_but_headcount_not_fails_and_names_which():
    decision = decide(LAW, "covenant", counts(A_P=250, N_P=12, A_yes=240, N_yes=12))
    assert decision.participation_area_met and not decision.participation_head_met
    assert not decision.participation_met and not decision.passed
    # and the other way round in approval: most owners agree, but they hold too little area
    decision = decide(LAW, "covenant", counts(A_P=200, A_yes=60, N_P=20, N_yes=18))
    assert decision.approval_head_met and not decision.approval_area_met and not decision.passed


def test_nobody_voting_approves_nothing_even_for_three_quarters():
    decision = decide(LAW, "rebuilding", counts(A_P=0, N_P=0, A_yes=0, N_yes=0))
    assert not decision.approval_met and not decision.passed


def test_meeting_rules_may_be_stricter_never_looser():
    assert RuleSet(participation=Threshold(3, 4)).looser_than_law() == []
    assert RuleSet(ordinary=Threshold(1, 2, strict=False)).looser_than_law() == ["ordinary"]  # ≥ ½ allows a tie
    assert RuleSet(special=Threshold(2, 3)).looser_than_law() == ["special"]
    assert RuleSet(participation=Threshold(3, 5)).looser_than_law() == ["participation"]
    assert RuleSet(ordinary=Threshold(2, 3)).looser_than_law() == []   # ≥ ⅔ is stricter than > ½
    assert RuleSet(special=Threshold(3, 4, strict=True)).looser_than_law() == []


def test_stricter_rules_change_the_outcome():
    strict = RuleSet(participation=Threshold(3, 4))
    c = counts(A=300, A_P=220, N=30, N_P=25)
    assert decide(LAW, "covenant", c).participation_met
    assert not decide(strict, "covenant", c).participation_met


def test_nonvoter_clause_adds_the_idle_to_the_majority_side():
    c = counts(A=300, N=30, A_P=150, N_P=15, A_yes=100, N_yes=10, A_no=50, N_no=5)
    assert not decide(LAW, "covenant", c).participation_met
    flagged = with_nonvoters(c)
    assert (flagged.A_P, flagged.N_P, flagged.A_yes, flagged.N_yes) == (300, 30, 250, 25)
    assert decide(LAW, "covenant", flagged).passed
    # majority against: the idle join the "no" side
    against = with_nonvoters(counts(A=300, N=30, A_P=150, N_P=15, A_yes=50, N_yes=5, A_no=100, N_no=10))
    assert (against.A_yes, against.A_no, against.N_no) == (50, 250, 25)


def test_election_needs_double_majority_per_candidate_and_ranks_by_area_then_heads():
    part = counts(A=300, N=30, A_P=200, N_P=20, A_yes=0, N_yes=0)
    field = [Candidate(1, 150, 15), Candidate(2, 150, 16), Candidate(3, 101, 11), Candidate(4, 100, 19),
             Candidate(5, 180, 10), Candidate(6, 120, 12)]
    elected, unfilled = elect(LAW, 5, part, field)
    # 4 has exactly half the area, 5 exactly half the heads: neither is elected
    assert elected == [2, 1, 6, 3] and unfilled == 1


def test_election_fails_entirely_without_participation():
    part = counts(A=300, N=30, A_P=100, N_P=10)
    assert elect(LAW, 5, part, [Candidate(1, 100, 10)]) == ([], 5)


def test_threshold_must_be_a_fraction():
    with pytest.raises(ValueError):
        Threshold(4, 3)
