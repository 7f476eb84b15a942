"""/healthz says whether this web process can serve: the database and Redis, each by name."""
import subprocess

import pytest
from sqlalchemy import create_engine

from pm_platform.extensions import db
from tests.live import _wait_for_port, free_port


def test_healthy_without_redis_says_redis_is_not_configured(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}
    assert "no-store" in response.headers["Cache-Control"]


@pytest.fixture
def redis_server():
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, "redis-server")
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_redis_up_then_down(app, client, monkeypatch, redis_server):
    process, port = redis_server
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
    up = client.get("/healthz")
    assert up.status_code == 200 and up.json == {"status": "ok", "database": "ok", "redis": "ok"}

    process.terminate()
    process.wait(10)  # the port is closed now
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json == {"status": "down", "database": "ok", "redis": "down"}


def test_a_closed_redis_port_is_503_redis_down(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "down", "database": "ok", "redis": "down"}


def test_an_unreachable_database_is_503_database_down(client, monkeypatch, tmp_path):
    unreachable = create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")  # cannot be opened
    monkeypatch.setattr(db, "engine", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "down", "database": "down", "redis": "not configured"}
