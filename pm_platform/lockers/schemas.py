"""API shapes for locker cabinets."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core.schemas import Int
from pm_platform.lockers.models import EVENT_KINDS


class LockerEventInSchema(Schema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    site_id = Int(required=True, strict=True)
    parcel_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    at = fields.String(required=True, metadata={"description": "ISO 8601; without an offset it is Shanghai time"})
    unit_id = Int(load_default=None, allow_none=True, strict=True,
                  metadata={"description": "the addressee's unit, where the parcel names one"})


class LockerAnswerSchema(Schema):
    event_id = fields.String()
    parcel_id = fields.String()
    kind = fields.String()
    duplicate = fields.Boolean()


class LockerContractInSchema(Schema):
    operator = fields.String(required=True)
    monthly_rent_fen = Int(required=True, strict=True, metadata={"description": "site rent a month, in fen"})
    commission_fen = Int(required=True, strict=True, metadata={"description": "per parcel deposited, in fen"})
    free_hours = Int(load_default=48, strict=True,
                     metadata={"description": "hours a parcel may wait before it is overdue"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)


class LockerContractSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    operator = fields.String()
    monthly_rent_fen = fields.Integer()
    commission_fen = fields.Integer()
    free_hours = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)


class LockerSiteInSchema(Schema):
    name = fields.String(required=True)


class LockerSiteSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    contract_id = fields.Integer()
    name = fields.String()
