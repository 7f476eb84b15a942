"""Load: a day on the full demo district, from locust in a second process, against gunicorn +
PostgreSQL + Redis + a Celery worker on loopback (benchmarks/locustfile.py says who does what).

    .venv/bin/python benchmarks/load.py [--minutes 10] [--users 40] [--spawn-rate 2] [--keep] [--reuse]

Builds its own database (postgresql://postgres@127.0.0.1:5432/pm_bench_load, or BENCH_PG's server;
dropped and created, then `flask db upgrade heads` and `flask demo`), creates a gate key per lot
(`flask devices create`), starts a Redis on a free port (or uses --redis URL, e.g. the machine's
redis://127.0.0.1:6379/N with a db number of its own), a Celery worker and gunicorn (WORKERS
gunicorn sync workers, default 4; GUNICORN_OPTIONS adds options), with the login limit raised for
the run, then runs locust for --minutes.

Prints p50/p95/p99 per endpoint (locust's CSV stats), requests per second, every failure with the
response it got (and the server's tracebacks, if any), the gunicorn workers' RSS at the start and
at the end, and the machine's load average before, during and after (the machine is shared: the
latencies move with it). Everything printed, and locust's CSVs, go to benchmarks/out/ too.
Exits 1 when any request failed.

--keep leaves the database (and instance/ secrets) for a look afterwards; --reuse takes a database
left by --keep instead of building the demo again (for working on the locustfile).
Needs the bench extra: .venv/bin/pip install -e '.[bench]'.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _common import wait_until_serving  # noqa: E402  (benchmarks/ is the script's folder)

from sqlalchemy import create_engine, text  # noqa: E402

from pm_platform.config import normalise_database_url  # noqa: E402
from tests.live import _wait_for_port, free_port  # noqa: E402

BIN = Path(sys.executable).parent
OUT = ROOT / "benchmarks" / "out"
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "pm_bench_load"
WORKERS = int(os.environ.get("WORKERS", 4))
GUNICORN_OPTIONS = os.environ.get("GUNICORN_OPTIONS", "").split()
PASSWORD = "demo-pass-2026"


class Report:
    """Prints and keeps every line for the file in benchmarks/out/."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


say = Report()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def run(env: dict, *args: str, timeout: float = 1800) -> str:
    result = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def fresh_database(reuse: bool) -> tuple[str, bool]:
    admin = create_engine(normalise_database_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        present = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).scalar()
        if not (reuse and present):
            c.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}", bool(reuse and present)


def drop_database() -> None:
    admin = create_engine(normalise_database_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def load_data(env: dict, url: str, path: Path) -> dict:
    """What the locust users need that a person has in hand: the facility labels the inspector
    scans (token and position) and each gate's lot and device key."""
    from pm_platform import create_app
    from pm_platform.core.models import User
    from pm_platform.extensions import db
    from pm_platform.inspections.models import Facility, FacilityLabel
    from pm_platform.inspections.scanning import can_inspect
    from pm_platform.parking.models import ParkingLot
    from sqlalchemy import select

    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True})
    with app.app_context():
        session = db.session
        inspector = session.scalar(select(User).where(User.username == "inspector"))
        facilities = [
            {"token": token, "name": facility.name, "lat": f"{facility.lat_e6 / 1e6:.6f}",
             "lng": f"{facility.lng_e6 / 1e6:.6f}"}
            for facility, token in session.execute(
                select(Facility, FacilityLabel.token).join(FacilityLabel, FacilityLabel.facility_id == Facility.id)
                .where(FacilityLabel.revoked_at.is_(None), Facility.is_active, Facility.lat_e6.is_not(None))
                .order_by(Facility.id)).all()
            if can_inspect(session, inspector, facility)]
        lots = session.execute(select(ParkingLot.id, ParkingLot.compound_id).order_by(ParkingLot.id)).all()
        db.session.remove()
        db.engine.dispose()
    data = {"password": PASSWORD, "facilities": facilities, "lots": [
        {"lot_id": lot_id, "key": run(env, "flask", "--app", "wsgi", "devices", "create", "--kind", "gate",
                                      "--scope", f"compound:{compound_id}", "--name", "压测道闸").strip()}
        for lot_id, compound_id in lots]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data



def worker_pids(master: int) -> list[int]:
    return sorted(int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split())


def rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def counts(url: str) -> dict[str, int]:
    """What the load left behind, to see that it did real work."""
    queries = {
        "work orders": "SELECT count(*) FROM work_orders",
        "inspection records": "SELECT count(*) FROM inspection_records",
        "gate events": "SELECT count(*) FROM parking_gate_events",
        "payment orders paid": "SELECT count(*) FROM payment_orders WHERE status = 'paid'",
        "ballots": "SELECT count(*) FROM ballots",
        "jobs queued": "SELECT count(*) FROM outbox_messages",
        "jobs done": "SELECT count(*) FROM outbox_messages WHERE done_at IS NOT NULL",
    }
    engine = create_engine(normalise_database_url(url))
    result = {}
    with engine.connect() as c:
        for label, sql in queries.items():
            try:
                result[label] = c.execute(text(sql)).scalar_one()
            except Exception:  # a table renamed since: leave the figure out
                c.rollback()
    engine.dispose()
    return result


class LoadSampler(threading.Thread):
    """The 1-minute load average every 10 s while locust runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(10):
            self.samples.append(os.getloadavg()[0])


def stats_rows(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def csv_rows(prefix: Path, name: str) -> list[dict]:
    """locust's `failures` (Method, Name, Error, Occurrences) or `exceptions` (Count, Message,
    Traceback: errors in the locustfile itself) CSV."""
    path = Path(f"{prefix}_{name}.csv")
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def server_errors(log: Path) -> list[str]:
    """Entries of a server's log (each starts with a bracketed date) that are errors or tracebacks."""
    if not log.exists():
        return []
    entries = re.split(r"(?m)^(?=\[\d{4}-)", log.read_text(errors="replace"))
    return [entry.strip()[-3000:] for entry in entries
            if re.search(r"ERROR|CRITICAL|Traceback", entry.split("\n", 1)[0]) or "Traceback" in entry][:10]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--redis", default=None, help="a Redis URL to use instead of starting one")
    parser.add_argument("--keep", action="store_true", help="leave the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    prefix = OUT / f"load-{stamp}"
    logs = {name: Path(f"{prefix}-{name}.log") for name in ("gunicorn", "celery", "locust")}
    processes: list[subprocess.Popen] = []
    say(f"Load on the full demo: {args.users} locust users (spawned {args.spawn_rate}/s) for {args.minutes:g} min, "
        f"gunicorn {WORKERS} sync workers{' ' + ' '.join(GUNICORN_OPTIONS) if GUNICORN_OPTIONS else ''}, "
        f"PostgreSQL, Redis, a Celery worker; all on this machine")
    say(f"load average at the start: {load_average()}")
    url, reused = fresh_database(args.reuse)
    redis_port = None if args.redis else free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis or f"redis://127.0.0.1:{redis_port}/0",
           "PM_LOCAL_SECRETS": "1", "PAYMENT_SANDBOX": "1", "LOGIN_RATE_LIMIT": "100000 per minute",
           "PYTHONPATH": str(ROOT), "FLASK_APP": "wsgi"}
    env.pop("FLASK_DEBUG", None)
    try:
        if redis_port:
            processes.append(subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _wait_for_port(redis_port, "redis-server")
        started = time.monotonic()
        from pm_platform.core.i18n import compile_catalogs
        compile_catalogs()
        if reused:
            say("demo: reusing the database of an earlier --keep run")
        else:
            run(env, "flask", "db", "upgrade", "heads")
            demo = run(env, "flask", "demo")
            say(f"demo built in {time.monotonic() - started:.0f} s:")
            for line in demo.strip().splitlines():
                say(f"  {line.strip()}")
        data_file = Path(f"{prefix}-data.json")
        data = load_data(env, url, data_file)
        say(f"  {len(data['facilities'])} facility labels for the inspector, {len(data['lots'])} gate lots with keys")
        before = counts(url)

        worker_log = open(logs["celery"], "wb")
        processes.append(subprocess.Popen(
            [str(BIN / "celery"), "-A", "wsgi:celery", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT))
        port = free_port()
        web_log = open(logs["gunicorn"], "wb")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(WORKERS), *GUNICORN_OPTIONS, "wsgi:app"],
            cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT)
        processes.append(server)
        base = f"http://127.0.0.1:{port}"
        _wait_for_port(port, "gunicorn", timeout=120)
        wait_until_serving(base, WORKERS)
        workers = worker_pids(server.pid)
        rss_start = {pid: rss_mib(pid) for pid in workers}

        say(f"\nlocust from {time.strftime('%H:%M:%S')}; load average then: {load_average()}")
        sampler = LoadSampler()
        sampler.start()
        locust_env = {**os.environ, "PM_LOAD_DATA": str(data_file), "PYTHONPATH": str(ROOT)}
        with open(logs["locust"], "wb") as locust_log:
            result = subprocess.run(
                [str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
                 "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{int(args.minutes * 60)}s",
                 "--host", base, "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
                 "--exit-code-on-error", "0"],
                cwd=ROOT, env=locust_env, stdout=locust_log, stderr=subprocess.STDOUT,
                timeout=args.minutes * 60 + 300)
        sampler.stop.set()
        load_end = load_average()
        rss_end = {pid: rss_mib(pid) for pid in worker_pids(server.pid)}
        if result.returncode != 0:
            say(f"locust exited {result.returncode}; its log: {logs['locust']}")
        time.sleep(5)  # the worker finishes the jobs the last requests queued
        after = counts(url)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        if not args.keep:
            drop_database()

    rows = stats_rows(prefix)
    say("\nper endpoint, ms (locust's figures: client side, over loopback, locust on the same 2 cores)")
    say(f"  {'':58} {'count':>7} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'fail':>5}")
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", -int(r["Request Count"]))):
        label = "all requests" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        say(f"  {label[:58]:58} {int(row['Request Count']):7d} {float(row['Requests/s']):6.2f} {row['50%']:>6} "
            f"{row['95%']:>6} {row['99%']:>6} {float(row['Max Response Time']):6.0f} {int(row['Failure Count']):5d}")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    failed, crashed = csv_rows(prefix, "failures"), csv_rows(prefix, "exceptions")
    error_count = int(total["Failure Count"]) + sum(int(e["Count"]) for e in crashed)
    say(f"\nrequests: {total['Request Count']} at {float(total['Requests/s']):.1f}/s; errors: {error_count}")
    for error in failed:
        say(f"  {error['Occurrences']}x {error['Method']} {error['Name']}: {error['Error']}")
    for error in crashed:
        say(f"  {error['Count']}x locustfile error {error['Message']}")
        say("    " + error["Traceback"].strip().replace("\n", "\n    ")[-1500:])
    for name in ("gunicorn", "celery"):
        for block in server_errors(logs[name]):
            say(f"  {name} log: {block}")
    say(f"\ngunicorn workers' RSS, MiB: start {' '.join(f'{v:.0f}' for v in rss_start.values() if v)} "
        f"(sum {sum(v for v in rss_start.values() if v):.0f}); end "
        f"{' '.join(f'{v:.0f}' for v in rss_end.values() if v)} (sum {sum(v for v in rss_end.values() if v):.0f})"
        + ("" if set(rss_end) == set(rss_start) else "; workers were replaced during the run"))
    samples = sampler.samples or [os.getloadavg()[0]]
    say(f"load average: during the run (1 min, every 10 s) min {min(samples):.2f}, mean "
        f"{sum(samples) / len(samples):.2f}, max {max(samples):.2f}; at the end {load_end}")
    say("what the load did: " + ", ".join(f"{label} +{after[label] - before.get(label, 0)}"
                                          for label in after if label in before))
    pending = after.get("jobs queued", 0) - after.get("jobs done", 0)
    say(f"jobs not done at the end: {pending}")
    report_file = Path(f"{prefix}.txt")
    report_file.write_text("\n".join(say.lines) + "\n", encoding="utf-8")
    print(f"\nfigures: {report_file} (and {prefix.name}_stats.csv, _failures.csv, the servers' logs)")
    return 1 if error_count else 0


if __name__ == "__main__":
    sys.exit(main())
