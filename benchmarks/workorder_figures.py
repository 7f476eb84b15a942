"""How long the monthly work-order figures take for a district, against a baseline.

Builds (on a throw-away SQLite file, or DATABASE_URL) 51 compounds and ORDERS work orders over
three months with their resolve/reopen events, then times `workorder_figures` for all compounds
and one month. Baseline, measured in the same run on the same rows: one GROUP BY query counting
that month's orders per compound (the least any implementation has to read).

Run: /work/main/.venv/bin/python benchmarks/workorder_figures.py [ORDERS]
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's pm_platform
from _common import area_tree  # noqa: E402  (benchmarks/ is the script's folder)
ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def main() -> None:
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    from pm_platform import create_app

    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "LOCAL_SECRETS": True, "TESTING": True})
    with app.app_context():
        import flask_migrate
        from sqlalchemy import func, insert, select

        from pm_platform.core import clock
        from pm_platform.extensions import db
        from pm_platform.places.models import Compound
        from pm_platform.workorders.models import WorkOrder, WorkOrderEvent
        from pm_platform.workorders.service import workorder_figures

        flask_migrate.upgrade(revision="heads")
        session = db.session
        rng = random.Random(7)
        district, street, community = area_tree(session)
        compounds = [Compound(name=f"基准{i}号院", community_id=community.id, street_id=street.id,
                              district_id=district.id) for i in range(51)]
        session.add_all(compounds)
        session.flush()
        ids = [c.id for c in compounds]

        start = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
        rows, events = [], []
        for n in range(ORDERS):
            created = start + dt.timedelta(seconds=rng.randrange(92 * 86400))
            resolved = created + dt.timedelta(hours=rng.uniform(1, 200))
            closed = rng.random() < 0.8
            rows.append({"compound_id": rng.choice(ids), "source": "resident", "category": "water",
                         "priority": "normal", "description": "x", "status": "closed" if closed else "in_progress",
                         "created_at": created, "respond_due_at": created + dt.timedelta(hours=24),
                         "resolve_due_at": created + dt.timedelta(days=7),
                         "accepted_at": created + dt.timedelta(hours=rng.uniform(0, 30)),
                         "first_resolved_at": resolved if closed else None, "resolved_at": resolved if closed else None,
                         "closed_at": resolved + dt.timedelta(days=1) if closed else None,
                         "close_kind": "confirmed" if closed else None,
                         "rating": rng.choice([5, 5, 4, 3]) if closed else None, "escalation_level": 0,
                         "reopen_count": 0, "has_rebounded": False, "reporter_name": "", "reporter_phone": "",
                         "rating_comment": ""})
        order_ids = session.scalars(insert(WorkOrder).returning(WorkOrder.id), rows).all()
        for order_id, row in zip(order_ids, rows):
            if row["resolved_at"]:
                events.append({"work_order_id": order_id, "kind": "resolved", "at": row["resolved_at"],
                               "note": "", "data": "{}"})
        session.execute(insert(WorkOrderEvent), events)
        session.commit()

        period = "2026-09"
        month_start, month_end = (clock.local_midnight_utc(d) for d in clock.period_bounds(period))
        t0 = time.perf_counter()
        baseline = dict(session.execute(
            select(WorkOrder.compound_id, func.count()).where(WorkOrder.created_at >= month_start,
                                                              WorkOrder.created_at < month_end)
            .group_by(WorkOrder.compound_id)).all())
        t_baseline = time.perf_counter() - t0
        t0 = time.perf_counter()
        figures = workorder_figures(session, ids, period)
        t_figures = time.perf_counter() - t0
        assert sum(f.received for f in figures.values()) == sum(baseline.values())
        dialect = session.get_bind().dialect.name
        print(f"{ORDERS} work orders over 3 months in 51 compounds ({dialect})")
        print(f"baseline  GROUP BY count of one month: {t_baseline * 1000:8.1f} ms")
        print(f"workorder_figures, 51 compounds, one month: {t_figures * 1000:8.1f} ms "
              f"({t_figures / max(t_baseline, 1e-9):.0f}× baseline)")


if __name__ == "__main__":
    main()
