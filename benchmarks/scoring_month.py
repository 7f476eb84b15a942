"""Scoring a month for 500 compounds on PostgreSQL, and the district board's latency.

Builds a database of its own (pm_bench_scoring) with a year of records in the other domains'
tables — about 1.56 million bills, 520,000 inspection round items and 60,000 work orders with
their events and follow-up visits — inserted in bulk with SQL. Then prints:
  1. the bare SQL aggregates scoring needs for the month (the baseline), and
     `scoring.service.compute_month` for all 500 compounds (first run and rerun);
  2. the district board (500 compounds) served by gunicorn: p50/p95 of 100 requests, beside
     /healthz on the same server.

Run: /work/main/.venv/bin/python benchmarks/scoring_month.py  (needs PostgreSQL on 127.0.0.1)
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + "/pm_bench_scoring"
MONTH = "2026-10"
COMPOUNDS, UNITS_PER, FACILITIES_PER, ORDERS_PER = 500, 130, 20, 120
PASSWORD = "bench-pass-2026"

DATA_SQL = [
    "INSERT INTO admin_areas (id, kind, name, parent_id) VALUES (1, 'district', '基准区', NULL)",
    "INSERT INTO admin_areas (id, kind, name, parent_id) SELECT 1 + s, 'street', '街道' || s, 1 FROM generate_series(1, 10) s",
    "INSERT INTO admin_areas (id, kind, name, parent_id) SELECT 100 + c, 'community', '社区' || c, 1 + (c - 1) / 5 + 1 "
    "FROM generate_series(1, 50) c",
    f"INSERT INTO compounds (id, name, address, community_id, street_id, district_id) "
    f"SELECT i, '小区' || i, '', 100 + 1 + (i - 1) % 50, 1 + ((i - 1) % 50) / 5 + 1, 1 FROM generate_series(1, {COMPOUNDS}) i",
    "INSERT INTO property_firms (id, name, credit_code) SELECT f, '物业' || f, '' FROM generate_series(1, 5) f",
    f"INSERT INTO service_contracts (firm_id, compound_id, starts_on) SELECT 1 + i % 5, i, '2020-01-01' FROM generate_series(1, {COMPOUNDS}) i",
    f"INSERT INTO buildings (id, compound_id, name) SELECT i, i, '1栋' FROM generate_series(1, {COMPOUNDS}) i",
    f"INSERT INTO units (compound_id, building_id, entrance, floor, room, area_cm2, use) "
    f"SELECT i, i, '1', 1 + u / 10, u::text, 6000 + (i * 37 + u * 101) % 6000, 'residential' "
    f"FROM generate_series(1, {COMPOUNDS}) i, generate_series(1, {UNITS_PER}) u",
    f"INSERT INTO fee_items (id, compound_id, name, kind, applies_to, cycle, due_day, is_active) "
    f"SELECT 2 * i - k, i, CASE k WHEN 0 THEN '物业服务费' ELSE '垃圾处理费' END, CASE k WHEN 0 THEN 'per_area' ELSE 'fixed' END, "
    f"'all', 'monthly', 15, true FROM generate_series(1, {COMPOUNDS}) i, generate_series(0, 1) k",
    # a year of bills: every unit, both items, Dec 2025 – Nov 2026; most paid, some partly, some not
    "INSERT INTO bills (compound_id, unit_id, fee_item_id, period, months, area_cm2, rate_fen, amount_fen, waived_fen, paid_fen, due_on) "
    "SELECT u.compound_id, u.id, f.id, to_char(m, 'YYYY-MM'), 1, u.area_cm2, 120, a.amount, 0, "
    "CASE WHEN (u.id + f.id + extract(month from m)::int) % 10 < 7 THEN a.amount "
    "     WHEN (u.id + f.id) % 10 < 9 THEN a.amount / 2 ELSE 0 END, (m + interval '14 days')::date "
    "FROM units u JOIN fee_items f ON f.compound_id = u.compound_id "
    "CROSS JOIN generate_series('2025-12-01'::date, '2026-11-01'::date, interval '1 month') m "
    "CROSS JOIN LATERAL (SELECT CASE f.kind WHEN 'per_area' THEN (u.area_cm2 * 120 + 50) / 100 ELSE 1000 END AS amount) a",
    f"INSERT INTO facilities (id, compound_id, kind, name, floor, location_text, renovation_project, contractor, is_active) "
    f"SELECT (i - 1) * {FACILITIES_PER} + k, i, (ARRAY['extinguisher','hydrant','pump','elevator','gate','camera','ev_charger','roof','drain'])[1 + k % 9], "
    f"'设施' || k, '', '', '', '', true FROM generate_series(1, {COMPOUNDS}) i, generate_series(1, {FACILITIES_PER}) k",
    f"INSERT INTO inspection_plans (id, compound_id, name, frequency, weekdays, window_start, window_end, late_minutes, starts_on, is_active) "
    f"SELECT i, i, '每周巡检', 'weekly', '1', '08:00', '18:00', 60, '2025-12-01', true FROM generate_series(1, {COMPOUNDS}) i",
    f"INSERT INTO inspection_rounds (id, plan_id, compound_id, due_date, opens_at, closes_at, submit_until) "
    f"SELECT (i - 1) * 52 + w + 1, i, i, d::date, d, d + interval '10 hours', d + interval '11 hours' "
    f"FROM generate_series(1, {COMPOUNDS}) i, generate_series(0, 51) w, LATERAL (SELECT '2025-12-01'::timestamptz + w * interval '7 days' AS d) x",
    f"INSERT INTO inspection_round_items (round_id, facility_id, position, status) "
    f"SELECT r.id, (r.compound_id - 1) * {FACILITIES_PER} + k, k, "
    f"(ARRAY['on_time','on_time','on_time','on_time','on_time','on_time','on_time','late','missed','on_time'])[1 + (r.id * 7 + k * 3) % 10] "
    f"FROM inspection_rounds r, generate_series(1, {FACILITIES_PER}) k",
    # work orders through the year: most resolved within the deadline and closed with a rating
    f"INSERT INTO work_orders (id, compound_id, firm_id, source, category, priority, description, status, reporter_name, reporter_phone, "
    f"created_at, respond_due_at, resolve_due_at, accepted_at, first_resolved_at, resolved_at, closed_at, close_kind, closed_firm_id, "
    f"rating, rating_comment, escalation_level, reopen_count, has_rebounded) "
    f"SELECT (i - 1) * {ORDERS_PER} + n, i, 1 + i % 5, 'resident', 'drain', 'normal', '下水道堵塞', 'closed', '', '', "
    f"t, t + interval '2 hours', t + interval '3 days', t + interval '1 hour', t + interval '1 day' * (1 + n % 4), "
    f"t + interval '1 day' * (1 + n % 4), t + interval '5 days', 'confirmed', 1 + i % 5, 3 + n % 3, '', 0, 0, false "
    f"FROM generate_series(1, {COMPOUNDS}) i, generate_series(1, {ORDERS_PER}) n, "
    f"LATERAL (SELECT '2025-12-01'::timestamptz + (n * 73 % 360) * interval '1 day' + (i % 10) * interval '1 hour' AS t) x",
    "INSERT INTO work_order_events (work_order_id, kind, from_status, to_status, note, data, at) "
    "SELECT id, 'resolved', 'in_progress', 'resolved', '', '{}', first_resolved_at FROM work_orders",
    "INSERT INTO work_order_follow_ups (work_order_id, compound_id, week, sampled_at, visited_at, is_fixed, note) "
    "SELECT id, compound_id, to_char(closed_at, 'IYYY-\"W\"IW'), closed_at, closed_at + interval '2 days', id % 7 <> 0, '' "
    "FROM work_orders WHERE id % 10 = 0",
]
SEQUENCES = ["admin_areas", "compounds", "property_firms", "buildings", "fee_items", "facilities", "inspection_plans",
             "inspection_rounds", "work_orders"]

# what scoring needs from the month, as bare grouped SQL: the floor under any implementation
BARE_SQL = [
    "SELECT compound_id, sum(amount_fen - waived_fen), sum(paid_fen) FROM bills "
    "WHERE due_on >= '2026-10-01' AND due_on < '2026-11-01' GROUP BY compound_id",
    "SELECT r.compound_id, i.status, count(*) FROM inspection_round_items i JOIN inspection_rounds r ON r.id = i.round_id "
    "WHERE r.due_date >= '2026-10-01' AND r.due_date < '2026-11-01' GROUP BY r.compound_id, i.status",
    "SELECT compound_id, count(*) FILTER (WHERE first_resolved_at <= resolve_due_at), count(*), "
    "count(rating), count(*) FILTER (WHERE rating = 5), count(*) FILTER (WHERE rating = 4) FROM work_orders "
    "WHERE resolve_due_at >= '2026-09-30 16:00+00' AND resolve_due_at < '2026-10-31 16:00+00' GROUP BY compound_id",
    "SELECT compound_id, count(*) FILTER (WHERE NOT is_fixed), count(*) FROM work_order_follow_ups "
    "WHERE visited_at >= '2026-09-30 16:00+00' AND visited_at < '2026-10-31 16:00+00' GROUP BY compound_id",
    "SELECT compound_id, sum(area_cm2) FROM units GROUP BY compound_id",
]


def admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def build_database() -> None:
    admin("DROP DATABASE IF EXISTS pm_bench_scoring WITH (FORCE)")
    admin("CREATE DATABASE pm_bench_scoring")
    env = {**os.environ, "DATABASE_URL": DB_URL, "PM_LOCAL_SECRETS": "1", "REDIS_URL": ""}
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade", "heads"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    engine = create_engine(DB_URL)
    started = time.perf_counter()
    with engine.begin() as connection:
        for sql in DATA_SQL:
            connection.execute(text(sql))
        for table in SEQUENCES:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in ("bills", "inspection_round_items", "inspection_rounds", "work_orders", "work_order_events",
                            "work_order_follow_ups", "units")}
    engine.dispose()
    print(f"data: {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f}s  "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()))


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_compute() -> None:
    from pm_platform import create_app
    from pm_platform.extensions import db
    from pm_platform.scoring import service

    app = create_app({"DATABASE_URL": DB_URL, "LOCAL_SECRETS": True, "REDIS_URL": None})
    with app.app_context():
        def bare():
            for sql in BARE_SQL:
                db.session.execute(text(sql)).all()
        print(f"bare SQL aggregates for {MONTH} (best of 3): {best_of(bare):.2f}s")
        for label in ("compute_month, first run", "compute_month, rerun"):
            started = time.perf_counter()
            written = service.compute_month(db.session, MONTH)
            db.session.commit()
            print(f"{label}: {written} cards in {time.perf_counter() - started:.2f}s")
        totals = db.session.execute(text(
            "SELECT min(total), avg(total)::int, max(total) FROM scorecards WHERE month = :m"), {"m": MONTH}).one()
        print(f"  card totals (hundredths): min {totals[0]}, mean {totals[1]}, max {totals[2]}")
        for m in service.last_months(MONTH, 12)[:-1]:  # a year of cards for the board's trends
            service.compute_month(db.session, m)
        db.session.commit()
        from pm_platform.core.auth import create_user
        from pm_platform.places.models import RoleGrant
        user = create_user(db.session, "bench-bureau", PASSWORD, "区住建局")
        db.session.add(RoleGrant(user_id=user.id, role="bureau", scope_kind="district", scope_id=1))
        db.session.commit()


def bench_board() -> None:
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "DATABASE_URL": DB_URL, "PM_LOCAL_SECRETS": "1", "REDIS_URL": "", "PYTHONPATH": str(ROOT)}
    web = subprocess.Popen([str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", "4", "wsgi:app"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        for _ in range(100):
            try:
                page = opener.open(f"{base}/login").read().decode()
                break
            except OSError:
                time.sleep(0.1)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = {"username": "bench-bureau", "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        opener.open(f"{base}/login", urllib.parse.urlencode(form).encode()).read()

        def timed(path: str, n: int = 100) -> list[float]:
            for _ in range(5):
                opener.open(base + path).read()
            times = []
            for _ in range(n):
                started = time.perf_counter()
                body = opener.open(base + path).read()
                times.append((time.perf_counter() - started) * 1000)
            assert b"<html" in body
            return sorted(times)

        for label, path in (("/healthz (baseline)", "/healthz"),
                            ("district board, 500 compounds", f"/scores/district/1?month={MONTH}"),
                            ("street board, 50 compounds", f"/scores/street/2?month={MONTH}") ):
            times = timed(path) if "healthz" not in path else _plain(opener, base + path)
            print(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms")
    finally:
        web.terminate()
        web.wait(20)


def _plain(opener, url: str, n: int = 100) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        opener.open(url).read()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


if __name__ == "__main__":
    build_database()
    bench_compute()
    bench_board()
