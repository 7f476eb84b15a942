"""API input and output shapes for fees (a contract for outside clients)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from pm_platform.core import clock
from pm_platform.core.money import MAX_RATE_FEN
from pm_platform.core.schemas import Int, UtcDateTime
from pm_platform.fees.models import APPLIES_TO, CYCLES, FEE_KINDS
from pm_platform.fees.service import CLERK_CHANNELS

PERIOD = validate.Regexp(clock.PERIOD_PATTERN, error="period must look like 2026-11")


class FeeItemInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(FEE_KINDS))
    rate_fen = Int(required=True, strict=True, validate=validate.Range(min=0, max=MAX_RATE_FEN))
    applies_to = fields.String(load_default="all", validate=validate.OneOf(APPLIES_TO))
    cycle = fields.String(load_default="monthly", validate=validate.OneOf(CYCLES))
    due_day = Int(load_default=15, strict=True, validate=validate.Range(min=1, max=28))
    from_period = fields.String(required=True, validate=PERIOD)


class FeeRateInSchema(Schema):
    rate_fen = Int(required=True, strict=True, validate=validate.Range(min=0, max=MAX_RATE_FEN))
    from_period = fields.String(required=True, validate=PERIOD)


class FeeRateSchema(Schema):
    from_period = fields.String()
    rate_fen = fields.Integer()


class FeeItemSchema(Schema):
    id = fields.Integer()
    compound_id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    applies_to = fields.String()
    cycle = fields.String()
    due_day = fields.Integer()
    is_active = fields.Boolean()
    rates = fields.List(fields.Nested(FeeRateSchema))


class PeriodArgsSchema(Schema):
    period = fields.String(required=True, validate=PERIOD)


class BillingRunSchema(Schema):
    id = fields.Integer()
    scope_kind = fields.String()
    scope_id = fields.Integer()
    period = fields.String()
    status = fields.String()
    compounds_done = fields.Integer()
    bills_created = fields.Integer()
    error = fields.String()


class BillSchema(Schema):
    id = fields.Integer()
    period = fields.String()
    fee_item_id = fields.Integer()
    amount_fen = fields.Integer()
    waived_fen = fields.Integer()
    paid_fen = fields.Integer()
    owing_fen = fields.Integer()
    due_on = fields.Date()
    status = fields.String()


class PaymentInSchema(Schema):
    unit_id = Int(required=True, strict=True)
    amount_fen = Int(required=True, strict=True)
    channel = fields.String(required=True, validate=validate.OneOf(CLERK_CHANNELS))
    reference = fields.String(load_default="", validate=validate.Length(max=100))
    bill_ids = fields.List(Int(strict=True), load_default=None,
                           metadata={"description": "bills to pay first (optional); the rest goes oldest first"})


class AllocationSchema(Schema):
    bill_id = fields.Integer()
    amount_fen = fields.Integer()


class PaymentSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    kind = fields.String()
    channel = fields.String()
    amount_fen = fields.Integer()
    reference = fields.String()
    receipt_no = fields.String()
    paid_at = UtcDateTime()
    allocations = fields.List(fields.Nested(AllocationSchema))
    credit_fen = fields.Method("_credit", metadata={"description": "the part of this payment kept as prepayment credit"})

    def _credit(self, payment) -> int:
        if payment.kind != "payment":
            return 0
        return payment.amount_fen - sum(a.amount_fen for a in payment.allocations)


class ReceiptCheckSchema(Schema):
    receipt_no = fields.String()
    compound = fields.String()
    amount_fen = fields.Integer()
    paid_on = fields.Date()
    kind = fields.String()
    reversed = fields.Boolean()


class VerifyArgsSchema(Schema):
    code = fields.String(required=True, metadata={"description": "the verification code printed on the receipt"})


class ArrearsArgsSchema(Schema):
    as_of = fields.Date(load_default=None)


class ArrearsUnitSchema(Schema):
    unit_id = fields.Integer()
    label = fields.String()
    buckets = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
    late_fee = fields.Integer()


class ArrearsSchema(Schema):
    compound_id = fields.Integer()
    as_of = fields.Date()
    buckets = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "owing fen by days overdue: d0_30, d31_90, d91_180, d181_365, over_365"})
    total = fields.Integer()
    late_fee = fields.Integer()
    units = fields.List(fields.Nested(ArrearsUnitSchema))


class CollectionRateSchema(Schema):
    compound_id = fields.Integer()
    period = fields.String()
    billed_fen = fields.Integer()
    paid_fen = fields.Integer()
    rate = fields.Float(allow_none=True)
    ytd_billed_fen = fields.Integer()
    ytd_paid_fen = fields.Integer()
    ytd_rate = fields.Float(allow_none=True)


class CallbackResultSchema(Schema):
    order_no = fields.String()
    status = fields.String()

