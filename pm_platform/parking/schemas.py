"""API shapes for parking (a contract for gates and outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core import clock
from pm_platform.core.schemas import Int, UtcDateTime
from pm_platform.parking.models import CAR_TYPES, DIRECTIONS, LIST_KINDS
from pm_platform.parking.service import MAX_AMOUNT_FEN, MAX_MINUTES

_AMOUNT = validate.Range(max=MAX_AMOUNT_FEN)   # below 0 the service refuses, naming the field


class ParkingLotInSchema(Schema):
    name = fields.String(required=True)
    capacity = Int(required=True, strict=True)
    # validated by tariffs.tariff_from_dict, which names the bad field
    tariff = fields.Dict(required=True)


class ParkingLotSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    name = fields.String()
    capacity = fields.Integer()
    tariff = fields.Dict(metadata={"description": "the temporary-car tariff in force now"})
    monthly_pass_price_fen = fields.Integer(allow_none=True, metadata={
        "description": "what owners pay online for a month's pass; null: not sold online"})


class GateEventInSchema(Schema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lot_id = Int(required=True, strict=True)
    plate = fields.String(required=True, validate=validate.Length(max=40))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    at = fields.String(required=True, metadata={"description": "ISO 8601; without an offset it is Shanghai time"})


class GateAnswerSchema(Schema):
    event_id = fields.String()
    outcome = fields.String(metadata={"description": "accepted or anomaly"})
    plate = fields.String()
    session_id = fields.Integer(allow_none=True)
    fee_fen = fields.Integer(allow_none=True)
    open = fields.Boolean()
    message = fields.String()
    duplicate = fields.Boolean()
    order_no = fields.String(allow_none=True, metadata={
        "description": "payment order for the fee (sandbox provider); once paid, the next exit read opens"})


class ParkingTariffInSchema(Schema):
    car_type = fields.String(required=True, validate=validate.OneOf(CAR_TYPES))
    tariff = fields.Dict(required=True, metadata={"description": "a template and its fields, amounts in fen"})
    effective_from = fields.AwareDateTime(load_default=None, default_timezone=clock.SHANGHAI, metadata={
        "description": "applies to stays that begin from then; ISO 8601, Shanghai time without an offset; "
                       "default now"})


class ParkingTariffSchema(Schema):
    """One tariff of a lot's history (service.TariffEntry)."""

    id = fields.Integer(attribute="row.id")
    car_type = fields.String(attribute="row.car_type")
    tariff = fields.Dict(attribute="row.tariff")
    effective_from = UtcDateTime(attribute="row.effective_from")
    created_at = UtcDateTime(attribute="row.created_at")
    status = fields.String(metadata={"description": "in_force, upcoming or superseded"})


class ParkingPassInSchema(Schema):
    lot_id = Int(required=True, strict=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True, metadata={"description": "the last day covered (inclusive)"})
    price_fen = Int(required=True, strict=True, validate=_AMOUNT)


class ParkingPassSchema(Schema):
    id = fields.Integer()
    vehicle_id = fields.Integer()
    lot_id = fields.Integer()
    valid_from = fields.Date()
    valid_to = fields.Date()
    price_fen = fields.Integer()
    channel = fields.String(metadata={"description": "office or online"})


class VehicleInSchema(Schema):
    plate = fields.String(required=True, validate=validate.Length(max=40))
    car_type = fields.String(required=True, validate=validate.OneOf(CAR_TYPES))
    unit_id = Int(load_default=None, allow_none=True, strict=True)


class VehicleSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    plate = fields.String()
    car_type = fields.String()
    unit_id = fields.Integer(allow_none=True)
    passes = fields.List(fields.Nested(ParkingPassSchema))


class PlateListInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class PlateListSchema(Schema):
    compound_id = fields.Integer()
    plate = fields.String()
    kind = fields.String()
    reason = fields.String()


class ParkingCouponInSchema(Schema):
    plate = fields.String(required=True, validate=validate.Length(max=40))
    issuer = fields.String(load_default="", validate=validate.Length(max=100),
                           metadata={"description": "the merchant's name; empty for the office"})
    free_minutes = Int(load_default=0, strict=True, validate=validate.Range(max=MAX_MINUTES))
    amount_off_fen = Int(load_default=0, strict=True, validate=_AMOUNT)


class ParkingCouponSchema(Schema):
    id = fields.Integer()
    lot_id = fields.Integer()
    plate = fields.String()
    issuer = fields.String()
    free_minutes = fields.Integer()
    amount_off_fen = fields.Integer()
    session_id = fields.Integer(allow_none=True, metadata={"description": "the stay it was used on, once used"})
