"""API shapes for inspections (a contract for outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core import clock


def _degrees(value):
    return None if value is None else value / 1_000_000


class FacilitySchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    place = fields.String()
    building = fields.Function(lambda f: f.building.name if f.building else None)
    floor = fields.String()
    location_text = fields.String()
    lat = fields.Function(lambda f: _degrees(f.lat_e6))
    lng = fields.Function(lambda f: _degrees(f.lng_e6))
    contractor = fields.String()
    warranty_ends_on = fields.Date(allow_none=True)


class PublicFacilitySchema(Schema):
    name = fields.String()
    kind = fields.String()


class ChecklistItemSchema(Schema):
    key = fields.String()
    label = fields.String()
    type = fields.String()
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    unit = fields.String(allow_none=True)
    required = fields.Boolean()
    severity = fields.String()


class ChecklistSchema(Schema):
    kind = fields.String()
    radius_m = fields.Integer()
    is_high_risk = fields.Boolean()
    items = fields.List(fields.Nested(ChecklistItemSchema))


class RoundRefSchema(Schema):
    round_id = fields.Function(lambda item: item.round_id)
    plan = fields.Function(lambda item: item.round.plan.name)
    opens_at = fields.Function(lambda item: clock.as_utc(item.round.opens_at).isoformat())
    closes_at = fields.Function(lambda item: clock.as_utc(item.round.closes_at).isoformat())
    status = fields.String()


class LabelViewSchema(Schema):
    mode = fields.String(metadata={"description": "inspect: facility and checklist; public: name and report link"})
    facility = fields.Method("_facility")
    checklist = fields.Nested(ChecklistSchema, allow_none=True)
    scan_id = fields.Function(lambda view: view.scan.id if view.scan else None)
    opened_at = fields.Function(lambda view: clock.as_utc(view.scan.opened_at).isoformat() if view.scan else None)
    round = fields.Function(lambda view: RoundRefSchema().dump(view.round_item) if view.round_item else None)

    def _facility(self, view):
        schema = FacilitySchema() if view.mode == "inspect" else PublicFacilitySchema()
        return schema.dump(view.facility)


class AnswerSchema(Schema):
    item = fields.String(required=True)
    value = fields.Raw(allow_none=True)


class PhotoInSchema(Schema):
    item = fields.String(required=True, metadata={"description": "the checklist item the photo is for"})
    data = fields.String(required=True, metadata={"description": "base64 or a data: URI; at most 10 MB"})


class RecordInSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=64))
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    lat = fields.Float(load_default=None, allow_none=True)
    lng = fields.Float(load_default=None, allow_none=True)
    accuracy_m = fields.Float(load_default=None, allow_none=True)
    scanned_at = fields.AwareDateTime(load_default=None, allow_none=True)
    photos = fields.List(fields.Nested(PhotoInSchema), load_default=list)


class RecordSchema(Schema):
    """Built from `scanning.record_payload` (a dict)."""

    id = fields.Integer()
    facility_id = fields.Integer()
    round_item_id = fields.Integer(allow_none=True)
    submitted_at = fields.String()
    timeliness = fields.String(metadata={"description": "on_time, late or out_of_window"})
    is_flagged = fields.Boolean()
    flags = fields.List(fields.String())
    distance_m = fields.Integer(allow_none=True)
    passed = fields.Boolean()
    answers = fields.List(fields.Dict())
    work_order_ids = fields.List(fields.Integer())


class RoundsArgsSchema(Schema):
    date = fields.Date(required=True)


class RoundItemSchema(Schema):
    facility_id = fields.Integer()
    facility = fields.Function(lambda item: item.facility.name)
    position = fields.Integer()
    status = fields.String()


class RoundSchema(Schema):
    id = fields.Function(lambda s: s.round.id)
    plan = fields.Function(lambda s: s.round.plan.name)
    due_date = fields.Function(lambda s: s.round.due_date.isoformat())
    opens_at = fields.Function(lambda s: clock.as_utc(s.round.opens_at).isoformat())
    closes_at = fields.Function(lambda s: clock.as_utc(s.round.closes_at).isoformat())
    counts = fields.Dict()
    flagged = fields.Integer()
    items = fields.Function(lambda s: RoundItemSchema(many=True).dump(s.round.items))
