"""Inspections over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.extensions import db
from pm_platform.inspections import scanning, service
from pm_platform.inspections.schemas import FacilityLabelViewSchema, InspectionRecordInSchema, InspectionRecordSchema, InspectionRoundSchema, InspectionRoundsArgsSchema

blp = Blueprint("inspections_api", __name__, description="Facility inspections: labels, records, rounds")


@blp.get("/inspections/labels/<token>")
@blp.response(200, FacilityLabelViewSchema)
def get_label(token: str):
    """Open a scanned label: an assigned inspector gets the facility and its checklist (and the
    scan is recorded at server time); anyone else only the facility's public name."""
    view = scanning.open_label(db.session, current_user, token)
    return view


@blp.post("/inspections/records")
@blp.arguments(InspectionRecordInSchema)
@blp.response(201, InspectionRecordSchema)
@blp.alt_response(200, schema=InspectionRecordSchema, description="The same scan submitted again: the first record")
def submit_record(data):
    """Submit an inspection after opening its label. Photos are {item, data (base64)}."""
    photos = [(photo["item"], scanning.decode_base64(photo["data"], f"photos[{n}]")) for n, photo in enumerate(data["photos"])]
    record, created = scanning.submit_record(db.session, current_user, data["token"], scanning.Submission(
        answers=data["answers"], lat=data["lat"], lng=data["lng"], accuracy_m=data["accuracy_m"],
        scanned_at=data["scanned_at"], photos=photos))
    payload = scanning.record_payload(db.session, record)
    return payload, 201 if created else 200


@blp.get("/compounds/<int:compound_id>/inspection-rounds")
@blp.arguments(InspectionRoundsArgsSchema, location="query")
@blp.response(200, InspectionRoundSchema(many=True))
def list_rounds(args, compound_id: int):
    """A compound's rounds due on a (Shanghai) date, with each item's status."""
    return service.rounds_on(db.session, current_user, args["date"], compound_id)
