"""A small compound whose register exercises every headcount rule, and a clock that moves."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from pm_platform.committees import service
from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.places.models import Compound, Owner
from tests import factories


@dataclass
class Assembly:
    compound: Compound
    committee: User
    committee2: User
    users: dict[str, User]    # alice (two units), bob (voter of a co-owned unit), carol, developer, dan (co-owner)
    owners: dict[str, Owner]
    units: dict[str, int]

    def motion(self, session, category="covenant", **kw):
        now = clock.now_utc()
        kw.setdefault("opens_at", now - dt.timedelta(minutes=1))
        kw.setdefault("closes_at", now + dt.timedelta(days=3))
        kw.setdefault("title", "通过管理规约")
        return service.create_motion(session, self.committee, self.compound.id, body="全文见附件", category=category,
                                     **kw)

    def opened(self, session, category="covenant", **kw):
        motion = self.motion(session, category, **kw)
        service.open_motion(session, self.committee, motion.id)
        session.commit()
        return motion


@pytest.fixture
def assembly(session, world) -> Assembly:
    """Areas (m²): alice 100 + 50; bob (co-owned with dan, bob named voter) 80;
    developer 70 + 30 plus an unsold unit with no owner 40; carol 60. A = 430 m², N = 4."""
    compound = factories.compound(session, world.communities[0], name="议事小区")
    u = {name: factories.unit(session, compound, room=room, area_cm2=area) for name, room, area in [
        ("a1", "101", 10000), ("a2", "102", 5000), ("b", "201", 8000), ("d1", "301", 7000),
        ("d2", "302", 3000), ("c", "401", 6000), ("empty", "501", 4000)]}
    users = {name: factories.user(session, "owner", "compound", compound.id, username=f"{name}-{compound.id}")
             for name in ("alice", "bob", "carol", "developer", "dan")}
    owners = {
        "alice": factories.owner(session, u["a1"], u["a2"], name="Alice", user_account=users["alice"],
                                 certificate_no="CERT-A1"),
        "bob": factories.owner(session, u["b"], name="Bob", user_account=users["bob"]),
        "dan": factories.owner(session, u["b"], name="Dan", user_account=users["dan"], is_voter=False),
        "developer": factories.owner(session, u["d1"], u["d2"], name="开发商", owner_type="organization",
                                     user_account=users["developer"]),
        "carol": factories.owner(session, u["c"], name="Carol", user_account=users["carol"]),
    }
    owners["developer"].owner_type = "developer"
    committee = factories.user(session, "committee", "compound", compound.id)
    committee2 = factories.user(session, "committee", "compound", compound.id)
    session.commit()
    return Assembly(compound, committee, committee2, users, owners, {k: v.id for k, v in u.items()})


@pytest.fixture
def travel(monkeypatch):
    """travel(timedelta) moves the platform clock forward."""
    def _travel(delta: dt.timedelta):
        target = clock.now_utc() + delta
        monkeypatch.setattr(clock, "now_utc", lambda: target)
    return _travel
