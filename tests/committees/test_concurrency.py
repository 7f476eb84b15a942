"""100 ballots from one owner at the same moment, on real PostgreSQL connections: exactly one counts.

The rolled-back test transaction cannot be shared across connections, so this test works on a
database of its own (tests.live.LiveEnv) with committed data, and one connection per thread.
"""
import datetime as dt
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from pm_platform.committees import service
from pm_platform.committees.models import Ballot
from pm_platform.config import normalise_database_url
from pm_platform.core import audit, clock
from pm_platform.core.models import AuditEntry, User
from tests import factories
from tests.factories import World

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL: SQLite serialises every writer, so it cannot show row locking under real concurrency")

BALLOTS = 100


def test_a_hundred_concurrent_ballots_from_one_owner_leave_exactly_one(app, tmp_path):
    from tests.live import LiveEnv

    env = LiveEnv(tmp_path, app.config["IDENTITY_KEY"])
    engine = create_engine(normalise_database_url(env.url), pool_size=40, max_overflow=0)
    try:
        with app.app_context(), env.session() as session:
            world = World.build(session)
            committee = factories.user(session, "committee", "compound", world.compounds[0].id)
            voter = world.user(session, "owner")
            now = clock.now_utc()
            motion = service.create_motion(session, committee, world.compounds[0].id, title="并发测试", body="",
                                           category="covenant", opens_at=now - dt.timedelta(minutes=1),
                                           closes_at=now + dt.timedelta(hours=1))
            service.open_motion(session, committee, motion.id)
            session.commit()
            motion_id, user_id = motion.id, voter.id

        start = threading.Barrier(40)

        def vote(n: int) -> tuple[str, str]:
            choice = ("agree", "disagree", "abstain")[n % 3]
            with Session(engine) as session:
                user = session.get(User, user_id)
                if n < 40:
                    start.wait()  # the first 40 leave together; the rest queue on the pool behind them
                ballot = service.cast_ballot(session, user, motion_id, choice=choice)
                receipt = ballot.receipt
                session.commit()
            return receipt, choice

        with ThreadPoolExecutor(max_workers=40) as pool:
            results = list(pool.map(vote, range(BALLOTS)))

        with Session(engine) as session:
            ballots = session.scalars(select(Ballot).where(Ballot.motion_id == motion_id)).all()
            assert len(ballots) == 1
            assert (ballots[0].receipt, ballots[0].choice) in results   # the last one to commit
            actions = dict(session.execute(
                select(AuditEntry.action, func.count()).where(AuditEntry.entity == "motion",
                                                             AuditEntry.entity_id == str(motion_id),
                                                             AuditEntry.action.like("ballot.%"))
                .group_by(AuditEntry.action)).all())
            assert actions == {"ballot.cast": 1, "ballot.replace": BALLOTS - 1}
            assert audit.verify_chain(session).ok
            motion = session.get(service.Motion, motion_id)
            assert service.compute_tally(session, motion)["N_P"] == 1
    finally:
        engine.dispose()
        env.close()
