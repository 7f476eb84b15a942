"""One way to let one run of a job through at a time, across processes and machines.

`serialize(session, name)` takes a PostgreSQL advisory lock named by a string, held until the
transaction ends (commit or rollback), so a second run of the same job waits for the first and then
finds its work done. SQLite lets one writer in at a time by itself, so there it takes nothing.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def serialize(session: Session, name: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
