"""Money is integer fen; area is integer 0.01 m². Rounding happens here, once, half-up."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pm_platform.core.errors import ValidationError


MAX_FEN = 10**12        # ten billion yuan: above any real amount here, well inside BIGINT
MAX_RATE_FEN = 10**6    # ten thousand yuan per m² (or per household) a month: far above any fee


def div_round_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (the usual 四舍五入)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def area_charge_fen(area_cm2: int, rate_fen_per_m2_month: int, months: int = 1) -> int:
    """Charge for an area at a monthly per-m² rate: the one place fee rounding happens.

    89.37 m² at 1.20 yuan/m²/month: area_charge_fen(8937, 120) == 10724 (107.24 yuan).
    """
    return div_round_half_up(area_cm2 * rate_fen_per_m2_month * months, 100)


def format_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _parse_hundredths(text: str, field: str, *, amount: bool) -> int:
    # Whole sentences for amounts and for areas, not a word filled in: pages translate them whole.
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise (ValidationError("amount must be a number, not {text!r}", field, text=text) if amount
               else ValidationError("area must be a number, not {text!r}", field, text=text)) from None
    if not value.is_finite():
        raise (ValidationError("amount must be a finite number", field) if amount
               else ValidationError("area must be a finite number", field))
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise (ValidationError("amount has more than 2 decimal places: {text}", field, text=text) if amount
               else ValidationError("area has more than 2 decimal places: {text}", field, text=text))
    return int(scaled)


def parse_yuan(text: str, field: str = "amount") -> int:
    """'107.24' -> 10724 fen; more than two decimals is an error, not a rounding."""
    return _parse_hundredths(text, field, amount=True)


def parse_area_m2(text: str, field: str = "area_m2") -> int:
    """'89.37' -> 8937 (0.01 m² units)."""
    return _parse_hundredths(text, field, amount=False)


def format_area_m2(area_cm2: int) -> str:
    return format_yuan(area_cm2)


# --- 人民币大写 -------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _group_in_words(n: int) -> str:
    """0 < n < 10000 in financial numerals, zeros inside spoken once (1007 → 壹仟零柒)."""
    words, zero = "", False
    for power, unit in ((3, "仟"), (2, "佰"), (1, "拾"), (0, "")):
        digit = n // 10 ** power % 10
        if digit:
            words += ("零" if zero else "") + _DIGITS[digit] + unit
            zero = False
        elif words:
            zero = True
    return words


def amount_in_words(fen: int) -> str:
    """人民币大写, as receipts print it: 10724 → 壹佰零柒元贰角肆分, 100000 → 壹仟元整."""
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words, groups = "", []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    pending_zero = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = bool(words)
            continue
        if words and (pending_zero or group < 1000):
            words += "零"
        words += _group_in_words(group) + ("", "万", "亿", "万亿")[index]
        pending_zero = False
    if words:
        words += "元"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif cents and words:
        words += "零"
    if cents:
        words += _DIGITS[cents] + "分"
    return words + ("" if cents else "整") if words else "零元整"
