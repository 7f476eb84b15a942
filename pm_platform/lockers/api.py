"""Locker cabinets over the JSON API."""
from __future__ import annotations

from flask_smorest import Blueprint

from pm_platform.api.auth import current_device, device_only
from pm_platform.extensions import db
from pm_platform.lockers import service
from pm_platform.lockers.schemas import LockerAnswerSchema, LockerEventInSchema
from pm_platform.core import clock

blp = Blueprint("lockers_api", __name__, description="Express locker cabinet events")


@blp.post("/lockers/events")
@blp.arguments(LockerEventInSchema)
@blp.response(200, LockerAnswerSchema)
@blp.alt_response(401, description="unknown or revoked device key")
@blp.alt_response(403, description="the device belongs to another compound")
@device_only
def post_locker_event(data):
    answer = service.record_locker_event(
        db.session, current_device(), event_id=data["event_id"], site_id=data["site_id"], parcel_id=data["parcel_id"],
        kind=data["kind"], at=clock.parse_device_time(data["at"]), unit_id=data["unit_id"])
    db.session.commit()
    return {"event_id": answer.event.event_id, "parcel_id": answer.parcel.parcel_code, "kind": answer.event.kind,
            "duplicate": answer.duplicate}
