"""Builders for inspection tests: facilities at known positions, plans, scans."""
from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from pm_platform.inspections import scanning, service
from pm_platform.places.models import Building

# A compound courtyard in Shanghai; 0.001° of latitude is about 111 m.
LAT, LNG = 31.230000, 121.470000


def building(session, compound, name="1栋"):
    b = session.query(Building).filter_by(compound_id=compound.id, name=name).one_or_none()
    if b is None:
        b = Building(compound_id=compound.id, name=name)
        session.add(b)
        session.flush()
    return b


def facility(session, actor, compound, kind="extinguisher", name=None, lat=LAT, lng=LNG, **extra):
    building(session, compound)
    data = service.FacilityInput(kind=kind, name=name or f"{kind}-{lat}-{lng}", building="1栋", floor="1",
                                 location_text="楼道东侧", lat=lat, lng=lng, **extra)
    item = service.create_facility(session, actor, compound.id, data)
    session.commit()
    return item


def token(session, facility_id):
    return service.live_label(session, facility_id).token


def jpeg(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def extinguisher_answers(pressure="1.2", seal="pass"):
    return [{"item": "pressure", "value": pressure}, {"item": "seal", "value": seal},
            {"item": "body", "value": "pass"}, {"item": "in_date", "value": "pass"}]


def hydrant_answers():
    return [{"item": "pressure", "value": 0.3}, {"item": "hose", "value": True}, {"item": "access", "value": True}]


def inspect(session, user, item, answers=None, lat=LAT, lng=LNG, accuracy=8, opened=None, submitted=None,
            photos=None):
    """Open the label (at `opened`) and submit (at `submitted`), as a phone would."""
    tok = token(session, item.id)
    scanning.open_label(session, user, tok, now=opened)
    return scanning.submit_record(session, user, tok, scanning.Submission(
        answers=extinguisher_answers() if answers is None else answers, lat=lat, lng=lng, accuracy_m=accuracy,
        photos=[("photo", jpeg())] if photos is None else photos), now=submitted or opened)


def plan(session, actor, compound, facilities, members, start=dt.time(8), end=dt.time(10), **extra):
    data = service.PlanInput(name=extra.pop("name", "日常巡检"), facility_ids=[f.id for f in facilities],
                             member_ids=[m.id for m in members], frequency=extra.pop("frequency", "daily"),
                             window_start=start, window_end=end, starts_on=extra.pop("starts_on", dt.date(2026, 1, 1)),
                             **extra)
    p = service.create_plan(session, actor, compound.id, data)
    session.commit()
    return p


def shanghai(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    from pm_platform.core.clock import SHANGHAI
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)
