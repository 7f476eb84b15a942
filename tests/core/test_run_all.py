"""scripts/run-all starts the whole platform on one machine (web, worker, beat, relay) and stops
it on SIGTERM: a job written by a request reaches the worker through Redis, and /metrics adds up
the web's and the worker's processes."""
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.live import ROOT, _wait_for_port, free_port

pytestmark = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "honcho").exists(), reason="needs the project's .venv")


def get(url: str):
    """(status, body), or None while the server cannot answer yet (its workers still booting)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def wait_until(check, what: str, log_path, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}:\n{log_path.read_text(errors='replace')[-5000:]}")


@pytest.fixture
def redis_url():
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis.terminate()
        redis.wait(10)


def test_run_all_starts_every_process_and_stops_them(app, tmp_path, redis_url):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'run-all.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORT": str(port),
           "PM_LOCAL_SECRETS": "1", "IDENTITY_KEY": app.config["IDENTITY_KEY"], "WEB_CONCURRENCY": "2",
           "EXTRA_TASK_MODULES": "tests.jobs",
           "CELERY_CONCURRENCY": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
           "CELERY_BEAT_SCHEDULE": str(tmp_path / "beat-schedule")}
    log_path = tmp_path / "run-all.log"
    with open(log_path, "wb") as log:
        honcho = subprocess.Popen([str(ROOT / "scripts" / "run-all")], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_until(lambda: get(f"{base}/healthz") if _open(port) else None, "the web", log_path)
        assert health[0] == 200 and json.loads(health[1]) == {"status": "ok", "database": "ok", "redis": "ok"}

        # a job goes request → outbox → relay/redis → worker: queue one from a shell, as a request would
        queued = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "python"), "-c",
             "from wsgi import app\nfrom pm_platform.core import logs, outbox\nfrom pm_platform.extensions import db\n"
             "with app.app_context(), logs.request_id_context('smoke-run-all-1'):\n"
             "    outbox.enqueue(db.session, 'core.echo', 'smoke')\n    db.session.commit()\n"],
            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
        assert queued.returncode == 0, queued.stderr[-2000:]
        wait_until(lambda: "job core.echo done" in log_path.read_text(errors="replace"), "the worker to run the job", log_path)
        lines = [json.loads(line.split("| ", 1)[1]) for line in log_path.read_text(errors="replace").splitlines()
                 if "| {" in line]
        done = [line for line in lines if line.get("message") == "job core.echo done"]
        assert done[0]["request_id"] == "smoke-run-all-1"

        # the worker's counts show in the web's /metrics (one directory shared by every process)
        metrics = wait_until(lambda: (lambda r: r[1] if r and 'task="core.echo"' in r[1] else None)(get(f"{base}/metrics")),
                             "the job in /metrics", log_path)
        assert 'pm_task_runs_total{outcome="ok",task="core.echo"} 1.0' in metrics
        text = log_path.read_text(errors="replace")
        for name in ("web.1", "worker.1", "beat.1", "relay.1"):   # all up, none fell over
            assert f"{name} started" in text and f"{name} stopped" not in text, text[-3000:]
    finally:
        honcho.send_signal(signal.SIGTERM)
        try:
            honcho.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            raise
    assert not _open(port)  # the web is gone with the rest


def _open(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False
