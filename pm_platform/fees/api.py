"""Fees over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.api.auth import public
from pm_platform.core import clock
from pm_platform.extensions import db
from pm_platform.fees import payments, service
from pm_platform.fees.schemas import (
    ArrearsArgsSchema, ArrearsSchema, BillingRunSchema, BillSchema, CallbackResultSchema, CollectionRateSchema,
    FeeItemInSchema, FeeItemSchema, FeeRateInSchema, FeeRateSchema, PaymentInSchema, PaymentSchema,
    PeriodArgsSchema, ReceiptCheckSchema, VerifyArgsSchema,
)
from pm_platform.places import service as places_service

blp = Blueprint("fees_api", __name__, description="Property fees: items, billing, payments, receipts, arrears")


@blp.get("/compounds/<int:compound_id>/fee-items")
@blp.response(200, FeeItemSchema(many=True))
def list_fee_items(compound_id: int):
    return service.list_fee_items(db.session, current_user, compound_id)


@blp.post("/compounds/<int:compound_id>/fee-items")
@blp.arguments(FeeItemInSchema)
@blp.response(201, FeeItemSchema)
def create_fee_item(data, compound_id: int):
    item = service.create_fee_item(db.session, current_user, compound_id, **data)
    return item


@blp.post("/fee-items/<int:fee_item_id>/rates")
@blp.arguments(FeeRateInSchema)
@blp.response(201, FeeRateSchema)
def set_fee_rate(data, fee_item_id: int):
    """A new rate from a period on; bills already issued keep their amounts."""
    rate = service.set_fee_rate(db.session, current_user, fee_item_id, data["rate_fen"], data["from_period"])
    return rate


@blp.post("/compounds/<int:compound_id>/billing-runs")
@blp.arguments(PeriodArgsSchema)
@blp.response(202, BillingRunSchema)
def start_billing_run(data, compound_id: int):
    """Queue a billing run; with no Redis it runs at once and the answer has its counts."""
    run = service.start_billing_run(db.session, current_user, "compound", compound_id, data["period"])
    return run


@blp.get("/billing-runs/<int:run_id>")
@blp.response(200, BillingRunSchema)
def get_billing_run(run_id: int):
    return service.get_billing_run(db.session, current_user, run_id)


@blp.get("/units/<int:unit_id>/bills")
@blp.response(200, BillSchema(many=True))
def unit_bills(unit_id: int):
    unit = places_service.get_unit(db.session, current_user, unit_id)
    return service.unit_bills(db.session, unit.id)


@blp.post("/payments")
@blp.arguments(PaymentInSchema)
@blp.response(201, PaymentSchema)
def record_payment(data):
    """A clerk's cash, bank or POS payment, allocated to the oldest bills first; money beyond
    what is owed is kept as prepayment credit. The same bank/POS reference twice returns the
    first payment."""
    payment = service.record_payment(db.session, current_user, data["unit_id"], data["amount_fen"], data["channel"],
                                     data["reference"], data["bill_ids"])
    return payment


@blp.post("/payments/callbacks/<provider>")
@public
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "the provider's payment notice, signed in its headers"}}}})
@blp.response(200, CallbackResultSchema)
@blp.alt_response(401, description="a missing, wrong or stale signature (bad_signature, stale_callback)")
def payment_callback(provider: str):
    """A payment provider's signed notice (sandbox: HMAC-SHA256 of timestamp + "." + raw body)."""
    order = payments.handle_callback(db.session, provider, request.headers, request.get_data())
    return {"order_no": order.order_no, "status": order.status}


@blp.get("/receipts/<number>/verify")
@public
@blp.arguments(VerifyArgsSchema, location="query")
@blp.response(200, ReceiptCheckSchema)
def verify_receipt(args, number: str):
    """Anyone holding a receipt may check it: compound, amount and date, no personal data."""
    return service.verify_receipt(db.session, number, args["code"])


@blp.get("/compounds/<int:compound_id>/arrears")
@blp.arguments(ArrearsArgsSchema, location="query")
@blp.response(200, ArrearsSchema)
def arrears(args, compound_id: int):
    return service.arrears_aging(db.session, current_user, compound_id, args["as_of"] or clock.local_today())


@blp.get("/compounds/<int:compound_id>/collection-rate")
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, CollectionRateSchema)
def collection_rate(args, compound_id: int):
    return service.compound_collection_rate(db.session, current_user, compound_id, args["period"])
