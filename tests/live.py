"""Real processes for tests: a web server (gunicorn), a Redis, a Celery worker, each on a
database of their own.

Tests that use them work with committed data (another process cannot see a rolled-back test
transaction), so each environment gets its own database, dropped at the end.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pm_platform.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on port {port}")


class LiveEnv:
    def __init__(self, tmp_dir: Path, identity_key: str):
        self.tmp_dir = tmp_dir
        self.port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.port}/0"
        self.redis: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.web_url = ""
        base = os.environ.get("DATABASE_URL")
        if base:
            self.db_name = f"pm_worker_{uuid.uuid4().hex[:8]}"
            self._admin_url = normalise_database_url(base)
            self._admin(f'CREATE DATABASE "{self.db_name}"')
            self.url = self._admin_url.rsplit("/", 1)[0] + f"/{self.db_name}"
        else:
            self.db_name = None
            self.url = f"sqlite:///{tmp_dir / 'worker.db'}"
        self.env = {**os.environ, "DATABASE_URL": self.url, "REDIS_URL": self.redis_url,
                    "IDENTITY_KEY": identity_key, "PM_LOCAL_SECRETS": "1", "PAYMENT_SANDBOX": "1",
                    "EXTRA_TASK_MODULES": "tests.jobs",
                    "PYTHONPATH": str(ROOT)}
        self.flask("db", "upgrade", "heads")
        self.engine = create_engine(normalise_database_url(self.url))

    def flask(self, *args: str) -> str:
        result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def session(self) -> Session:
        return Session(self.engine)

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, "redis-server")

    def stop_redis(self) -> None:
        if self.redis:
            self.redis.terminate()
            self.redis.wait(10)
            self.redis = None

    def start_worker(self) -> None:
        self._log = open(self.tmp_dir / "worker.log", "ab")
        self.worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "wsgi:celery", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def kill_worker(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a pulled plug would: no clean-up runs."""
        if self.worker:
            self.worker.kill()
            self.worker.wait(20)
            self.worker = None
            self._log.close()

    def stop_worker(self) -> None:
        if self.worker:
            self.worker.terminate()
            self.worker.wait(20)
            self.worker = None
            self._log.close()

    def start_web(self, with_redis: bool = False) -> str:
        """Serve the app with gunicorn: tasks eager (no Redis), as `./dev demo` would, or through
        this env's Redis (`with_redis`), as in production."""
        web_port = free_port()
        self._web_log = open(self.tmp_dir / "web.log", "ab")
        self.web = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{web_port}", "-w", "2", "wsgi:app"],
            # every browser test signs in from 127.0.0.1: keep the login limit out of their way
            cwd=ROOT, env={**self.env, "REDIS_URL": self.redis_url if with_redis else "",
                           "LOGIN_RATE_LIMIT": "1000 per minute"},
            stdout=self._web_log, stderr=subprocess.STDOUT)
        _wait_for_port(web_port, "gunicorn")
        self.web_url = f"http://127.0.0.1:{web_port}"
        return self.web_url

    def stop_web(self) -> None:
        if self.web:
            self.web.terminate()
            self.web.wait(20)
            self.web = None
            self._web_log.close()

    def worker_log(self) -> str:
        path = self.tmp_dir / "worker.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.session() as session:
                value = predicate(session)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; worker log:\n{self.worker_log()}")

    def close(self) -> None:
        self.stop_web()
        self.stop_worker()
        self.stop_redis()
        self.engine.dispose()
        if self.db_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        engine = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(sql))
        engine.dispose()
