"""Roster import: 50,000 rows on PostgreSQL (target: under 60 s), beside the time to merely
parse the same file and a bare bulk INSERT of the same number of units.

    .venv/bin/python benchmarks/roster_import.py [ROWS]
"""
from __future__ import annotations

import io
import random
import sys

from _common import Timer, bench_app
from openpyxl import Workbook
from sqlalchemy import insert, text

from pm_platform.core.sheets import read_table
from pm_platform.extensions import db
from pm_platform.places import roster
from pm_platform.places.demo import demo_id_number
from pm_platform.places.models import AdminArea, Building, Compound, Unit
from pm_platform.places.service import create_user_with_role


def make_roster(rows: int) -> bytes:
    rng = random.Random(7)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("roster")
    sheet.append([c.zh for c in roster.COLUMNS])
    for n in range(rows):
        building, rest = divmod(n, 120)
        entrance, rest = divmod(rest, 12)
        floor, flat = divmod(rest, 2)
        sheet.append([f"{building + 1}栋", str(entrance + 1), floor + 1, f"{floor + 1}0{flat + 1}",
                      round(rng.uniform(40, 140), 2), "住宅", "业主", "13800000000", demo_id_number(n),
                      f"证{n:07d}", "个人", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main(rows: int) -> None:
    data = make_roster(rows)
    timer = Timer()
    with bench_app() as app:
        session = db.session
        district = AdminArea(kind="district", name="区")
        street = AdminArea(kind="street", name="街道", parent=district)
        community = AdminArea(kind="community", name="社区", parent=street)
        session.add_all([district, street, community])
        session.flush()
        compound = Compound(name="基准小区", community_id=community.id, street_id=street.id, district_id=district.id)
        session.add(compound)
        admin = create_user_with_role(session, "bench-admin", "bench-password", "admin", None)
        session.commit()

        with timer.measure(f"baseline: parse the .xlsx only ({rows:,} rows)"):
            read_table("roster.xlsx", data, roster.COLUMNS, max_rows=roster.MAX_ROWS)
        with timer.measure(f"baseline: bare bulk INSERT of {rows:,} units"):
            b = Building(compound_id=compound.id, name="scratch")
            session.add(b)
            session.flush()
            session.execute(insert(Unit), [{"compound_id": compound.id, "building_id": b.id, "entrance": "",
                                            "floor": 1, "room": str(n), "area_cm2": 8000, "use": "residential"}
                                           for n in range(rows)])
            session.rollback()
        with timer.measure(f"import_roster: {rows:,} rows, first time"):
            result = roster.import_roster(session, admin, compound.id, "roster.xlsx", data)
            session.commit()
        with timer.measure("import_roster: the same file again (changes nothing)"):
            again = roster.import_roster(session, admin, compound.id, "roster.xlsx", data)
            session.commit()
        units = session.execute(text("SELECT count(*) FROM units")).scalar_one()
    timer.report(f"Roster import on {app.config['DATABASE_URL'].split('://')[0]}")
    print(f"  units created {result.units_created:,}, owners created {result.owners_created:,}; "
          f"second run changed anything: {again.changed}; units in db: {units:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
