"""When the database restarts under a running platform, a caller holding one of the dropped
connections is told to try again (503), and the next request works: no 500, no stuck worker."""
import os

import psycopg
import pytest
from sqlalchemy import text

from pm_platform.extensions import db

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="needs PostgreSQL: a server that can drop the platform's connections")


def test_a_database_restart_costs_one_retry(app, client, session):
    test_connection = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.session.remove()
    db.session.configure(bind=db.engine)  # requests draw pooled connections, as in production
    unknown_key = {"Authorization": "Bearer no-such-key"}
    assert client.post("/api/v1/parking/gate-events", json={}, headers=unknown_key).status_code == 401

    # the server drops its connections (as a restart does), all but the test's own transaction
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        dropped = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                                "datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                                (test_connection,)).fetchone()[0]
    assert dropped >= 1

    lost = client.post("/api/v1/parking/gate-events", json={}, headers=unknown_key)
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
    assert lost.json["error"]["code"] == "database_unavailable"
    assert client.post("/api/v1/parking/gate-events", json={}, headers=unknown_key).status_code == 401
