"""Shared pieces of the parking tests: the tariff the lots start with, paying through the provider."""
from __future__ import annotations

from pm_platform.fees import payments

TARIFF = {"template": "standard", "free_minutes": 15, "first_minutes": 60, "first_price_fen": 500,
          "unit_minutes": 30, "unit_price_fen": 200, "cap_fen": 3000}


def pay_through_callback(client, order, txn_id: str = "SBX1"):
    """The sandbox provider's signed callback saying `order` was paid; returns the response and
    the (raw body, headers) to send it again."""
    signed = payments.sign_sandbox_callback({"order_no": order.order_no, "txn_id": txn_id,
                                             "amount_fen": order.amount_fen, "currency": "CNY", "status": "paid"})
    return client.post("/api/v1/payments/callbacks/sandbox", data=signed[0], headers=signed[1]), signed
