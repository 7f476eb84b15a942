"""Gate events under load: POST /api/v1/parking/gate-events at 200 requests per second on
gunicorn (loopback), load from wrk in a second process; target p95 < 50 ms. The baseline is
GET /healthz (one SELECT 1, and a Redis PING when REDIS_URL is set) under the same load, in the same run.

    .venv/bin/python benchmarks/gate_events.py [SECONDS [ROUNDS]] [--sqlite]

Each round is the baseline then the gate load; several rounds show how much the figures move
on a shared machine. CPU per request is read from /proc for the gunicorn workers and the
database backends, so the cost of an event can be compared even when the latencies are not.

The lot has 100,000 stays on record before the load (see add_history). Every request is a new event: each wrk thread's plates enter, then (a later pass) leave, so
half the load is exits that price the stay with the tariff and open a payment order.
Needs wrk (Debian package `wrk`).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import bench_app, wait_until_serving

from pm_platform.core import clock
from pm_platform.extensions import db
from pm_platform.parking import service as parking
from pm_platform.places.models import AdminArea, Compound
from pm_platform.places.service import create_device, create_user_with_role
from tests.live import _wait_for_port, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RATE = 200          # requests per second offered, across all connections
THREADS = 2         # wrk threads; each offers RATE / THREADS
CONNECTIONS = 20    # enough that a slow answer does not hold the offered rate back
WORKERS = int(os.environ.get("WORKERS", 4))                 # gunicorn sync workers
GUNICORN_OPTIONS = os.environ.get("GUNICORN_OPTIONS", "").split()  # e.g. "-k gthread --threads 2", to compare
HISTORY_STAYS = 100_000   # stays already on record before the load
PLATES = 500        # per wrk thread: these plates enter, then leave, then enter again ...

# wrk script. `delay()` paces each thread to fixed send slots (open loop while a connection is
# free), so the offered rate stays at RATE however long the answers take; every request is a new
# event with a valid plate; a thread's plates enter, then leave (priced, a payment order opened),
# then enter again, so the load is half entries and half exits.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } pm_timeval;
int gettimeofday(pm_timeval *tv, void *tz);
]]
local tv = ffi.new("pm_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
local counter, last_slot = 0, 0
local threads = {}
function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  lot_id = args[1]; key = args[2]; path = args[3]; interval = tonumber(args[4]); plates = tonumber(args[5])
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end
function delay()
  local now = now_ms()
  last_slot = math.max(now, last_slot + interval)
  return math.floor(last_slot - now)
end
function request()
  if path ~= "/api/v1/parking/gate-events" then return wrk.format("GET", path) end
  counter = counter + 1
  local plate = string.format("京A%d%04d", thread_no, counter % plates)
  local direction = (math.floor(counter / plates) % 2 == 0) and "in" or "out"
  local body = string.format('{"event_id":"t%d-%d","lot_id":%s,"plate":"%s","direction":"%s","at":"%s"}',
    thread_no, counter, lot_id, plate, direction, os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", path, nil, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d non2xx=%d duration_us=%d p50=%.3f p95=%.3f p99=%.3f max=%.3f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def seed() -> tuple[int, str]:
    session = db.session
    district = AdminArea(kind="district", name="区")
    street = AdminArea(kind="street", name="街道", parent=district)
    community = AdminArea(kind="community", name="社区", parent=street)
    session.add_all([district, street, community])
    session.flush()
    compound = Compound(name="基准小区", community_id=community.id, street_id=street.id, district_id=district.id)
    session.add(compound)
    session.flush()
    admin = create_user_with_role(session, "bench-admin", "bench-password", "admin", None)
    lot = parking.create_lot(session, admin, compound.id, "基准停车场", 5000, {
        "template": "standard", "free_minutes": 0, "first_minutes": 60, "first_price_fen": 500,
        "unit_minutes": 30, "unit_price_fen": 200, "cap_fen": 3000})
    device, key = create_device(session, None, "gate", compound.id)
    session.commit()
    add_history(lot.id, device.id)
    return lot.id, key


def add_history(lot_id: int, device_id: int) -> None:
    """A busy lot's year behind it (HISTORY_STAYS closed stays of other plates, an entry and an
    exit event each), then fresh planner statistics, as a database in service has: on empty,
    never-analysed tables the planner scans instead of using the indexes."""
    from sqlalchemy import insert, text

    from pm_platform.parking.models import GateEvent, ParkingSession

    start = clock.now_utc() - dt.timedelta(days=365)
    for first in range(0, HISTORY_STAYS, 10_000):
        numbers = range(first, min(first + 10_000, HISTORY_STAYS))
        stays = [{"lot_id": lot_id, "plate": f"沪B{n % 20_000:05d}", "status": "closed", "fee_fen": 500,
                  "paid_fen": 500, "entered_at": start + dt.timedelta(minutes=3 * n),
                  "exited_at": start + dt.timedelta(minutes=3 * n + 90)} for n in numbers]
        ids = db.session.execute(insert(ParkingSession).returning(ParkingSession.id), stays).scalars().all()
        db.session.execute(insert(GateEvent), [
            {"device_id": device_id, "event_id": f"history-{n}-{direction}", "lot_id": lot_id,
             "plate_raw": stay["plate"], "plate": stay["plate"], "direction": direction,
             "at": stay["entered_at" if direction == "in" else "exited_at"], "outcome": "accepted",
             "session_id": stay_id, "fee_fen": 0 if direction == "in" else 500, "is_open": True}
            for n, stay, stay_id in zip(numbers, stays, ids) for direction in ("in", "out")])
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()



def cpu_seconds(pids) -> float:
    """User + system CPU time the processes have used (Linux /proc), so the cost per request can
    be read even when other work on the machine disturbs the latencies."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def worker_pids(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def database_backends() -> list[int]:
    """The server processes of the benchmark database's connections, other than our own."""
    from sqlalchemy import text
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")).scalars().all()


def run_wrk(url: str, path: str, lot_id: int, key: str, seconds: int, script: str) -> dict:
    interval_ms = 1000 * THREADS / RATE
    result = subprocess.run(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "5s", "-s", script,
         url, "--", str(lot_id), key, path, str(interval_ms), str(PLATES)],
        capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"RESULT (.*)", result.stdout)
    if match is None:
        raise RuntimeError(f"wrk gave no result:\n{result.stdout}\n{result.stderr}")
    figures = {k: float(v) for k, v in (item.split("=") for item in match.group(1).split())}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    if os.environ.get("BENCH_DEBUG"):
        print(result.stdout, result.stderr)
    return figures


@dataclass
class Round:
    baseline: dict
    gate: dict
    healthz_cpu: float   # seconds, gunicorn workers, over the baseline's requests
    app_cpu: float       # seconds, gunicorn workers, over the gate events
    db_cpu: float        # seconds, PostgreSQL backends, over the gate events


def database_cpu() -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in database_backends()}


def measure_round(base: str, workers: list[int], lot_id: int, key: str, seconds: int, script: str,
                  use_postgres: bool) -> Round:
    before = cpu_seconds(workers)
    baseline = run_wrk(base, "/healthz", lot_id, key, seconds, script)
    middle = cpu_seconds(workers)
    db_before = database_cpu() if use_postgres else {}
    gate = run_wrk(base, "/api/v1/parking/gate-events", lot_id, key, seconds, script)
    db_after = database_cpu() if use_postgres else {}
    db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
    return Round(baseline, gate, middle - before, cpu_seconds(workers) - middle, db_cpu)


def main(seconds: int, rounds: int, use_postgres: bool) -> None:
    with bench_app(use_postgres=use_postgres) as app, tempfile.TemporaryDirectory() as tmp:
        lot_id, key = seed()
        url = app.config["DATABASE_URL"]
        db.session.remove()
        script = Path(tmp) / "gate.lua"
        script.write_text(LUA, encoding="utf-8")
        port = free_port()
        log = open(Path(tmp) / "gunicorn.log", "wb")
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "PM_LOCAL_SECRETS": "1", "PAYMENT_SANDBOX": "1",
               "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(WORKERS),
                                   "--preload", *GUNICORN_OPTIONS, "wsgi:app"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_for_port(port, "gunicorn", timeout=120)
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(base, WORKERS)
            run_wrk(base, "/healthz", lot_id, key, 3, str(script))  # warm the workers up
            workers = worker_pids(server.pid)
            results = [measure_round(base, workers, lot_id, key, seconds, str(script), use_postgres)
                       for _ in range(rounds)]
        finally:
            if os.environ.get("BENCH_DEBUG"):
                print((Path(tmp) / "gunicorn.log").read_text()[-3000:])
            server.terminate()
            server.wait(20)
            log.close()
        with db.engine.connect() as connection:
            from sqlalchemy import text
            events = dict(connection.execute(text(
                "SELECT direction, count(*) FROM parking_gate_events GROUP BY direction")).all())
            orders = connection.execute(text("SELECT count(*) FROM payment_orders")).scalar_one()
    print(f"\nGate events, {'PostgreSQL' if use_postgres else 'SQLite'}, gunicorn {WORKERS} sync workers, "
          f"wrk {CONNECTIONS} connections paced to {RATE}/s, {rounds} rounds of {seconds} s "
          f"(target p95 < 50 ms; {os.cpu_count()} cores here, shared by wrk, gunicorn and the database)")
    print(f"  {'':38} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-2xx':>8} "
          f"{'CPU ms/request':>15}")
    for number, result in enumerate(results, start=1):
        gate_requests = result.gate["requests"]
        rows = ((f"{number}. baseline GET /healthz", result.baseline,
                 f"{1000 * result.healthz_cpu / result.baseline['requests']:.2f}"),
                (f"{number}. POST /api/v1/parking/gate-events", result.gate,
                 f"{1000 * result.app_cpu / gate_requests:.2f} + db {1000 * result.db_cpu / gate_requests:.2f}"))
        for label, f, cpu in rows:
            print(f"  {label:38} {f['rps']:7.1f} {f['p50']:8.2f} {f['p95']:8.2f} {f['p99']:8.2f} {f['max']:8.2f} "
                  f"{int(f['non2xx'] + f['errors']):8d} {cpu:>15}")
    p95s = sorted(result.gate["p95"] for result in results)
    print(f"  gate p95 over the rounds: best {p95s[0]:.1f} ms, median {p95s[len(p95s) // 2]:.1f} ms, "
          f"worst {p95s[-1]:.1f} ms")
    print(f"  events stored: {events.get('in', 0)} entries, {events.get('out', 0)} exits; "
          f"payment orders opened by exits: {orders}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    started = time.monotonic()
    main(int(args[0]) if args else 30, int(args[1]) if len(args) > 1 else 3, "--sqlite" not in sys.argv)
    print(f"  (whole run {time.monotonic() - started:.0f} s)")
