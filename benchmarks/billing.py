"""Fees at city scale on PostgreSQL, each figure beside a baseline measured in the same run:

1. a billing run over 500,000 units (100 compounds × 5,000, one district) against a bare
   set-based INSERT … SELECT writing the same 500,000 rows (target: at most 2×);
2. arrears aging over 500,000 bills of one compound (target: under 2 s), beside a bare
   SUM over the same rows;
3. a receipt PDF (target: under 0.5 s), beside the bare self-test PDF of core.pdf.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pm_bench_fees \\
        /work/main/.venv/bin/python benchmarks/billing.py

The database named there is dropped and created again.
"""
from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import area_tree  # noqa: E402  (benchmarks/ is the script's folder)

from sqlalchemy import create_engine, text  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pm_bench_fees")
COMPOUNDS, UNITS_PER_COMPOUND, BUILDINGS_PER_COMPOUND = 100, 5_000, 50
BIG_UNITS, BIG_MONTHS = 41_667, 12  # 500,004 bills in one compound for the arrears figure
PERIOD = "2026-11"


def recreate_database() -> None:
    from pm_platform.config import normalise_database_url

    base, name = normalise_database_url(URL).rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def seed(session) -> tuple[int, int, object]:
    """One district; 100 compounds of 5,000 units for billing, one big compound for arrears.
    Rows are written with INSERT … SELECT over generate_series (areas 40–150 m², varied)."""
    from pm_platform.core.auth import create_user
    from pm_platform.places.models import AdminArea, Compound, RoleGrant

    district, street, community = area_tree(session)
    names = [f"小区{i:03d}" for i in range(COMPOUNDS)]
    compounds = [Compound(name=n, community_id=community.id, street_id=street.id, district_id=district.id) for n in names]
    session.add_all(compounds)
    other_district = AdminArea(kind="district", name="大小区区")
    session.add(other_district)
    session.flush()
    other_street = AdminArea(kind="street", name="大街道", parent_id=other_district.id)
    session.add(other_street)
    session.flush()
    other_community = AdminArea(kind="community", name="大社区", parent_id=other_street.id)
    session.add(other_community)
    session.flush()
    big = Compound(name="超大小区", community_id=other_community.id, street_id=other_street.id,
                   district_id=other_district.id)
    session.add(big)
    session.flush()
    admin = create_user(session, "bench-admin", "bench-password-1")
    session.add(RoleGrant(user_id=admin.id, role="admin"))
    for compound_id, units, buildings in [(c.id, UNITS_PER_COMPOUND, BUILDINGS_PER_COMPOUND) for c in compounds] + [
            (big.id, BIG_UNITS, 400)]:
        session.execute(text("INSERT INTO buildings (compound_id, name) SELECT :c, g || '栋' FROM generate_series(1, :b) g"),
                        {"c": compound_id, "b": buildings})
    units_sql = """
        INSERT INTO units (compound_id, building_id, entrance, floor, room, area_cm2, use)
        SELECT b.compound_id, b.id, '1', 1 + (g % 6), g::text, 4000 + ((b.id * 7919 + g * 104729) % 11001), 'residential'
        FROM buildings b CROSS JOIN generate_series(1, :per) g WHERE b.compound_id = ANY(:ids)"""
    session.execute(text(units_sql), {"per": UNITS_PER_COMPOUND // BUILDINGS_PER_COMPOUND, "ids": [c.id for c in compounds]})
    session.execute(text(units_sql), {"per": -(-BIG_UNITS // 400), "ids": [big.id]})
    session.execute(text("""DELETE FROM units WHERE id IN (SELECT id FROM units WHERE compound_id = :big
                            ORDER BY id OFFSET :n)"""), {"big": big.id, "n": BIG_UNITS})  # exactly BIG_UNITS
    session.execute(text("ANALYZE"))
    return district.id, big.id, admin


def bench_billing(engine, app, district_id: int) -> None:
    from sqlalchemy.orm import Session

    from pm_platform.extensions import db
    from pm_platform.fees import service

    with Session(engine) as session:
        compound_ids = session.scalars(text("SELECT id FROM compounds WHERE district_id = :d ORDER BY id"),
                                       {"d": district_id}).all()
        units = session.scalar(text("SELECT count(*) FROM units WHERE compound_id = ANY(:ids)"), {"ids": list(compound_ids)})
        with app.app_context():
            for compound_id in compound_ids:
                session.execute(text("""INSERT INTO fee_items (compound_id, name, kind, applies_to, cycle, due_day, is_active)
                                        VALUES (:c, '物业服务费', 'per_area', 'residential', 'monthly', 15, true)"""),
                                {"c": compound_id})
            session.execute(text("""INSERT INTO fee_rates (fee_item_id, from_period, rate_fen)
                                    SELECT id, '2026-01', 120 FROM fee_items"""))
            session.commit()
    print(f"billing: {units:,} units in {len(compound_ids)} compounds, period {PERIOD}")

    def reset() -> None:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE bills, area_charges, payment_allocations"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE bills"))

    def bare() -> int:
        """The floor: the same rows, amounts computed inline in SQL, one statement."""
        with engine.begin() as connection:
            return connection.execute(text("""
                INSERT INTO bills (compound_id, unit_id, fee_item_id, period, months, area_cm2, rate_fen, amount_fen,
                                   waived_fen, paid_fen, due_on, billing_run_id)
                SELECT u.compound_id, u.id, f.id, :period, 1, u.area_cm2, 120, (u.area_cm2 * 120 + 50) / 100,
                       0, 0, DATE '2026-11-15', NULL
                FROM units u JOIN fee_items f ON f.compound_id = u.compound_id
                WHERE u.compound_id = ANY(:ids) AND u.use = 'residential'
            """), {"period": PERIOD, "ids": list(compound_ids)}).rowcount

    def billing_run() -> int:
        with app.app_context():
            session = db.session
            run = service.start_billing_run(session, None, "district", district_id, PERIOD)  # as the schedule does
            session.commit()
            run = service.execute_billing_run(session, run.id)
            created = run.bills_created
            session.commit()
            db.session.remove()
            return created

    bare_times, run_times = [], []
    for _round in range(2):
        reset()
        seconds, rows = timed(bare)
        bare_times.append(seconds)
        assert rows == units, rows
        reset()
        seconds, created = timed(billing_run)
        run_times.append(seconds)
        assert created == units, created
    again, created_again = timed(billing_run)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*), count(DISTINCT (unit_id, fee_item_id, period)) FROM bills")).one()
        sample = connection.execute(text("SELECT area_cm2, amount_fen FROM bills WHERE area_cm2 = 8937 LIMIT 1")).first()
    bare_best, run_best = min(bare_times), min(run_times)
    print(f"  bare INSERT … SELECT : {', '.join(f'{t:.2f}' for t in bare_times)} s (best {bare_best:.2f} s, "
          f"{units / bare_best:,.0f} rows/s)")
    print(f"  billing run          : {', '.join(f'{t:.2f}' for t in run_times)} s (best {run_best:.2f} s, "
          f"{units / run_best:,.0f} bills/s)")
    print(f"  ratio run / bare     : {run_best / bare_best:.2f}× (target ≤ 2×)")
    print(f"  same period again    : {again:.2f} s, {created_again} bills created; "
          f"{total[0]:,} bills, {total[1]:,} distinct (unit, item, period)")
    if sample:
        print(f"  check: 89.37 m² × 1.20 yuan → {sample.amount_fen / 100:.2f} yuan")


def bench_arrears(engine, app, big_id: int, admin_id: int) -> None:
    from pm_platform.core.models import User
    from pm_platform.extensions import db
    from pm_platform.fees import service

    with app.app_context():
        session = db.session
        session.execute(text("""INSERT INTO fee_items (compound_id, name, kind, applies_to, cycle, due_day, is_active)
                                VALUES (:c, '物业服务费', 'per_area', 'all', 'monthly', 15, true)"""), {"c": big_id})
        session.execute(text("""INSERT INTO fee_rates (fee_item_id, from_period, rate_fen)
                                SELECT id, '2025-01', 150 FROM fee_items WHERE compound_id = :c"""), {"c": big_id})
        for month in range(BIG_MONTHS):
            service.bill_compound(session, big_id, f"2025-{month + 1:02d}")
        # about 80% of bills paid in full, some partly (balances set directly: this measures aging)
        session.execute(text("""UPDATE bills SET paid_fen = CASE WHEN id % 10 < 8 THEN amount_fen
                                WHEN id % 10 = 8 THEN amount_fen / 2 ELSE 0 END WHERE compound_id = :c"""), {"c": big_id})
        session.commit()
        session.execute(text("ANALYZE bills"))
        bills = session.scalar(text("SELECT count(*) FROM bills WHERE compound_id = :c"), {"c": big_id})
        admin = session.get(User, admin_id)
        as_of = dt.date(2026, 3, 1)

        def bare():
            return session.execute(text("""SELECT sum(amount_fen - waived_fen - paid_fen) FROM bills
                                           WHERE compound_id = :c AND due_on < :d AND amount_fen - waived_fen - paid_fen > 0"""),
                                   {"c": big_id, "d": as_of}).scalar()

        bare_times, aging_times = [], []
        for _round in range(3):
            seconds, owed = timed(bare)
            bare_times.append(seconds)
            seconds, report = timed(lambda: service.arrears_aging(session, admin, big_id, as_of))
            aging_times.append(seconds)
        assert report.total == owed, (report.total, owed)
        print(f"arrears aging: {bills:,} bills of one compound, {len(report.units):,} units in arrears, as of {as_of}")
        print(f"  bare SUM of owing    : median {statistics.median(bare_times):.3f} s")
        print(f"  aging by unit+bucket : median {statistics.median(aging_times):.3f} s (target < 2 s); "
              f"buckets {', '.join(f'{k} {v / 100:,.2f}' for k, v in report.buckets.items())}")
        service.set_late_fee(session, admin, big_id, 5)
        seconds, report = timed(lambda: service.arrears_aging(session, admin, big_id, as_of))
        print(f"  with late fee on     : {seconds:.3f} s (late fees {report.late_fee / 100:,.2f} yuan)")
        session.rollback()


def bench_receipt(app) -> None:
    from pm_platform.core.pdf import render_pdf
    from pm_platform.core.qr import qr_data_uri

    context = {
        "receipt_no": "0001-0000123", "kind": "payment", "compound": "东风新村1号院", "unit": "3栋2单元502",
        "payer": "王伟", "amount": 140688, "channel": "bank", "reference": "ICBC20261123001",
        "paid_at": "2026-11-23 10:15", "credit": 0, "amount_words": "壹仟肆佰零陆元捌角捌分", "firm": "安居物业服务有限公司",
        "lines": [{"period": f"2026-{m:02d}", "item": "物业服务费", "amount": 11724} for m in range(1, 13)],
        "verify_code": "AbCdEfGhIjKl",
        "verify_url": "https://pm.example.cn/receipts/0001-0000123/verify?code=AbCdEfGhIjKl",
    }
    with app.test_request_context():
        render_pdf("pdf/_selftest.html", {"unit": "x", "amount": "1", "qr": qr_data_uri("warm-up")})  # fonts loaded once
        selftest, receipt = [], []
        for _round in range(10):
            seconds, _ = timed(lambda: render_pdf("pdf/_selftest.html", {"unit": "3栋502", "amount": "1406.88",
                                                                         "qr": qr_data_uri(context["verify_url"])}))
            selftest.append(seconds)
            seconds, pdf = timed(lambda: render_pdf("fees/receipt.html",
                                                    context | {"qr": qr_data_uri(context["verify_url"])}))
            receipt.append(seconds)
    print("receipt PDF (12 lines, QR included, after a first warm-up render):")
    print(f"  core.pdf self-test   : median {statistics.median(selftest) * 1000:.0f} ms")
    print(f"  fees receipt         : median {statistics.median(receipt) * 1000:.0f} ms, max {max(receipt) * 1000:.0f} ms "
          f"(target < 500 ms), {len(pdf):,} bytes")


def main() -> None:
    from sqlalchemy.orm import Session

    from pm_platform import create_app
    from pm_platform.config import normalise_database_url
    from pm_platform.db import Base

    recreate_database()
    app = create_app({"DATABASE_URL": URL, "REDIS_URL": None, "LOCAL_SECRETS": True, "PAYMENT_SANDBOX": True, "SERVER_NAME": "pm.example.cn"})
    engine = create_engine(normalise_database_url(URL))
    Base.metadata.create_all(engine)
    with app.app_context(), Session(engine) as session:
        started = time.perf_counter()
        district_id, big_id, admin = seed(session)
        session.commit()
        admin_id = admin.id
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    bench_billing(engine, app, district_id)
    bench_arrears(engine, app, big_id, admin_id)
    bench_receipt(app)


if __name__ == "__main__":
    main()
