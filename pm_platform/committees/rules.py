"""Civil Code Art. 278 as integer arithmetic: thresholds, rule sets, and the decision.

Nothing here touches the database, so every boundary can be pinned by a test. Areas are in
0.01 m²; a fraction num/den is compared by cross-multiplying, never by dividing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

ORDINARY_CATEGORIES = ("meeting_rules", "covenant", "committee_election", "firm_hiring", "fund_use", "other_major")
SPECIAL_CATEGORIES = ("fund_raising", "rebuilding", "common_use_change")
CATEGORIES = ORDINARY_CATEGORIES + SPECIAL_CATEGORIES


@dataclass(frozen=True)
class Threshold:
    """`part` meets it when part/whole ≥ num/den (or > when strict)."""

    num: int
    den: int
    strict: bool = False

    def __post_init__(self):
        if not (0 < self.num <= self.den):
            raise ValueError("a threshold is a fraction in (0, 1]")

    def met(self, part: int, whole: int) -> bool:
        left, right = part * self.den, self.num * whole
        return left > right if self.strict else left >= right

    def at_least_as_strict_as(self, other: Threshold) -> bool:
        left, right = self.num * other.den, other.num * self.den
        return left > right or (left == right and (self.strict or not other.strict))

    def describe(self) -> str:
        return f"{'>' if self.strict else '≥'} {self.num}/{self.den}"


LAW_PARTICIPATION = Threshold(2, 3)
LAW_ORDINARY = Threshold(1, 2, strict=True)
LAW_SPECIAL = Threshold(3, 4)


@dataclass(frozen=True)
class RuleSet:
    """A compound's meeting rules: the law's thresholds or stricter ones."""

    participation: Threshold = LAW_PARTICIPATION
    ordinary: Threshold = LAW_ORDINARY
    special: Threshold = LAW_SPECIAL
    nonvoter_clause: bool = False

    def looser_than_law(self) -> list[str]:
        """Names of the thresholds this rule set would loosen (empty when it is lawful)."""
        pairs = (("participation", self.participation, LAW_PARTICIPATION),
                 ("ordinary", self.ordinary, LAW_ORDINARY), ("special", self.special, LAW_SPECIAL))
        return [name for name, mine, law in pairs if not mine.at_least_as_strict_as(law)]

    def approval_for(self, category: str) -> Threshold:
        if category in SPECIAL_CATEGORIES:
            return self.special
        if category in ORDINARY_CATEGORIES:
            return self.ordinary
        raise ValueError(f"unknown category {category!r}")

    def describe(self, category: str) -> str:
        approval = self.approval_for(category)
        return (f"participation {self.participation.describe()} of area and of owners; "
                f"approval {approval.describe()} of participating area and of participating owners")


@dataclass(frozen=True)
class Counts:
    A: int        # total area on the register (0.01 m²)
    N: int        # owners on the register (headcount)
    A_P: int      # area that took part
    N_P: int
    A_yes: int    # area that approved
    N_yes: int
    A_no: int = 0  # area that disagreed (needed only for the non-voter clause)
    N_no: int = 0


@dataclass(frozen=True)
class Decision:
    counts: Counts
    participation_area_met: bool
    participation_head_met: bool
    approval_area_met: bool
    approval_head_met: bool

    @property
    def participation_met(self) -> bool:
        return self.participation_area_met and self.participation_head_met

    @property
    def approval_met(self) -> bool:
        return self.approval_area_met and self.approval_head_met

    @property
    def passed(self) -> bool:
        return self.participation_met and self.approval_met


def decide(rules: RuleSet, category: str, counts: Counts) -> Decision:
    approval = rules.approval_for(category)
    return Decision(
        counts,
        participation_area_met=counts.A > 0 and rules.participation.met(counts.A_P, counts.A),
        participation_head_met=counts.N > 0 and rules.participation.met(counts.N_P, counts.N),
        # nobody took part: nothing was approved (0 > 0 is false, but 0 ≥ ¾·0 would be true)
        approval_area_met=counts.A_P > 0 and approval.met(counts.A_yes, counts.A_P),
        approval_head_met=counts.N_P > 0 and approval.met(counts.N_yes, counts.N_P),
    )


def with_nonvoters(counts: Counts) -> Counts:
    """The meeting-rules clause that adds owners who did not vote to the majority side.

    Each measure is handled on its own: the non-voters' area joins whichever of agree and
    disagree has more area, their headcount whichever has more heads; on a tie they join
    neither side (they are then counted as taking part without approving).
    """
    idle_area, idle_heads = counts.A - counts.A_P, counts.N - counts.N_P
    return replace(
        counts, A_P=counts.A, N_P=counts.N,
        A_yes=counts.A_yes + (idle_area if counts.A_yes > counts.A_no else 0),
        N_yes=counts.N_yes + (idle_heads if counts.N_yes > counts.N_no else 0),
        A_no=counts.A_no + (idle_area if counts.A_no > counts.A_yes else 0),
        N_no=counts.N_no + (idle_heads if counts.N_no > counts.N_yes else 0),
    )


@dataclass(frozen=True)
class Candidate:
    key: int
    A_yes: int
    N_yes: int


def elect(rules: RuleSet, seats: int, participation: Counts, candidates: list[Candidate]) -> tuple[list[int], int]:
    """Committee election: each winner needs the ordinary double majority of those who took
    part; ranked by approving area, then headcount; at most `seats` win.

    Returns (keys of the elected in rank order, seats left unfilled). Where a tie at the last
    seat cannot be broken by area or headcount, neither tied candidate takes it (left unfilled,
    for a run-off)."""
    decision = decide(rules, "committee_election", participation)
    if not decision.participation_met:
        return [], seats
    qualified = [c for c in candidates
                 if decide(rules, "committee_election", replace(participation, A_yes=c.A_yes, N_yes=c.N_yes)).approval_met]
    qualified.sort(key=lambda c: (-c.A_yes, -c.N_yes, c.key))
    elected = qualified[:seats]
    if len(qualified) > seats:
        last, first_out = qualified[seats - 1], qualified[seats]
        if (last.A_yes, last.N_yes) == (first_out.A_yes, first_out.N_yes):
            elected = [c for c in elected if (c.A_yes, c.N_yes) != (last.A_yes, last.N_yes)]
    return [c.key for c in elected], seats - len(elected)
