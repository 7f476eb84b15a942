"""API shapes for scores (a contract for outside clients). Points are decimal strings with two
places ("56.88"), never floats; raw figures are the integers they were computed from."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core import clock
from pm_platform.core.schemas import Int, UtcDateTime
from pm_platform.scoring.models import SPOT_ITEMS, SPOT_MAX


def points_text(hundredths: int | None) -> str | None:
    if hundredths is None:
        return None
    sign = "-" if hundredths < 0 else ""
    whole, rest = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{rest:02d}"


class Points(fields.Field):
    """Hundredths of a point, written as a decimal string."""

    def _serialize(self, value, attr, obj, **kwargs):
        return points_text(value)


class CardListArgs(Schema):
    month = fields.String(required=True, validate=validate.Regexp(clock.PERIOD_PATTERN))
    scope = fields.String(required=True, metadata={"description": "street:{id}, district:{id}, community:{id} or compound:{id}"})


class RedBlackArgs(CardListArgs):
    scope = fields.String(required=True, metadata={"description": "street:{id} or district:{id}"})


class ScoreLineSchema(Schema):
    key = fields.String()
    kind = fields.String(metadata={"description": "indicator or deduction"})
    weight = fields.Integer(metadata={"description": "indicator: its points; deduction: points per occurrence"})
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer(allow_none=True, metadata={"description": "0: nothing to measure (weight left out)"})
    points = Points(allow_none=True)


class CardSummarySchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    compound = fields.String(attribute="compound_name")
    month = fields.String()
    revision = fields.Integer()
    firm_id = fields.Integer(allow_none=True)
    total = Points(allow_none=True)
    grade = fields.String(allow_none=True)
    published = fields.Boolean()


class FirmScoreSchema(Schema):
    firm_id = fields.Integer()
    firm = fields.String()
    total = Points(allow_none=True)
    grade = fields.String(allow_none=True)
    compounds = fields.Integer()
    area_m2 = fields.String()


class CardListSchema(Schema):
    month = fields.String()
    scope = fields.String()
    cards = fields.List(fields.Nested(CardSummarySchema))
    firms = fields.List(fields.Nested(FirmScoreSchema))


class CardRevisionSchema(Schema):
    id = fields.Integer()
    revision = fields.Integer()
    is_current = fields.Boolean()
    total = Points(allow_none=True)
    reason = fields.String()
    computed_at = UtcDateTime()


class CardSchema(CardSummarySchema):
    district_id = fields.Integer()
    street_id = fields.Integer()
    community_id = fields.Integer()
    is_current = fields.Boolean()
    reason = fields.String()
    computed_at = UtcDateTime()
    lines = fields.List(fields.Nested(ScoreLineSchema))
    revisions = fields.List(fields.Nested(CardRevisionSchema))


class RedBlackEntrySchema(Schema):
    board = fields.String(metadata={"description": "red or black"})
    subject = fields.String(metadata={"description": "compound or firm"})
    subject_id = fields.Integer()
    name = fields.String()
    rank = fields.Integer()
    total = Points(allow_none=True)


class RedBlackSchema(Schema):
    month = fields.String()
    scope = fields.String()
    published = fields.Boolean()
    published_at = UtcDateTime(allow_none=True)
    entries = fields.List(fields.Nested(RedBlackEntrySchema))


class SpotPhotoInSchema(Schema):
    content_type = fields.String(required=True, validate=validate.OneOf(["image/jpeg", "image/png", "image/webp"]))
    data_base64 = fields.String(required=True)


class SpotItemInSchema(Schema):
    score = Int(required=True, strict=True, validate=validate.Range(0, SPOT_MAX))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    photos = fields.List(fields.Nested(SpotPhotoInSchema), load_default=list, validate=validate.Length(max=5))


class SpotCheckInSchema(Schema):
    checked_on = fields.Date(required=True)
    open_work_orders = fields.Boolean(load_default=True, metadata={"description": "open a work order for each failed item (below 6)"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    items = fields.Dict(keys=fields.String(validate=validate.OneOf(SPOT_ITEMS)), values=fields.Nested(SpotItemInSchema),
                        required=True, metadata={"description": f"every one of {', '.join(SPOT_ITEMS)}"})


class SpotItemSchema(Schema):
    item = fields.String()
    score = fields.Integer()
    note = fields.String()
    photos = fields.Function(lambda item: len(item.photos))
    work_order_id = fields.Integer(allow_none=True)


class SpotCheckSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    month = fields.String()
    checked_on = fields.Date()
    note = fields.String()
    score = fields.Integer()
    max_score = fields.Integer()
    items = fields.List(fields.Nested(SpotItemSchema))
