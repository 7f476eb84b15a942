"""API shapes for parking (a contract for gates and outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.parking.models import DIRECTIONS


class ParkingLotInSchema(Schema):
    name = fields.String(required=True)
    capacity = fields.Integer(required=True, strict=True)
    # validated by tariffs.tariff_from_dict, which names the bad field
    tariff = fields.Dict(required=True)


class ParkingLotSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    name = fields.String()
    capacity = fields.Integer()
    tariff = fields.Dict(metadata={"description": "the temporary-car tariff in force now"})


class GateEventInSchema(Schema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    lot_id = fields.Integer(required=True, strict=True)
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
