"""Demo facilities, plans and a week of rounds in the compounds of the first firm: most items
inspected on time, some late or flagged, a few missed, and defects that became work orders."""
from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.inspections import checklists, scanning, service
from pm_platform.inspections.models import KINDS, Facility
from pm_platform.places.models import Building, Compound, ServiceContract

COMPOUNDS = 3
DAYS = {"full": 7, "small": 3}  # days of past rounds
BASE_LAT, BASE_LNG = 31.2300, 121.4700
NAMES = {"extinguisher": "灭火器", "hydrant": "消火栓", "pump": "生活水泵", "elevator": "加装电梯", "gate": "道闸",
         "camera": "监控摄像头", "ev_charger": "充电桩", "roof": "屋面", "drain": "雨水井"}


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    days = DAYS[size]
    if session.scalar(select(Facility.id).limit(1)):
        return "already present"
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(("manager", "inspector"))))}
    if len(users) < 2:
        return "skipped (no demo users)"
    manager, inspector = users["manager"], users["inspector"]
    firm_id = session.scalar(select(ServiceContract.firm_id).join(Compound).order_by(Compound.id).limit(1))
    compound_ids = session.scalars(select(ServiceContract.compound_id).where(ServiceContract.firm_id == firm_id)
                                   .order_by(ServiceContract.compound_id).limit(COMPOUNDS)).all()
    now = clock.now_utc()
    today = clock.to_local(now).date()
    facilities, records, flagged = 0, 0, 0
    for c_index, compound_id in enumerate(compound_ids):
        buildings = session.scalars(select(Building.name).where(Building.compound_id == compound_id)
                                    .order_by(Building.id).limit(4)).all()
        made = []
        for k_index, kind in enumerate(KINDS):
            for n in range(2 if kind in ("extinguisher", "camera") else 1):
                lat = BASE_LAT + c_index * 0.01 + k_index * 0.0002 + n * 0.00005
                made.append(service.create_facility(session, manager, compound_id, service.FacilityInput(
                    kind=kind, name=f"{buildings[(k_index + n) % len(buildings)]}{NAMES[kind]}{n + 1}号",
                    building=buildings[(k_index + n) % len(buildings)], floor="1", location_text="单元入口东侧",
                    lat=lat, lng=BASE_LNG + c_index * 0.01, renovation_project="2022年老旧小区综合改造",
                    contractor="滨河建设工程有限公司", warranty_ends_on=today + dt.timedelta(days=rng.choice((-200, 180, 400))))))
        facilities += len(made)
        service.create_plan(session, manager, compound_id, service.PlanInput(
            name="日间巡检", facility_ids=[f.id for f in made if f.kind not in ("camera", "gate")],
            member_ids=[inspector.id], frequency="daily", window_start=dt.time(8), window_end=dt.time(11),
            starts_on=today - dt.timedelta(days=days)))
        service.create_plan(session, manager, compound_id, service.PlanInput(
            name="夜间安防巡查", facility_ids=[f.id for f in made if f.kind in ("camera", "gate")],
            member_ids=[inspector.id], frequency="weekly", weekdays="1,3,5", window_start=dt.time(22),
            window_end=dt.time(1), starts_on=today - dt.timedelta(days=days)))
        # Past days and today: each day's rounds made as the worker makes them (ahead, so at the
        # day's start at the latest: a window already over when the demo is built still has its
        # round), walked (mostly) up to now, then closed by the missed-detection job.
        for back in range(days, -1, -1):
            day = today - dt.timedelta(days=back)
            service.create_rounds_ahead(session, now=clock.local_midnight_utc(day), days=0)
            for item in made:
                if item.kind in ("camera", "gate") or rng.random() < 0.08:
                    continue  # the night route is left to the job; a few day items are skipped
                at = clock.local_midnight_utc(day) + dt.timedelta(hours=8, minutes=rng.randrange(0, 200))
                far = rng.random() < 0.05
                fail = rng.random() < 0.04
                if at > now:
                    continue  # later today: still due
                try:
                    _inspect(session, inspector, item, at, far, fail)
                    records += 1
                    flagged += far
                except scanning.PresenceNotProven:  # a high-risk record refused, as the real page would
                    continue
            service.mark_missed(session, now=min(now, clock.local_midnight_utc(day + dt.timedelta(days=1))
                                                 + dt.timedelta(hours=2)))
    service.create_rounds_ahead(session, now=now)
    return f"{facilities} facilities in {len(compound_ids)} compounds, {records} inspection records ({flagged} flagged)"


def _inspect(session: Session, user: User, facility: Facility, at: dt.datetime, far: bool, fail: bool) -> None:
    checklist = checklists.checklist_for(session, facility.compound_id, facility.kind)
    answers = []
    for item in checklist.items:
        if item["type"] == "pass_fail":
            answers.append({"item": item["key"], "value": "fail" if fail else "pass"})
            fail = False
        elif item["type"] == "number":
            answers.append({"item": item["key"], "value": round(((item["min"] or 0) + (item["max"] or 0)) / 2, 2)})
        elif item["type"] == "text":
            answers.append({"item": item["key"], "value": "正常"})
    photos = [(i["key"], _PHOTO) for i in checklist.items if i["type"] == "photo"]
    token = service.live_label(session, facility.id).token
    with session.begin_nested():
        scanning.open_label(session, user, token, now=at - dt.timedelta(minutes=2))
        scanning.submit_record(session, user, token, scanning.Submission(
            answers=answers, lat=facility.lat_e6 / 1e6 + (0.002 if far else 0.00002), lng=facility.lng_e6 / 1e6,
            accuracy_m=8, photos=photos), now=at)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 90)).save(out, "JPEG")
    return out.getvalue()


_PHOTO = _jpeg()
