"""The parking tariff engine: pure functions from a tariff and a stay to a fee in fen.

All local times are Asia/Shanghai. "Started" means a part counts as a whole unit: a stay
of 61 minutes under 60-minute units is two units. Durations are measured to the second.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pm_platform.core.clock import SHANGHAI, as_utc
from pm_platform.core.errors import ValidationError

BLOCK = dt.timedelta(hours=24)
TEMPLATES = ("standard", "per_entry", "day_night")


def _started(length: dt.timedelta, unit: dt.timedelta) -> int:
    """How many units a length starts (a part counts as whole)."""
    return -(-int(length.total_seconds()) // int(unit.total_seconds()))


def _blocks(entry: dt.datetime, exit: dt.datetime):
    """Consecutive 24-hour blocks from entry: (start, end) pairs covering the stay."""
    start = entry
    while start < exit:
        end = min(start + BLOCK, exit)
        yield start, end
        start = end


@dataclass(frozen=True)
class Standard:
    """Per 24-hour block: a first segment at its own price, then each started unit; capped."""

    free_minutes: int
    first_minutes: int
    first_price_fen: int
    unit_minutes: int
    unit_price_fen: int
    cap_fen: int
    template: str = "standard"

    def fee(self, entry: dt.datetime, exit: dt.datetime) -> int:
        if exit - entry <= dt.timedelta(minutes=self.free_minutes):
            return 0
        first = dt.timedelta(minutes=self.first_minutes)
        unit = dt.timedelta(minutes=self.unit_minutes)
        total = 0
        for start, end in _blocks(entry, exit):
            length = end - start
            block = self.first_price_fen
            if length > first:
                block += _started(length - first, unit) * self.unit_price_fen
            total += min(block, self.cap_fen)
        return total


@dataclass(frozen=True)
class PerEntry:
    """After the free minutes, a flat price for each started 24 hours."""

    free_minutes: int
    price_fen: int
    template: str = "per_entry"

    def fee(self, entry: dt.datetime, exit: dt.datetime) -> int:
        if exit - entry <= dt.timedelta(minutes=self.free_minutes):
            return 0
        return _started(exit - entry, BLOCK) * self.price_fen


@dataclass(frozen=True)
class DayNight:
    """Day window per started unit at the day price; each night (or part) a flat price;
    each 24-hour block from entry at most the cap.

    A night that runs across a block boundary is charged once, in the block where the
    stay's part of that night begins; day units restart at a block boundary.
    """

    free_minutes: int
    day_start: dt.time
    day_end: dt.time
    unit_minutes: int
    day_unit_price_fen: int
    night_price_fen: int
    cap_fen: int
    template: str = "day_night"

    def _day_windows(self, entry: dt.datetime, exit: dt.datetime):
        """Day windows (UTC start, end) of every local date the stay touches."""
        day = entry.astimezone(SHANGHAI).date() - dt.timedelta(days=1)
        last = exit.astimezone(SHANGHAI).date() + dt.timedelta(days=1)
        while day <= last:
            yield (dt.datetime.combine(day, self.day_start, SHANGHAI).astimezone(dt.timezone.utc),
                   dt.datetime.combine(day, self.day_end, SHANGHAI).astimezone(dt.timezone.utc))
            day += dt.timedelta(days=1)

    def fee(self, entry: dt.datetime, exit: dt.datetime) -> int:
        if exit - entry <= dt.timedelta(minutes=self.free_minutes):
            return 0
        windows = list(self._day_windows(entry, exit))
        unit = dt.timedelta(minutes=self.unit_minutes)
        # the moments at which the stay's part of each night begins
        night_starts = []
        if not any(ds <= entry < de for ds, de in windows):
            night_starts.append(entry)
        night_starts += [de for _, de in windows if entry < de < exit]
        total = 0
        for start, end in _blocks(entry, exit):
            block = sum(_started(min(end, de) - max(start, ds), unit) * self.day_unit_price_fen
                        for ds, de in windows if max(start, ds) < min(end, de))
            block += sum(self.night_price_fen for moment in night_starts if start <= moment < end)
            total += min(block, self.cap_fen)
        return total


Tariff = Standard | PerEntry | DayNight

_FIELDS = {
    "standard": ("free_minutes", "first_minutes", "first_price_fen", "unit_minutes", "unit_price_fen", "cap_fen"),
    "per_entry": ("free_minutes", "price_fen"),
    "day_night": ("free_minutes", "unit_minutes", "day_unit_price_fen", "night_price_fen", "cap_fen"),
}
_POSITIVE = {"first_minutes", "unit_minutes"}


def template_fields(template: str) -> tuple[str, ...]:
    """The fields a template's tariff is made of, as tariff_from_dict reads them."""
    return _FIELDS[template] + (("day_start", "day_end") if template == "day_night" else ())


def _clock_time(value, field: str) -> dt.time:
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValidationError("{name} must be a time like 07:00", field, name=field) from None


def tariff_from_dict(data: dict) -> Tariff:
    """Validate a tariff as posted (and as stored) and build it."""
    if not isinstance(data, dict):
        raise ValidationError("tariff must be an object", "tariff")
    template = data.get("template")
    if template not in TEMPLATES:
        raise ValidationError("tariff.template must be one of {choices}", "tariff.template", choices=", ".join(TEMPLATES))
    values = {}
    for name in _FIELDS[template]:
        value = data.get(name, 0 if name == "free_minutes" else None)
        if not isinstance(value, int) or isinstance(value, bool) or value < (1 if name in _POSITIVE else 0):
            if name in _POSITIVE:
                raise ValidationError("tariff.{name} must be a positive integer", f"tariff.{name}", name=name)
            raise ValidationError("tariff.{name} must be a non-negative integer", f"tariff.{name}", name=name)
        values[name] = value
    if template == "standard":
        return Standard(**values)
    if template == "per_entry":
        return PerEntry(**values)
    start = _clock_time(data.get("day_start"), "tariff.day_start")
    end = _clock_time(data.get("day_end"), "tariff.day_end")
    if not start < end:
        raise ValidationError("tariff.day_start must be before tariff.day_end", "tariff.day_end")
    return DayNight(day_start=start, day_end=end, **values)


def tariff_to_dict(tariff: Tariff) -> dict:
    data = {"template": tariff.template}
    for name in _FIELDS[tariff.template]:
        data[name] = getattr(tariff, name)
    if isinstance(tariff, DayNight):
        data["day_start"] = tariff.day_start.strftime("%H:%M")
        data["day_end"] = tariff.day_end.strftime("%H:%M")
    return data


@dataclass(frozen=True)
class Coupon:
    """Issued by a merchant or the office, applied at exit: free minutes or an amount off."""

    free_minutes: int = 0
    amount_off_fen: int = 0


def stay_fee(tariff: Tariff, entry: dt.datetime, exit: dt.datetime, *, pass_until: dt.datetime | None = None,
             own_space: bool = False, coupons: tuple[Coupon, ...] = ()) -> int:
    """The fee for one stay.

    - own_space: a registered vehicle on its unit's own space pays nothing.
    - pass_until: the end of the pass cover valid at entry; the part after it is charged as
      a stay beginning at that moment.
    - coupons: free minutes shorten the charged stay; amounts come off the fee (not below 0).
    """
    entry, exit = as_utc(entry), as_utc(exit)
    if exit <= entry or own_space:
        return 0
    if pass_until is not None:
        pass_until = as_utc(pass_until)
        if exit <= pass_until:
            return 0
        entry = max(entry, pass_until)
    free = dt.timedelta(minutes=sum(c.free_minutes for c in coupons))
    charged_exit = exit - free
    fee = tariff.fee(entry, charged_exit) if charged_exit > entry else 0
    return max(0, fee - sum(c.amount_off_fen for c in coupons))
