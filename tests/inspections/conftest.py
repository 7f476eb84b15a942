"""A platform clock that tests set, so rounds and 'today' do not depend on when the suite runs."""
from __future__ import annotations

import datetime as dt

import pytest

from pm_platform.core import clock


@pytest.fixture
def pin_clock(monkeypatch):
    """pin_clock(moment) stops the platform clock at that UTC instant (see helpers.shanghai) and
    returns it; call it again to move on."""
    def _pin(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(clock, "now_utc", lambda: moment)
        return moment
    return _pin
