"""Natural order for the names people number: buildings, entrances and rooms.

"2栋" comes before "10栋" and "102" before "1001", where the database's string order puts
"10栋" before "2栋". One key for every list and select of buildings, units and rooms."""
from __future__ import annotations

import re

_NUMBERS = re.compile(r"([0-9]+)")


def natural_key(text: str | None) -> tuple:
    """A sort key comparing runs of digits as numbers: text parts at even positions, numbers at
    odd ones, so two keys always compare like with like. "01" sorts next to "1"."""
    parts = _NUMBERS.split(text or "")
    return tuple((int(part), part) if index % 2 else part for index, part in enumerate(parts))


def unit_key(building: str | None, entrance: str | None, room: str | None) -> tuple:
    """Units in the order a roster lists them: by building, entrance, then room ("101" before
    "1001": room numbers carry their floor)."""
    return natural_key(building), natural_key(entrance), natural_key(room)
