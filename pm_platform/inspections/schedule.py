"""When a plan is due: its days and its window, computed in Asia/Shanghai and stored in UTC."""
from __future__ import annotations

import calendar
import datetime as dt

from pm_platform.core.clock import SHANGHAI
from pm_platform.core.errors import ValidationError

ALL_WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: Monday is 1


def parse_weekdays(text: str) -> tuple[int, ...]:
    days = sorted({int(part) for part in text.replace(" ", "").split(",") if part}) if text else []
    if not days or not set(days) <= set(ALL_WEEKDAYS):
        raise ValidationError("weekdays must be numbers 1 (Monday) to 7 (Sunday)", "weekdays")
    return tuple(days)


def occurs_on(frequency: str, weekdays: str, month_day: int | None, day: dt.date) -> bool:
    """Whether a plan has a round on this Shanghai date. A monthly plan on the 31st (or 29th,
    30th) falls on the last day of shorter months, so no month goes without its round."""
    if frequency == "daily":
        return True
    if frequency == "weekly":
        return day.isoweekday() in parse_weekdays(weekdays)
    if frequency == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(month_day or 1, last)
    raise ValidationError("unknown frequency {frequency!r}", "frequency", frequency=frequency)


def window(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """The window opening on `day` at `start` (Shanghai) as UTC instants; an `end` not after
    `start` is on the next day (a night round 22:00–02:00)."""
    opens = dt.datetime.combine(day, start, SHANGHAI)
    end_day = day if end > start else day + dt.timedelta(days=1)
    closes = dt.datetime.combine(end_day, end, SHANGHAI)
    return opens.astimezone(dt.timezone.utc), closes.astimezone(dt.timezone.utc)
