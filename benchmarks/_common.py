"""Shared set-up for benchmarks: a fresh PostgreSQL database (or SQLite) with the schema."""
from __future__ import annotations

import os
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from pm_platform import create_app  # noqa: E402
from pm_platform.config import normalise_database_url  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def bench_app(use_postgres: bool = True):
    """An app on a throw-away database with every migration applied."""
    name = f"pm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_database_url(PG_ADMIN), isolation_level="AUTOCOMMIT") if use_postgres else None
    if admin is not None:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:////tmp/{name}.db"
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True})
    try:
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            yield app
    finally:
        from pm_platform.extensions import db
        db.session.remove()
        db.engine.dispose()
        if admin is not None:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


class Timer:
    def __init__(self):
        self.figures: list[tuple[str, float]] = []

    @contextmanager
    def measure(self, label: str):
        start = time.perf_counter()
        yield
        self.figures.append((label, time.perf_counter() - start))

    def report(self, title: str) -> None:
        print(f"\n{title}")
        for label, seconds in self.figures:
            print(f"  {label:<58} {seconds:8.2f} s")


def area_tree(session):
    """A district, its street office and community office (the places every benchmark starts
    from); (district, street, community)."""
    from pm_platform.places.models import AdminArea

    district = AdminArea(kind="district", name="基准区")
    session.add(district)
    session.flush()
    street = AdminArea(kind="street", name="基准街道", parent_id=district.id)
    session.add(street)
    session.flush()
    community = AdminArea(kind="community", name="基准社区", parent_id=street.id)
    session.add(community)
    session.flush()
    return district, street, community


def wait_until_serving(base: str, workers: int, timeout: float = 180) -> None:
    """gunicorn opens its port before its workers answer: wait for 3 answers per worker in a row."""
    deadline, answered = time.monotonic() + timeout, 0
    while answered < 3 * workers:
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start answering")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                answered += response.status == 200
        except OSError:
            answered = 0
            time.sleep(0.2)
