"""Parking over the JSON API: lots, tariffs, vehicles, passes, lists and coupons for the office
(and merchants' systems issuing coupons), events for gates."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from pm_platform.api.auth import current_device, device_only
from pm_platform.core import clock
from pm_platform.core.errors import Conflict, ValidationError
from pm_platform.core.web import refusal_kept
from pm_platform.extensions import db
from pm_platform.parking import gate, service, tariffs
from pm_platform.parking.schemas import (
    GateAnswerSchema, GateEventInSchema, ParkingCouponInSchema, ParkingCouponSchema, ParkingLotInSchema,
    ParkingLotSchema, ParkingPassInSchema, ParkingPassSchema, ParkingTariffInSchema, ParkingTariffSchema,
    PlateListInSchema, PlateListSchema, VehicleInSchema, VehicleSchema,
)
from pm_platform.places import scope

blp = Blueprint("parking_api", __name__,
                description="Parking lots, tariffs, vehicles, passes, black/white lists, coupons and gate events")


def _lot_body(lot) -> dict:
    tariff = service.tariff_for(db.session, lot.id, "temporary", clock.now_utc())
    return {"id": lot.id, "compound_id": lot.compound_id, "name": lot.name, "capacity": lot.capacity,
            "tariff": tariffs.tariff_to_dict(tariff), "monthly_pass_price_fen": lot.monthly_pass_price_fen}


@blp.post("/compounds/<int:compound_id>/parking-lots")
@blp.arguments(ParkingLotInSchema)
@blp.response(201, ParkingLotSchema)
def create_parking_lot(data, compound_id: int):
    lot = service.create_lot(db.session, current_user, compound_id, data["name"], data["capacity"], data["tariff"])
    return _lot_body(lot)


@blp.get("/compounds/<int:compound_id>/parking-lots")
@blp.response(200, ParkingLotSchema(many=True))
def list_parking_lots(compound_id: int):
    scope.get_compound(db.session, current_user, compound_id, roles=service.VIEWER_ROLES)
    return [_lot_body(lot) for lot in service.list_lots(db.session, current_user) if lot.compound_id == compound_id]


@blp.get("/parking-lots/<int:lot_id>/tariffs")
@blp.response(200, ParkingTariffSchema(many=True))
def list_tariffs(lot_id: int):
    return service.tariff_history(db.session, current_user, lot_id)


@blp.post("/parking-lots/<int:lot_id>/tariffs")
@blp.arguments(ParkingTariffInSchema)
@blp.response(201, ParkingTariffSchema)
@blp.alt_response(409, description="a tariff for this car type already starts at that moment")
def set_tariff(data, lot_id: int):
    row = service.set_tariff(db.session, current_user, lot_id, data["car_type"], data["tariff"], data["effective_from"])
    return next(entry for entry in service.tariff_history(db.session, current_user, lot_id) if entry.row.id == row.id)


@blp.get("/compounds/<int:compound_id>/vehicles")
@blp.response(200, VehicleSchema(many=True))
def list_vehicles(compound_id: int):
    return service.list_vehicles(db.session, current_user, compound_id)


@blp.post("/compounds/<int:compound_id>/vehicles")
@blp.arguments(VehicleInSchema)
@blp.response(201, VehicleSchema)
@blp.alt_response(409, description="the plate is already registered in this compound")
def register_vehicle(data, compound_id: int):
    vehicle = service.register_vehicle(db.session, current_user, compound_id, data["plate"], data["car_type"],
                                       data["unit_id"])
    return vehicle


@blp.post("/vehicles/<int:vehicle_id>/passes")
@blp.arguments(ParkingPassInSchema)
@blp.response(201, ParkingPassSchema)
def sell_pass(data, vehicle_id: int):
    """A pass sold at the office (channel "office")."""
    item = service.sell_pass(db.session, current_user, vehicle_id, data["lot_id"], data["valid_from"],
                             data["valid_to"], data["price_fen"])
    return item


@blp.put("/compounds/<int:compound_id>/plate-lists/<plate>")
@blp.arguments(PlateListInSchema)
@blp.response(200, PlateListSchema)
def put_plate_list(data, compound_id: int, plate: str):
    """Put a plate on the black or white list (or move it between them)."""
    entry = service.set_plate_list(db.session, current_user, compound_id, plate, data["kind"], data["reason"])
    return entry


@blp.post("/parking-lots/<int:lot_id>/coupons")
@blp.arguments(ParkingCouponInSchema)
@blp.response(201, ParkingCouponSchema)
def issue_coupon(data, lot_id: int):
    """A merchant's (or the office's) coupon: applies when the plate next leaves the lot."""
    coupon = service.issue_coupon(db.session, current_user, lot_id, data["plate"], data["issuer"],
                                  free_minutes=data["free_minutes"], amount_off_fen=data["amount_off_fen"])
    return coupon


@blp.post("/parking/gate-events")
@blp.arguments(GateEventInSchema())  # instances, not classes: not built again for every event
@blp.response(200, GateAnswerSchema())
@blp.alt_response(401, description="unknown or revoked device key")
@blp.alt_response(403, description="the device belongs to another compound")
@blp.alt_response(409, description="out of order: earlier than this plate's last event (kept on record)")
@blp.alt_response(422, description="bad plate or a time in the future (kept on record)")
@device_only
def post_gate_event(data):
    at = clock.parse_device_time(data["at"])

    def record() -> gate.GateAnswer:
        return gate.record_gate_event(db.session, current_device(), event_id=data["event_id"], lot_id=data["lot_id"],
                                      plate=data["plate"], direction=data["direction"], at=at)

    try:
        answer = record()
    except IntegrityError:   # the same event sent twice at the same moment: the first one stands
        db.session.rollback()
        answer = record()
    if answer.outcome == "rejected":  # refused, and kept on record: answered, so the request commits
        error = Conflict if answer.error_code == "out_of_order" else ValidationError
        field = {"bad_plate": "plate", "future_time": "at"}.get(answer.error_code, "at")
        return refusal_kept(error(answer.message, field, code=answer.error_code))
    return answer
