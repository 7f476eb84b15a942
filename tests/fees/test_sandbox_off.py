"""Without the sandbox (every deployment), nobody can mark an order paid through it, and the
owner's page says where to pay instead of offering a button that cannot work."""
from sqlalchemy import func, select

from pm_platform.fees import payments, service
from pm_platform.fees.payments import PaymentOrder, sign_sandbox_callback


def test_with_the_sandbox_off_its_checkout_and_callback_do_not_exist(app, client, session, fees, login, monkeypatch):
    fees.bill(session, "2026-11")
    owner = fees.world.user(session, "owner")
    unit = fees.units[0]
    order = service.create_unit_payment_order(session, owner, unit.id)
    session.commit()
    monkeypatch.setitem(app.config, "PAYMENT_SANDBOX", False)
    assert client.post(f"/payments/sandbox/{order.order_no}").status_code == 404
    raw, headers = sign_sandbox_callback({"order_no": order.order_no, "txn_id": "T1", "amount_fen": order.amount_fen,
                                          "currency": "CNY", "status": "paid"})
    assert client.post("/api/v1/payments/callbacks/sandbox", data=raw, headers=headers).status_code == 404
    assert service.unit_owing_fen(session, unit.id) == order.amount_fen  # still owed: nothing was paid
    page = login(owner).get("/fees/my")
    assert "请到物业服务中心缴纳" in page.text and f"/fees/units/{unit.id}/pay" not in page.text
    refused = login(owner).post(f"/fees/units/{unit.id}/pay")
    assert refused.status_code == 503 and "此处未开通在线支付" in refused.text


def test_pressing_pay_twice_opens_one_order(session, fees, login):
    fees.bill(session, "2026-11")
    owner = fees.world.user(session, "owner")
    unit = fees.units[0]
    client = login(owner)
    first = client.post(f"/fees/units/{unit.id}/pay")
    second = client.post(f"/fees/units/{unit.id}/pay")
    assert first.status_code == second.status_code == 302 and first.location == second.location
    assert session.scalar(select(func.count()).select_from(PaymentOrder)) == 1
    client.post(first.location)  # paid
    assert service.unit_owing_fen(session, unit.id) == 0
    fees.bill(session, "2026-12")  # a new bill: a new set of bills, a new order
    third = client.post(f"/fees/units/{unit.id}/pay")
    assert third.status_code == 302 and third.location != first.location
    order = payments.get_order(session, third.location.split("/payments/sandbox/")[1].split("?")[0])
    assert order.amount_fen == service.unit_owing_fen(session, unit.id)
