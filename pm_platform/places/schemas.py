"""API input and output shapes for places and people (a contract for outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core.money import format_area_m2
from pm_platform.core.schemas import Int
from pm_platform.places.models import AREA_KINDS


class GrantSchema(Schema):
    role = fields.String()
    scope = fields.String(allow_none=True)


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    grants = fields.List(fields.Nested(GrantSchema))


class PlaceInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(AREA_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    parent_id = Int(load_default=None, allow_none=True)


class PlaceSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)


class CompoundInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    community_id = Int(required=True)
    address = fields.String(load_default="", validate=validate.Length(max=300))


class CompoundSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    community_id = fields.Integer()
    street_id = fields.Integer()
    district_id = fields.Integer()


class UnitSchema(Schema):
    id = fields.Integer()
    building = fields.Function(lambda unit: unit.building.name)
    entrance = fields.String()
    floor = fields.Integer()
    room = fields.String()
    area_m2 = fields.Function(lambda unit: format_area_m2(unit.area_cm2))
    use = fields.String()


class PageArgsSchema(Schema):
    limit = Int(load_default=500, validate=validate.Range(min=1, max=5000))
    offset = Int(load_default=0, validate=validate.Range(min=0))


class RosterResultSchema(Schema):
    rows = fields.Integer()
    units_created = fields.Integer()
    units_updated = fields.Integer()
    owners_created = fields.Integer()
    owners_updated = fields.Integer()
    ownerships_created = fields.Integer()
    ownerships_updated = fields.Integer()
    buildings_created = fields.Integer()
