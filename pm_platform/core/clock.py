"""Time: stored in UTC, business periods computed in Asia/Shanghai."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

from pm_platform.core.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A business period: a month of this century (the year 0 or 9999 is a typing error, not a month
# anyone bills or scores).
PERIOD_PATTERN = r"^(20\d\d)-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def to_local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(SHANGHAI)


def as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def local_today() -> dt.date:
    return to_local(now_utc()).date()


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(text: str, field: str = "period") -> str:
    """Validate a billing/scoring period written 'YYYY-MM'."""
    if not isinstance(text, str) or not _PERIOD.match(text):
        raise ValidationError("period must look like 2026-11, not {text!r}", field, text=text)
    return text


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of the period and first day of the next, as local dates."""
    year, month = map(int, parse_period(period).split("-"))
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, end


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), or that month's last day where it has no such
    day: 2026-01-31 + 1 month is 2026-02-28."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def shift_period(period: str, months: int) -> str:
    """The period `months` after (or before) `period`: shift_period("2026-01", -1) == "2025-12"."""
    start, _ = period_bounds(period)
    return period_of(add_months(start, months))


def recent_periods(period: str, count: int) -> list[str]:
    """The `count` periods up to and including `period`, oldest first."""
    return [shift_period(period, -back) for back in range(count - 1, -1, -1)]


def previous_period(today: dt.date | None = None) -> str:
    """Last month, in Shanghai: the month a monthly job looks back on."""
    return shift_period(period_of(today or local_today()), -1)


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which a Shanghai business day begins."""
    return dt.datetime.combine(day, dt.time(0), SHANGHAI).astimezone(dt.timezone.utc)


def format_local(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if moment is None else to_local(moment).strftime(fmt)


def parse_device_time(value, field: str = "at") -> dt.datetime:
    """A time sent by a device (gate, locker): ISO 8601; without an offset it is Shanghai time."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("{name} must be an ISO 8601 time, not {value!r}", field,
                              name=field, value=value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return as_utc(moment)
