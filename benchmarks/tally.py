"""Tally of a motion in a 20,000-unit compound, beside a bare SQL aggregate over the same ballots.

    /work/main/.venv/bin/python benchmarks/tally.py                      # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pm_bench_tally python benchmarks/tally.py
      (an empty PostgreSQL database you created for this; the schema is built by the migrations)

Prints the median of repeated runs of `committees.service.compute_tally` (the grouped aggregate
by channel and choice plus the Art. 278 decision) and of the bare aggregate, and their ratio
(the issue asks for at most 2x).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import area_tree  # noqa: E402  (benchmarks/ is the script's folder)

import flask_migrate  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from pm_platform import create_app  # noqa: E402
from pm_platform.committees import service  # noqa: E402
from pm_platform.committees.models import Ballot, RegisterVoter  # noqa: E402
from pm_platform.core import clock  # noqa: E402
from pm_platform.core.auth import create_user  # noqa: E402
from pm_platform.extensions import db  # noqa: E402
from pm_platform.places.models import Building, Compound, Owner, Ownership, RoleGrant, Unit  # noqa: E402

UNITS, RUNS = 20_000, 15
BARE = text("SELECT b.choice, count(*), sum(v.area_cm2) FROM ballots b JOIN register_voters v ON v.id = b.voter_id "
            "WHERE b.motion_id = :m GROUP BY b.choice")


def build(session, rng: random.Random) -> tuple[int, object]:
    district, street, community = area_tree(session)
    compound = Compound(name="两万户小区", community_id=community.id, street_id=street.id, district_id=district.id)
    session.add(compound)
    session.flush()
    buildings = [Building(compound_id=compound.id, name=f"{n}栋") for n in range(1, 101)]
    session.add_all(buildings)
    session.flush()
    session.execute(insert(Unit), [
        {"compound_id": compound.id, "building_id": buildings[i // 200].id, "entrance": str(i % 200 // 50 + 1),
         "floor": i % 50 // 2 + 1, "room": str(i), "area_cm2": rng.randint(4500, 14500), "use": "residential"}
        for i in range(UNITS)])
    unit_ids = session.scalars(select(Unit.id).where(Unit.compound_id == compound.id).order_by(Unit.id)).all()
    # 500 unsold units stay with the developer; every 10th owner has a second unit
    session.execute(insert(Owner), [{"name": "开发商", "id_number_hash": "dev", "id_number_masked": "dev",
                                     "owner_type": "developer"}] + [
        {"name": f"业主{n}", "id_number_hash": f"h{n}", "id_number_masked": f"m{n}", "owner_type": "person"}
        for n in range(UNITS)])
    owner_ids = session.scalars(select(Owner.id).order_by(Owner.id)).all()
    developer, people = owner_ids[0], iter(owner_ids[1:])
    rows, current = [], None
    for n, unit_id in enumerate(unit_ids):
        if n < 500:
            owner = developer
        elif n % 10 == 1 and current is not None:
            owner = current
        else:
            owner = current = next(people)
        rows.append({"unit_id": unit_id, "owner_id": owner, "is_voter": True, "certificate_hash": ""})
    session.execute(insert(Ownership), rows)
    user = create_user(session, "bench-committee", "bench-password-1")
    session.add(RoleGrant(user_id=user.id, role="committee", scope_kind="compound", scope_id=compound.id))
    session.commit()
    return compound.id, user


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "LOCAL_SECRETS": True, "TESTING": False})
    rng = random.Random(278)
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        session = db.session
        compound_id, user = build(session, rng)
        now = clock.now_utc()
        motion = service.create_motion(session, user, compound_id, title="基准表决", body="", category="fund_raising",
                                       opens_at=now - dt.timedelta(minutes=1), closes_at=now + dt.timedelta(days=7))
        freeze_ms, _ = timed(lambda: service.open_motion(session, user, motion.id))
        session.commit()
        voters = session.scalars(select(RegisterVoter.id).where(RegisterVoter.motion_id == motion.id)).all()
        voting = rng.sample(voters, k=len(voters) * 3 // 4)
        channels = ["online"] * 8 + ["proxy", "paper"]
        session.execute(insert(Ballot), [
            {"motion_id": motion.id, "voter_id": v, "choice": rng.choice(["agree"] * 6 + ["disagree"] * 3 + ["abstain"]),
             "channel": rng.choice(channels), "receipt": f"R{n:012d}", "cast_at": now} for n, v in enumerate(voting)])
        session.commit()

        tally_times, bare_times = [], []
        for _ in range(RUNS):  # interleaved, so both see the same cache state
            ms, result = timed(lambda: service.compute_tally(session, motion))
            tally_times.append(ms)
            ms, bare = timed(lambda: session.execute(BARE, {"m": motion.id}).all())
            bare_times.append(ms)
        assert sum(int(area) for _, _, area in bare) == result["A_P"]
        t, b = statistics.median(tally_times), statistics.median(bare_times)
        print(f"database: {db.engine.dialect.name}; units {UNITS:,}; voters on register {motion.total_owners:,}; "
              f"ballots {len(voting):,}")
        print(f"register freeze (open motion): {freeze_ms:.1f} ms")
        print(f"tally (service.compute_tally), median of {RUNS}: {t:.2f} ms")
        print(f"bare SQL aggregate, median of {RUNS}:          {b:.2f} ms")
        print(f"ratio tally / bare: {t / b:.2f}x  (target ≤ 2x) -> passed={result['passed']}")


if __name__ == "__main__":
    main()
