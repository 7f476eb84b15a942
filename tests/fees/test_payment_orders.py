"""Online payments: signed provider callbacks, checked and applied exactly once."""
import json

import pytest
from sqlalchemy import func, select

from pm_platform.fees import payments
from pm_platform.fees.models import Payment
from pm_platform.fees.payments import PaymentOrder, sign_sandbox_callback

CALLBACK = "/api/v1/payments/callbacks/sandbox"


@pytest.fixture
def paid_log():
    calls = []
    payments.register_purpose_handler("test.thing", lambda session, order: calls.append(order.order_no))
    return calls


@pytest.fixture
def order(session, world, paid_log):
    o = payments.create_payment_order(session, None, purpose="test.thing", reference_id=7,
                                      compound_id=world.compounds[0].id, amount_fen=1234, description="测试")
    session.commit()
    return o


def notice(order, **changes):
    return {"order_no": order.order_no, "txn_id": "TXN-1", "amount_fen": order.amount_fen, "currency": "CNY",
            "status": "paid", **changes}


def post(client, raw, headers):
    return client.post(CALLBACK, data=raw, headers=headers)


def test_a_signed_callback_pays_the_order_once_even_when_sent_twice(client, session, order, paid_log):
    raw, headers = sign_sandbox_callback(notice(order))
    first = post(client, raw, headers)
    assert first.status_code == 200 and first.json == {"order_no": order.order_no, "status": "paid"}
    again = post(client, raw, headers)
    assert again.status_code == 200 and again.json["status"] == "paid"
    assert paid_log == [order.order_no]  # the purpose handler ran once
    session.expire_all()
    stored = session.get(PaymentOrder, order.id)
    assert stored.external_txn_id == "TXN-1" and stored.paid_at is not None


@pytest.mark.parametrize("tamper, status, code", [
    (lambda raw, h: (raw.replace(b"1234", b"1"), h), 401, "bad_signature"),          # body changed after signing
    (lambda raw, h: (raw, {**h, "X-Sandbox-Signature": "0" * 64}), 401, "bad_signature"),
    (lambda raw, h: (raw, {k: v for k, v in h.items() if k != "X-Sandbox-Signature"}), 401, "bad_signature"),
])
def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(client, session, order, paid_log,
                                                                        tamper, status, code):
    raw, headers = tamper(*sign_sandbox_callback(notice(order)))
    response = post(client, raw, headers)
    assert response.status_code == status and response.json["error"]["code"] == code
    session.expire_all()
    assert session.get(PaymentOrder, order.id).status == "pending" and paid_log == []


def test_an_old_timestamp_is_refused_even_when_correctly_signed(client, session, order, paid_log):
    import time
    raw, headers = sign_sandbox_callback(notice(order), timestamp=int(time.time()) - 3600)
    response = post(client, raw, headers)
    assert response.status_code == 401 and response.json["error"]["code"] == "stale_callback"
    assert paid_log == []


@pytest.mark.parametrize("changes, field", [({"amount_fen": 1000}, "amount_fen"), ({"currency": "USD"}, "currency")])
def test_a_wrong_amount_or_currency_is_refused(client, session, order, paid_log, changes, field):
    raw, headers = sign_sandbox_callback(notice(order, **changes))
    response = post(client, raw, headers)
    assert response.status_code == 422 and response.json["error"]["field"] == field
    session.expire_all()
    assert session.get(PaymentOrder, order.id).status == "pending" and paid_log == []


def test_a_second_transaction_for_a_paid_order_is_a_conflict(client, session, order, paid_log):
    post(client, *sign_sandbox_callback(notice(order)))
    response = post(client, *sign_sandbox_callback(notice(order, txn_id="TXN-2")))
    assert response.status_code == 409
    assert paid_log == [order.order_no]


def test_unknown_order_or_provider_is_404(client, order):
    assert post(client, *sign_sandbox_callback(notice(order, order_no="PO-nope"))).status_code == 404
    raw, headers = sign_sandbox_callback(notice(order))
    assert client.post("/api/v1/payments/callbacks/nobank", data=raw, headers=headers).status_code == 404


def test_a_body_that_is_not_a_notice_is_422(client, order):
    raw = b"not json"
    _, headers = sign_sandbox_callback({})
    headers = {**headers, "X-Sandbox-Signature": payments.SandboxProvider.signature(headers["X-Sandbox-Timestamp"], raw)}
    assert post(client, raw, headers).status_code == 422


def test_orders_need_a_positive_amount_and_a_known_purpose(session, world, paid_log):
    from pm_platform.core.errors import ValidationError
    for amount in (0, -5, 1.5):
        with pytest.raises(ValidationError):
            payments.create_payment_order(session, None, purpose="test.thing", reference_id=1,
                                          compound_id=world.compounds[0].id, amount_fen=amount, description="")
    with pytest.raises(ValidationError):
        payments.create_payment_order(session, None, purpose="nobody.handles", reference_id=1,
                                      compound_id=world.compounds[0].id, amount_fen=100, description="")


def test_an_owner_paying_online_gets_a_payment_allocated_to_bills(client, session, fees):
    from pm_platform.fees import service
    fees.bill(session, "2026-10", "2026-11")
    unit = fees.units[0]
    owner = fees.world.user(session, "owner")
    order = service.create_unit_payment_order(session, owner, unit.id)
    session.commit()
    assert order.amount_fen == 2 * (10724 + 1000)  # two months of 107.24 + 10.00 yuan
    raw, headers = sign_sandbox_callback({"order_no": order.order_no, "txn_id": "WX-9", "amount_fen": order.amount_fen,
                                          "currency": "CNY"})
    assert post(client, raw, headers).status_code == 200
    assert post(client, raw, headers).status_code == 200  # the provider retries: still one payment
    online = session.scalars(select(Payment).where(Payment.unit_id == unit.id)).all()
    assert len(online) == 1 and online[0].channel == "online" and online[0].amount_fen == order.amount_fen
    assert service.unit_owing_fen(session, unit.id) == 0
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert json.loads(raw)["order_no"] == order.order_no
