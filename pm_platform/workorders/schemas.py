"""API input and output shapes for work orders (a contract for outside clients)."""
from __future__ import annotations

import base64
import binascii

from marshmallow import Schema, ValidationError, fields, validate

from pm_platform.core import clock
from pm_platform.core.schemas import Int
from pm_platform.workorders.models import CATEGORIES, PRIORITIES, SOURCES, STATUSES
from pm_platform.workorders.photos import MAX_PHOTOS


class Base64Photo(fields.String):
    """A photo sent as base64 text (a `data:image/...;base64,` prefix is allowed)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text.startswith("data:"):
            text = text.partition(",")[2]
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("not base64 data") from None


class WorkOrderInSchema(Schema):
    compound_id = Int(required=True)
    source = fields.String(load_default="resident", validate=validate.OneOf(SOURCES))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    unit_id = Int(load_default=None, allow_none=True)
    building_id = Int(load_default=None, allow_none=True)
    facility_id = Int(load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lng = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    external_ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    reporter_name = fields.String(load_default="", validate=validate.Length(max=100))
    reporter_phone = fields.String(load_default="", validate=validate.Length(max=30))
    photos = fields.List(Base64Photo(), load_default=list, validate=validate.Length(max=MAX_PHOTOS))


class TransitionInSchema(Schema):
    to = fields.String(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    photos = fields.List(Base64Photo(), load_default=list, validate=validate.Length(max=MAX_PHOTOS))
    assignee_id = Int(load_default=None, allow_none=True)


class RatingInSchema(Schema):
    stars = Int(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class EventSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    note = fields.String()
    at = fields.Function(lambda e: clock.as_utc(e.at).isoformat())


class WorkOrderSummarySchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    source = fields.String()
    category = fields.String()
    priority = fields.String()
    status = fields.String()
    description = fields.String()
    unit_id = fields.Integer(allow_none=True)
    building_id = fields.Integer(allow_none=True)
    facility_id = fields.Integer(allow_none=True)
    external_ref = fields.String(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    created_at = fields.Function(lambda o: clock.as_utc(o.created_at).isoformat())
    respond_due_at = fields.Function(lambda o: clock.as_utc(o.respond_due_at).isoformat())
    resolve_due_at = fields.Function(lambda o: clock.as_utc(o.resolve_due_at).isoformat())
    closed_at = fields.Function(lambda o: clock.as_utc(o.closed_at).isoformat() if o.closed_at else None)
    close_kind = fields.String(allow_none=True)
    rating = fields.Integer(allow_none=True)
    escalation_level = fields.Integer()
    reopen_count = fields.Integer()
    rebound_of_id = fields.Integer(allow_none=True)
    has_rebounded = fields.Boolean()
    reporters = fields.Function(lambda o: len(o.reports))


class WorkOrderSchema(WorkOrderSummarySchema):
    events = fields.List(fields.Nested(EventSchema))


class ListArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    compound_id = Int(load_default=None)
    limit = Int(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = Int(load_default=0, validate=validate.Range(min=0))


class ImportArgsSchema(Schema):
    compound_id = Int(load_default=None, allow_none=True)
    # read from request.files by the view; here so the document shows the upload
    file = fields.Raw(load_default=None, metadata={"type": "string", "format": "binary",
                                                   "description": "the 12345 tickets, .xlsx or .csv (required)"})


class ImportResultSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    joined_open_order = fields.Integer()
    already_imported = fields.Integer()


class PeriodArgsSchema(Schema):
    period = fields.String(required=True, validate=validate.Regexp(clock.PERIOD_PATTERN))


class RatioSchema(Schema):
    numerator = fields.Integer()
    denominator = fields.Integer()


class StatsSchema(Schema):
    compound_id = fields.Integer()
    period = fields.String()
    received = fields.Integer()
    closed = fields.Integer()
    closed_unconfirmed = fields.Integer()
    rated = fields.Integer()
    satisfied = fields.Integer()
    basically_satisfied = fields.Integer()
    rebounds = fields.Integer()
    follow_ups = fields.Integer()
    closed_not_fixed = fields.Integer()
    median_resolve_seconds = fields.Integer(allow_none=True)
    rates = fields.Dict(keys=fields.String(), values=fields.Nested(RatioSchema))
