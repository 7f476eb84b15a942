"""A backup restores into a fresh database with every row, and the audit chain verifies there
(up to the head exported before the backup). PostgreSQL: pg_dump/pg_restore; SQLite: the online
backup API."""
import json
import os
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from pm_platform.config import normalise_database_url
from pm_platform.core import audit
from pm_platform.db import Base
from tests import factories
from tests.live import BIN, ROOT

POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
MAIN_TABLES = ("users", "admin_areas", "compounds", "units", "owners", "audit_entries")


class Databases:
    """Databases of the test's own, dropped at the end (PostgreSQL), or files in tmp (SQLite)."""

    def __init__(self, backend: str, tmp_path, identity_key: str):
        self.backend, self.tmp_path, self.created = backend, tmp_path, []
        self.identity_key = identity_key

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / f'db-{uuid.uuid4().hex[:8]}.db'}"
        name = f"pm_backup_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return normalise_database_url(os.environ["DATABASE_URL"]).rsplit("/", 1)[0] + f"/{name}"

    def flask(self, url: str, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "DATABASE_URL": url, "IDENTITY_KEY": self.identity_key, "PM_LOCAL_SECRETS": "1",
               "REDIS_URL": "", "LOG_FORMAT": "text", "PYTHONPATH": str(ROOT)}
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    def _admin(self, sql: str) -> None:
        engine = create_engine(normalise_database_url(os.environ["DATABASE_URL"]), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(sql))
        engine.dispose()

    def close(self) -> None:
        for name in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=[pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.skipif(
    not POSTGRES, reason="needs PostgreSQL (DATABASE_URL): pg_dump and pg_restore")]), "sqlite"])
def databases(request, app, tmp_path):
    dbs = Databases(request.param, tmp_path, app.config["IDENTITY_KEY"])
    try:
        yield dbs
    finally:
        dbs.close()


def counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_database_url(url))
    try:
        with Session(engine) as session:
            return {table.name: session.scalar(select(func.count()).select_from(table))
                    for table in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def test_backup_then_restore_into_a_fresh_database(app, databases, tmp_path):
    source = databases.new()
    upgraded = databases.flask(source, "db", "upgrade", "heads")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    engine = create_engine(normalise_database_url(source))
    with app.app_context(), Session(engine) as session:
        world = factories.World.build(session)
        clerk = world.user(session, "street")
        for n in range(5):
            audit.record(session, clerk, "fee.pay", "payment", n, {"amount_fen": 100 * n})
        session.commit()
    engine.dispose()
    head = databases.flask(source, "audit", "head")
    assert head.returncode == 0 and json.loads(head.stdout)["id"] > 0

    backup_file = tmp_path / "nightly.backup"
    made = databases.flask(source, "ops", "backup", "--to", str(backup_file))
    assert made.returncode == 0, made.stderr[-2000:]
    assert "backup written" in made.stdout and backup_file.stat().st_size > 0

    target = databases.new()   # fresh: no tables at all
    restored = databases.flask(target, "ops", "restore", "--from", str(backup_file))
    assert restored.returncode == 0, restored.stderr[-2000:]

    before, after = counts(source), counts(target)
    assert after == before
    assert all(before[table] > 0 for table in MAIN_TABLES), before
    verified = databases.flask(target, "audit", "verify", "--head", head.stdout)
    assert verified.returncode == 0, verified.stderr
    assert f"audit chain intact: {before['audit_entries']} entries" in verified.stdout
    versions = [databases.flask(url, "db", "current").stdout.split() for url in (source, target)]
    assert versions[0] and versions[1] == versions[0]  # the schema's version came along

    # a database that holds data is not overwritten by mistake
    again = databases.flask(target, "ops", "restore", "--from", str(backup_file))
    assert again.returncode != 0 and "not empty" in again.stderr
    assert counts(target) == before
    replaced = databases.flask(target, "ops", "restore", "--from", str(backup_file), "--clean")
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    assert counts(target) == before


def test_a_file_that_is_not_a_backup_is_refused(databases, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    result = databases.flask(databases.new(), "ops", "restore", "--from", str(bogus))
    assert result.returncode != 0 and "is not a" in result.stderr
