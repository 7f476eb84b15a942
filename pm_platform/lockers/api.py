"""Lockers over the JSON API: contracts and sites for managers, events for cabinets."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.api.auth import current_device, device_only
from pm_platform.core import clock
from pm_platform.extensions import db
from pm_platform.lockers import service
from pm_platform.lockers.schemas import (
    LockerAnswerSchema, LockerContractInSchema, LockerContractSchema, LockerEventInSchema, LockerSiteInSchema,
    LockerSiteSchema,
)

blp = Blueprint("lockers_api", __name__, description="Express locker contracts, sites and cabinet events")


@blp.get("/compounds/<int:compound_id>/locker-contracts")
@blp.response(200, LockerContractSchema(many=True))
def list_locker_contracts(compound_id: int):
    return service.list_contracts(db.session, current_user, compound_id)


@blp.post("/compounds/<int:compound_id>/locker-contracts")
@blp.arguments(LockerContractInSchema)
@blp.response(201, LockerContractSchema)
@blp.alt_response(422, description="bad input: error.field names the field")
def create_locker_contract(data, compound_id: int):
    contract = service.create_contract(
        db.session, current_user, compound_id, data["operator"], monthly_rent_fen=data["monthly_rent_fen"],
        commission_fen=data["commission_fen"], free_hours=data["free_hours"], starts_on=data["starts_on"],
        ends_on=data["ends_on"])
    return contract


@blp.post("/locker-contracts/<int:contract_id>/sites")
@blp.arguments(LockerSiteInSchema)
@blp.response(201, LockerSiteSchema)
@blp.alt_response(409, description="the compound already has a site of this name")
def create_locker_site(data, contract_id: int):
    site = service.create_site(db.session, current_user, contract_id, data["name"])
    return site


@blp.get("/compounds/<int:compound_id>/locker-sites")
@blp.response(200, LockerSiteSchema(many=True))
def list_locker_sites(compound_id: int):
    return service.list_sites(db.session, current_user, compound_id)


@blp.post("/lockers/events")
@blp.arguments(LockerEventInSchema())  # instances, not classes: not built again for every event
@blp.response(200, LockerAnswerSchema())
@blp.alt_response(401, description="unknown or revoked device key")
@blp.alt_response(403, description="the device belongs to another compound")
@device_only
def post_locker_event(data):
    answer = service.record_locker_event(
        db.session, current_device(), event_id=data["event_id"], site_id=data["site_id"], parcel_id=data["parcel_id"],
        kind=data["kind"], at=clock.parse_device_time(data["at"]), unit_id=data["unit_id"])
    return {"event_id": answer.event.event_id, "parcel_id": answer.parcel.parcel_code, "kind": answer.event.kind,
            "duplicate": answer.duplicate}
