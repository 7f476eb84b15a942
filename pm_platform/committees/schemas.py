"""API shapes for the owners' assembly (a contract for outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.committees.models import CHOICES
from pm_platform.committees.rules import CATEGORIES
from pm_platform.core.schemas import Int, UtcDateTime


class VerificationInSchema(Schema):
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=60))


class VerificationSchema(Schema):
    owner_id = fields.Integer()
    name = fields.String()
    compound_ids = fields.List(fields.Integer())


class MotionInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(load_default="")
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    opens_at = fields.AwareDateTime(required=True, default_timezone=None)
    closes_at = fields.AwareDateTime(required=True, default_timezone=None)
    notice_on = fields.Date(load_default=None, allow_none=True)
    seats = Int(load_default=None, allow_none=True)
    candidates = fields.List(Int(), load_default=None, metadata={"description": "owner ids (elections)"})


class CandidateSchema(Schema):
    id = fields.Integer()
    owner_id = fields.Integer()
    name = fields.String()


class MotionSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    title = fields.String()
    body = fields.String()
    category = fields.String()
    status = fields.String()
    seats = fields.Integer(allow_none=True)
    notice_on = fields.Date(allow_none=True)
    opens_at = UtcDateTime()
    closes_at = UtcDateTime()
    register_hash = fields.String(allow_none=True)
    A = fields.Integer(attribute="total_area_cm2", allow_none=True)
    N = fields.Integer(attribute="total_owners", allow_none=True)
    objection_ends_at = UtcDateTime(allow_none=True)
    candidates = fields.List(fields.Nested(CandidateSchema))


class BallotInSchema(Schema):
    choice = fields.String(load_default=None, validate=validate.OneOf(CHOICES))
    candidates = fields.List(Int(), load_default=None)
    proxy_id = Int(load_default=None, metadata={"description": "vote as the holder of this accepted proxy"})


class ReceiptSchema(Schema):
    receipt = fields.String()
    channel = fields.String()
    choice = fields.String(allow_none=True)


class TallySchema(Schema):
    A = fields.Integer()
    N = fields.Integer()
    A_P = fields.Integer()
    N_P = fields.Integer()
    A_yes = fields.Integer(allow_none=True)
    N_yes = fields.Integer(allow_none=True)
    A_no = fields.Integer()
    N_no = fields.Integer()
    A_abstain = fields.Integer()
    N_abstain = fields.Integer()
    participation_area_met = fields.Boolean()
    participation_head_met = fields.Boolean()
    approval_area_met = fields.Boolean()
    approval_head_met = fields.Boolean()
    participation_met = fields.Boolean()
    approval_met = fields.Boolean()
    passed = fields.Boolean()
    rule = fields.String()
    status = fields.String()
    register_hash = fields.String()
    ratios_bp = fields.Dict(metadata={"description": "ratios in basis points, for display only"})
    subtotals = fields.Dict(metadata={"description": "online / proxy / paper subtotals"})
    with_nonvoters = fields.Dict(allow_none=True, metadata={"description": "flagged result under the non-voter clause"})
    candidates = fields.List(fields.Dict())
    elected = fields.List(fields.Dict())
    seats = fields.Integer()
    unfilled_seats = fields.Integer()


class PublicReceiptSchema(Schema):
    receipt = fields.String()
    area_band_cm2 = fields.List(fields.Integer(), metadata={
        "description": "[lowest, highest] area (0.01 m²) of the band this ballot's area falls in; each band "
                       "holds at least ten voters of the frozen register, so a ballot cannot be tied to a unit"})
    choice = fields.String(allow_none=True)
    candidates = fields.List(fields.Integer(), allow_none=True)


class ProxySchema(Schema):
    id = fields.Integer()
    motion_id = fields.Integer()
    holder_id = fields.Integer()
    status = fields.String()


class ProxyReviewSchema(Schema):
    accept = fields.Boolean(required=True)


class PaperSchema(Schema):
    id = fields.Integer()
    motion_id = fields.Integer()
    choice = fields.String()
    status = fields.String()
    counted_receipt = fields.String(allow_none=True)


class RuleSetInSchema(Schema):
    participation = fields.List(Int(), load_default=[2, 3], validate=validate.Length(equal=2),
                                metadata={"description": "[num, den]: A_P/A and N_P/N at least num/den"})
    ordinary = fields.List(fields.Raw(), load_default=[1, 2, True], validate=validate.Length(min=2, max=3),
                           metadata={"description": "[num, den, strict]"})
    special = fields.List(fields.Raw(), load_default=[3, 4, False], validate=validate.Length(min=2, max=3),
                          metadata={"description": "[num, den, strict]"})
    nonvoter_clause = fields.Boolean(load_default=False)
    proxy_limit = Int(load_default=5)
    objection_days = Int(load_default=7)


class RuleSetSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    version = fields.Integer()
    participation = fields.Function(lambda r: [r.participation_num, r.participation_den])
    ordinary = fields.Function(lambda r: [r.ordinary_num, r.ordinary_den, r.ordinary_strict])
    special = fields.Function(lambda r: [r.special_num, r.special_den, r.special_strict])
    nonvoter_clause = fields.Boolean()
    proxy_limit = fields.Integer()
    objection_days = fields.Integer()


class ObjectionInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ObjectionSchema(Schema):
    id = fields.Integer()
    motion_id = fields.Integer()
    text = fields.String()
    created_at = UtcDateTime()
