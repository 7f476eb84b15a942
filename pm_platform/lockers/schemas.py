"""API shapes for locker cabinets."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.lockers.models import EVENT_KINDS


class LockerEventInSchema(Schema):
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    site_id = fields.Integer(required=True, strict=True)
    parcel_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    at = fields.String(required=True, metadata={"description": "ISO 8601; without an offset it is Shanghai time"})
    unit_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                             metadata={"description": "the addressee's unit, where the parcel names one"})


class LockerAnswerSchema(Schema):
    event_id = fields.String()
    parcel_id = fields.String()
    kind = fields.String()
    duplicate = fields.Boolean()
