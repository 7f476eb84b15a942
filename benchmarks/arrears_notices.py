"""催缴通知书 of one building (21 units in arrears, one page each), fetched through its page as
the clerk does, beside a one-page PDF rendered in the same run (the bare core.pdf self-test).

    /work/main/.venv/bin/python benchmarks/arrears_notices.py          # SQLite in a temp dir
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pm_bench_notices python benchmarks/arrears_notices.py
      (an empty PostgreSQL database you created for this; the schema is built by the migrations)

Prints the first render's time (fonts not yet loaded in this process), then the median and the
worst of the following renders (target: under 1 s), and the self-test's first and median times;
wall-clock time beside the process's CPU time (on a shared machine the wall time grows with the
load, printed at the end).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import area_tree  # noqa: E402  (benchmarks/ is the script's folder)

import flask_migrate  # noqa: E402

from pm_platform import create_app  # noqa: E402
from pm_platform.core.auth import create_user  # noqa: E402
from pm_platform.extensions import db  # noqa: E402
from pm_platform.fees import service  # noqa: E402
from pm_platform.places.models import Building, Compound, Owner, Ownership, RoleGrant, Unit  # noqa: E402

UNITS, MONTHS, RUNS = 21, 6, 10
AS_OF = "2026-08-01"


def build(session) -> tuple[int, object]:
    """A compound with one building of 21 units, each owing six months of two fees."""
    district, street, community = area_tree(session)
    compound = Compound(name="东风新村1号院", community_id=community.id, street_id=street.id, district_id=district.id)
    session.add(compound)
    session.flush()
    building = Building(compound_id=compound.id, name="3栋")
    session.add(building)
    session.flush()
    for n in range(UNITS):
        unit = Unit(compound_id=compound.id, building_id=building.id, entrance=str(n % 3 + 1), floor=n // 3 + 1,
                    room=f"{n // 3 + 1}0{n % 3 + 1}", area_cm2=8000 + 137 * n, use="residential")
        owner = Owner(name=f"业主{n}", id_number_hash=f"h{n}", id_number_masked=f"m{n}", owner_type="person")
        session.add_all([unit, owner])
        session.flush()
        session.add(Ownership(unit_id=unit.id, owner_id=owner.id, is_voter=True, certificate_hash=""))
    admin = create_user(session, "bench-admin", "bench-password-1")
    session.add(RoleGrant(user_id=admin.id, role="admin"))
    session.flush()
    service.create_fee_item(session, admin, compound.id, name="物业服务费", kind="per_area", rate_fen=120,
                            applies_to="residential", from_period="2026-01")
    service.create_fee_item(session, admin, compound.id, name="垃圾处理费", kind="fixed", rate_fen=1000,
                            from_period="2026-01", due_day=20)
    for month in range(1, MONTHS + 1):
        service.bill_compound(session, compound.id, f"2026-{month:02d}")
    service.set_late_fee(session, admin, compound.id, 5)
    session.commit()
    return building.id, admin


CPU: list[float] = []  # the process's CPU time of each timed call, beside its wall-clock time


def timed(fn) -> tuple[float, object]:
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, value


def pages(pdf: bytes) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"DATABASE_URL": url, "REDIS_URL": None, "LOCAL_SECRETS": True,
                      "TESTING": False})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        building_id, admin = build(db.session)
        admin_id = admin.id
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(admin_id)
        flask_session["_fresh"] = True

    def notices() -> bytes:
        response = client.get(f"/fees/buildings/{building_id}/notices.pdf?as_of={AS_OF}")
        assert response.status_code == 200, response.status_code
        return response.data

    def selftest() -> bytes:
        from pm_platform.core.pdf import render_pdf
        from pm_platform.core.qr import qr_data_uri

        with app.test_request_context():
            return render_pdf("pdf/_selftest.html", {"unit": "3栋502", "amount": "¥1,406.88",
                                                     "qr": qr_data_uri("https://pm.example.cn/r/0001")})

    first, pdf = timed(notices)  # the first PDF of this process: fonts are loaded here
    first_cpu = CPU[-1]
    selftest_first, _ = timed(selftest)
    notice_times, selftest_times, notice_cpu, selftest_cpu = [], [], [], []
    for _round in range(RUNS):  # interleaved, so both see the same state
        seconds, pdf = timed(notices)
        notice_times.append(seconds)
        notice_cpu.append(CPU[-1])
        seconds, _ = timed(selftest)
        selftest_times.append(seconds)
        selftest_cpu.append(CPU[-1])

    print(f"database: {url.split(':', 1)[0]}; building of {UNITS} units in arrears, {MONTHS} months × 2 fees each; "
          f"{pages(pdf)} pages, {len(pdf):,} bytes")
    median = statistics.median
    print(f"{'':46} {'wall':>8}   {'CPU':>8}")
    print(f"arrears notices, first render (fonts loaded) : {first:8.3f} s {first_cpu:8.3f} s")
    print(f"arrears notices, median of the next {RUNS:<2}       : {median(notice_times):8.3f} s "
          f"{median(notice_cpu):8.3f} s  (target < 1 s)")
    print(f"arrears notices, worst of the next {RUNS:<2}        : {max(notice_times):8.3f} s {max(notice_cpu):8.3f} s")
    print(f"one-page self-test (core.pdf), after notices : {selftest_first:8.3f} s")
    print(f"one-page self-test, median of {RUNS:<2}             : {median(selftest_times):8.3f} s "
          f"{median(selftest_cpu):8.3f} s")
    print(f"ratio notices / self-test (wall medians)     : {median(notice_times) / median(selftest_times):8.1f}×")
    print(f"load average while it ran: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)")


if __name__ == "__main__":
    main()
