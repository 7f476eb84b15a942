"""Property fees: the public face of the fee modules. Callers keep importing this module
(`from pm_platform.fees import service`); the code lives in:

- fees/common.py: role sets (MANAGE_ROLES, CLERK_ROLES, APPROVE_ROLES, READ_ROLES), CLERK_CHANNELS
  and the small helpers the modules below share;
- fees/items.py: fee items and rates, the late-fee setting;
- fees/receipts.py: balances, payments and their allocation, credits, reversals, refunds, receipts;
- fees/billing.py: billing runs and waivers;
- fees/arrears.py: late fees, the aging report, arrears notices;
- fees/collection.py: the collection rate and the exports of bills and payments.

The modules import each other in that order only and never this module. To patch a function for
a test, patch it in the module that holds it (e.g. `billing.bill_compound`).
"""
from pm_platform.fees.arrears import arrears_aging, late_fee_fen, notices_context
from pm_platform.fees.billing import (
    bill_compound, decide_waiver, execute_billing_run, get_billing_run, list_billing_runs, list_waivers,
    mark_billing_run_failed, request_waiver, start_billing_run, waiver_share_fen,
)
from pm_platform.fees.collection import (
    CollectionFigures, collection_figures, collection_figures_ytd, collection_overview, collection_records,
    compound_bills, compound_collection_rate, compound_payments, sum_figures,
)
from pm_platform.fees.common import APPROVE_ROLES, CLERK_CHANNELS, CLERK_ROLES, MANAGE_ROLES, READ_ROLES
from pm_platform.fees.items import (
    create_fee_item, fee_settings, get_fee_item, list_fee_items, rate_for, set_fee_rate, set_late_fee,
)
from pm_platform.fees.receipts import (
    create_unit_payment_order, get_payment, get_payment_by_receipt, new_verify_code, owner_bills_due,
    receipt_context, record_payment, refund_credit, reverse_payment, take_receipt_nos, unit_balances,
    unit_bills, unit_credit_fen, unit_owing_fen, unit_payments, verify_receipt,
)

__all__ = [
    "APPROVE_ROLES", "CLERK_CHANNELS", "CLERK_ROLES", "CollectionFigures", "MANAGE_ROLES", "READ_ROLES",
    "arrears_aging", "bill_compound", "collection_figures", "collection_figures_ytd", "collection_overview",
    "collection_records", "compound_bills", "compound_collection_rate", "compound_payments", "create_fee_item",
    "create_unit_payment_order", "decide_waiver", "execute_billing_run", "fee_settings", "get_billing_run",
    "get_fee_item", "get_payment", "get_payment_by_receipt", "late_fee_fen", "list_billing_runs",
    "list_fee_items", "list_waivers", "mark_billing_run_failed", "new_verify_code", "notices_context",
    "owner_bills_due", "rate_for", "receipt_context", "record_payment", "refund_credit", "request_waiver",
    "reverse_payment", "set_fee_rate", "set_late_fee", "start_billing_run", "sum_figures", "take_receipt_nos",
    "unit_balances", "unit_bills", "unit_credit_fen", "unit_owing_fen", "unit_payments", "verify_receipt",
    "waiver_share_fen",
]
