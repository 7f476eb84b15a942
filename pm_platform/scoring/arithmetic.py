"""The scoring arithmetic, pure: no database, no Flask app. Points are exact fractions while
computed and are rounded half-up to hundredths (0.01 point) once per indicator, once for the
scaled total and once for a firm's area-weighted score; money is integer fen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from pm_platform.core.errors import ValidationError

GRADES = ((9000, "A"), (8000, "B"), (6000, "C"))  # hundredths of a point; below 60 is D

DEFAULT_SCHEME = {
    # weight in points; floor and target in percent of the rate (linear between them)
    "indicators": [
        {"key": "fee_collection", "weight": 20, "floor": 60, "target": 95},
        {"key": "inspection_completion", "weight": 20, "floor": 70, "target": 100},
        {"key": "workorders_on_time", "weight": 15, "floor": 60, "target": 95},
        {"key": "satisfaction", "weight": 15, "floor": 60, "target": 95},
        {"key": "spot_checks", "weight": 20, "floor": 60, "target": 100},
        {"key": "disclosure_on_time", "weight": 5, "floor": 0, "target": 100},
        {"key": "really_fixed", "weight": 5, "floor": 60, "target": 100},
    ],
    # points off per occurrence, and the most a month may lose to it (None: no cap)
    "deductions": [
        {"key": "rebound", "per": 1, "cap": 10},
        {"key": "closed_not_fixed", "per": 2, "cap": None},
        {"key": "safety_incident", "per": 20, "cap": None},
    ],
}
INDICATOR_KEYS = tuple(i["key"] for i in DEFAULT_SCHEME["indicators"])
DEDUCTION_KEYS = tuple(d["key"] for d in DEFAULT_SCHEME["deductions"])

# 以奖代补 defaults: yearly base by compound floor area, and paid share by half-year average
REWARD_BASES = ((50_000 * 10_000, 30_000_00), (100_000 * 10_000, 50_000_00), (None, 70_000_00))  # (area below cm², yuan/yr in fen)
REWARD_SHARES = ((8000, 100), (7000, 80), (6000, 50))  # (average at least, percent paid)


def round_hundredths(value: Fraction) -> int:
    """A fraction of a point as integer hundredths, rounded half away from zero."""
    scaled = value * 100
    sign = -1 if scaled < 0 else 1
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    return sign * (whole + (1 if rest * 2 >= scaled.denominator else 0))


def grade_of(total_hundredths: int | None) -> str | None:
    if total_hundredths is None:
        return None
    return next((grade for bound, grade in GRADES if total_hundredths >= bound), "D")


def validate_scheme(definition: dict) -> list[ValidationError]:
    """Problems with a scheme definition (empty list: valid)."""
    problems = []
    indicators = definition.get("indicators") or []
    keys = [i.get("key") for i in indicators]
    if sorted(keys) != sorted(INDICATOR_KEYS):
        problems.append(ValidationError("the scheme must weigh exactly these indicators: {keys}", "definition",
                                        keys=", ".join(INDICATOR_KEYS)))
    for ind in indicators:
        weight, floor, target = ind.get("weight"), ind.get("floor"), ind.get("target")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (weight, floor, target)):
            problems.append(ValidationError("{indicator}: weight, floor and target must be whole numbers",
                                            "definition", indicator=ind.get("key")))
        elif weight < 0 or not 0 <= floor < target <= 100:
            problems.append(ValidationError("{indicator}: need weight ≥ 0 and 0 ≤ floor < target ≤ 100",
                                            "definition", indicator=ind.get("key")))
    if not problems and sum(i["weight"] for i in indicators) != 100:
        problems.append(ValidationError("the weights must add up to 100", "definition"))
    deductions = definition.get("deductions") or []
    if sorted(d.get("key") for d in deductions) != sorted(DEDUCTION_KEYS):
        problems.append(ValidationError("the scheme must set these deductions: {keys}", "definition",
                                        keys=", ".join(DEDUCTION_KEYS)))
    for ded in deductions:
        per, cap = ded.get("per"), ded.get("cap")
        if not isinstance(per, int) or per < 0 or not (cap is None or isinstance(cap, int) and cap >= 0):
            problems.append(ValidationError("{deduction}: points per occurrence and cap must be whole numbers ≥ 0",
                                            "definition", deduction=ded.get("key")))
    return problems


@dataclass(frozen=True)
class Ratio:
    """A raw figure: numerator over denominator (denominator 0: nothing to measure this month)."""

    numerator: int
    denominator: int

    @property
    def applies(self) -> bool:
        return self.denominator > 0


@dataclass(frozen=True)
class Line:
    key: str
    kind: str  # "indicator" | "deduction"
    weight: int  # indicator: its points; deduction: points per occurrence
    numerator: int | None
    denominator: int | None  # deductions: None (numerator is the count)
    points: int  # hundredths; negative for deductions; 0 for an indicator that does not apply


@dataclass(frozen=True)
class Card:
    lines: tuple[Line, ...]
    applicable_weight: int
    total: int | None  # hundredths; None when no indicator applied
    grade: str | None


def indicator_points(ratio: Ratio, weight: int, floor: int, target: int) -> int:
    """Points (hundredths): 0 at or below the floor rate, all of `weight` at or above the target,
    linear between. Rates are percentages; ratio 0/0 gives 0 (the indicator does not apply)."""
    if not ratio.applies:
        return 0
    rate = Fraction(ratio.numerator * 100, ratio.denominator)
    if rate <= floor:
        return 0
    if rate >= target:
        return weight * 100
    return round_hundredths(weight * (rate - floor) / (target - floor))


def deduction_points(count: int, per: int, cap: int | None) -> int:
    taken = count * per
    return -(taken if cap is None else min(taken, cap)) * 100


def score_card(definition: dict, ratios: dict[str, Ratio], counts: dict[str, int]) -> Card:
    """One compound's card. Indicators that do not apply this month (0/0, e.g. no bill was due)
    leave out their weight, and the earned points are scaled to 100 over the weight that applied;
    deductions come off after, and the total does not go below 0."""
    lines, earned, applicable = [], 0, 0
    for ind in definition["indicators"]:
        ratio = ratios.get(ind["key"], Ratio(0, 0))
        points = indicator_points(ratio, ind["weight"], ind["floor"], ind["target"])
        lines.append(Line(ind["key"], "indicator", ind["weight"], ratio.numerator, ratio.denominator, points))
        if ratio.applies:
            earned += points
            applicable += ind["weight"]
    off = 0
    for ded in definition["deductions"]:
        count = counts.get(ded["key"], 0)
        points = deduction_points(count, ded["per"], ded["cap"])
        lines.append(Line(ded["key"], "deduction", ded["per"], count, None, points))
        off += points
    if applicable == 0:
        return Card(tuple(lines), 0, None, None)
    base = earned if applicable == 100 else round_hundredths(Fraction(earned, applicable))  # earned×100/W in hundredths
    total = max(0, base + off)
    return Card(tuple(lines), applicable, total, grade_of(total))


def area_weighted(scores: list[tuple[int | None, int]]) -> int | None:
    """A firm's score: its compounds' totals weighted by floor area, [(total, area_cm2)];
    compounds without a total are left out."""
    counted = [(total, area) for total, area in scores if total is not None and area > 0]
    area = sum(a for _, a in counted)
    if not area:
        return None
    return round_hundredths(Fraction(sum(t * a for t, a in counted), area * 100))


def average(totals: list[int | None]) -> int | None:
    """Mean of monthly totals (hundredths), months without a total left out."""
    known = [t for t in totals if t is not None]
    return round_hundredths(Fraction(sum(known), len(known) * 100)) if known else None


def yearly_base_fen(area_cm2: int, bases=REWARD_BASES) -> int:
    return next(fen for below, fen in bases if below is None or area_cm2 < below)


def paid_percent(average_hundredths: int | None, shares=REWARD_SHARES) -> int:
    if average_hundredths is None:
        return 0
    return next((pct for bound, pct in shares if average_hundredths >= bound), 0)


@dataclass
class RewardLine:
    compound_id: int
    area_cm2: int
    average: int | None
    base_fen: int  # for the half-year: half the yearly base
    percent: int
    due_fen: int  # base × percent, before any scaling to the fund
    paid_fen: int = 0


@dataclass
class Allocation:
    fund_fen: int
    lines: list[RewardLine] = field(default_factory=list)
    scaled: bool = False

    @property
    def due_fen(self) -> int:
        return sum(line.due_fen for line in self.lines)

    @property
    def paid_fen(self) -> int:
        return sum(line.paid_fen for line in self.lines)


def allocate_rewards(fund_fen: int, compounds: list[tuple[int, int, int | None]],
                     bases=REWARD_BASES, shares=REWARD_SHARES) -> Allocation:
    """Half-year rewards for [(compound_id, area_cm2, average)] from a fund.

    When the amounts due add up to more than the fund, every amount is scaled by fund ÷ due:
    each is rounded down to the fen, and the fen left over go one each to the largest
    remainders (ties to the lower compound id), so the total is exactly the fund, never more.
    """
    allocation = Allocation(fund_fen)
    for compound_id, area, avg in compounds:
        base = yearly_base_fen(area, bases) // 2
        percent = paid_percent(avg, shares)
        allocation.lines.append(RewardLine(compound_id, area, avg, base, percent, base * percent // 100))
    due = allocation.due_fen
    if due <= fund_fen:
        for line in allocation.lines:
            line.paid_fen = line.due_fen
        return allocation
    allocation.scaled = True
    remainders = []
    for line in allocation.lines:
        line.paid_fen, rest = divmod(line.due_fen * fund_fen, due)
        remainders.append((-rest, line.compound_id, line))
    leftover = fund_fen - allocation.paid_fen
    for _, _, line in sorted(remainders, key=lambda r: (r[0], r[1]))[:leftover]:
        line.paid_fen += 1
    return allocation
