"""Clerk payments: oldest bills first, prepayment credit, refunds and reversals as new entries,
gap-free receipt numbers, scope."""
import pytest
from sqlalchemy import func, select

from pm_platform.core.audit import verify_chain
from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.fees import service
from pm_platform.fees.models import Bill, Payment, PaymentAllocation

MONTH = 10724 + 1000  # 107.24 yuan property fee + 10.00 yuan garbage fee for unit 0


def by_key(session, unit_id):
    session.expire_all()
    return {(b.fee_item.name, b.period): b for b in session.scalars(select(Bill).where(Bill.unit_id == unit_id))}


def test_a_payment_goes_to_the_oldest_bills_first_and_may_pay_part_of_one(session, fees):
    fees.bill(session, "2026-09", "2026-10", "2026-11")
    unit = fees.units[0]
    payment = service.record_payment(session, fees.clerk, unit.id, MONTH + 5000, "cash")
    session.commit()
    bills = by_key(session, unit.id)
    assert bills[("物业服务费", "2026-09")].status == "paid" and bills[("垃圾处理费", "2026-09")].status == "paid"
    assert bills[("物业服务费", "2026-10")].paid_fen == 5000 and bills[("物业服务费", "2026-10")].status == "partial"
    assert bills[("垃圾处理费", "2026-10")].paid_fen == 0
    assert [a.amount_fen for a in payment.allocations] == [10724, 1000, 5000]
    assert service.unit_owing_fen(session, unit.id) == 3 * MONTH - MONTH - 5000


def test_named_bills_are_paid_first_then_the_oldest(session, fees):
    fees.bill(session, "2026-10", "2026-11")
    unit = fees.units[0]
    november = by_key(session, unit.id)[("物业服务费", "2026-11")]
    service.record_payment(session, fees.clerk, unit.id, 10724 + 1000, "pos", "POS-1", bill_ids=[november.id])
    bills = by_key(session, unit.id)
    assert bills[("物业服务费", "2026-11")].status == "paid"
    assert bills[("物业服务费", "2026-10")].paid_fen == 1000  # the rest, oldest first


def test_more_than_is_owed_is_kept_as_credit_and_used_by_the_next_bills(session, fees):
    fees.bill(session, "2026-10")
    unit = fees.units[0]
    payment = service.record_payment(session, fees.clerk, unit.id, 3 * MONTH, "bank", "BANK-001")
    session.commit()
    assert service.unit_credit_fen(session, unit.id) == 2 * MONTH and service.unit_owing_fen(session, unit.id) == 0
    fees.bill(session, "2026-11")  # the new month's bills take the credit
    assert service.unit_owing_fen(session, unit.id) == 0 and service.unit_credit_fen(session, unit.id) == MONTH
    assert sum(a.amount_fen for a in session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id))) == 2 * MONTH


def test_the_same_bank_transfer_entered_twice_is_one_payment(session, fees, client, api):
    fees.bill(session, "2026-11")
    headers = api(fees.clerk)
    body = {"unit_id": fees.units[0].id, "amount_fen": 5000, "channel": "bank", "reference": "ICBC-778"}
    first = client.post("/api/v1/payments", json=body, headers=headers)
    second = client.post("/api/v1/payments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"] and first.json["receipt_no"] == second.json["receipt_no"]
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    other = client.post("/api/v1/payments", json=body | {"amount_fen": 6000}, headers=headers)
    assert other.status_code == 409


def test_the_payment_api_returns_allocations_receipt_and_credit(session, fees, client, api):
    fees.bill(session, "2026-11")
    response = client.post("/api/v1/payments", headers=api(fees.clerk),
                           json={"unit_id": fees.units[0].id, "amount_fen": MONTH + 100, "channel": "cash",
                                 "reference": "前台"})
    assert response.status_code == 201
    data = response.json
    assert sorted(a["amount_fen"] for a in data["allocations"]) == [1000, 10724]
    assert data["credit_fen"] == 100 and data["receipt_no"].endswith("-0000001")
    bills = client.get(f"/api/v1/units/{fees.units[0].id}/bills", headers=api(fees.clerk)).json
    assert {(b["amount_fen"], b["paid_fen"], b["status"]) for b in bills} == {(10724, 10724, "paid"), (1000, 1000, "paid")}
    assert set(bills[0]) >= {"id", "period", "fee_item_id", "amount_fen", "paid_fen", "status"}


@pytest.mark.parametrize("body, field", [
    ({"amount_fen": 0}, "amount_fen"), ({"amount_fen": -100}, "amount_fen"), ({"amount_fen": 12.5}, "amount_fen"),
    ({"amount_fen": "100"}, "amount_fen"), ({"channel": "bitcoin"}, "channel"),
    ({"channel": "bank", "reference": ""}, "reference"),
])
def test_bad_payments_are_refused_and_nothing_is_written(session, fees, client, api, body, field):
    fees.bill(session, "2026-11")
    data = {"unit_id": fees.units[0].id, "amount_fen": 500, "channel": "cash"} | body
    response = client.post("/api/v1/payments", json=data, headers=api(fees.clerk))
    assert response.status_code == 422 and response.json["error"]["field"] == field
    assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_a_clerk_cannot_pay_a_bill_of_another_compound(session, fees, client, api):
    other_unit = fees.world.units[fees.world.compounds[1].id][0]
    response = client.post("/api/v1/payments", headers=api(fees.clerk),
                           json={"unit_id": other_unit.id, "amount_fen": 500, "channel": "cash"})
    assert response.status_code == 404
    assert client.get(f"/api/v1/units/{other_unit.id}/bills", headers=api(fees.clerk)).status_code == 404
    # nor name another compound's bill against one of their own units
    other_item = service.create_fee_item(session, fees.world.user(session, "admin"), fees.world.compounds[1].id,
                                         name="物业服务费", kind="fixed", rate_fen=100, from_period="2026-01")
    service.bill_compound(session, fees.world.compounds[1].id, "2026-11")
    session.commit()
    foreign = session.scalar(select(Bill.id).where(Bill.fee_item_id == other_item.id))
    response = client.post("/api/v1/payments", headers=api(fees.clerk),
                           json={"unit_id": fees.units[0].id, "amount_fen": 100, "channel": "cash",
                                 "bill_ids": [foreign]})
    assert response.status_code == 404 and response.json["error"]["field"] == "bill_ids"
    assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_committee_and_owner_may_not_record_payments(session, fees):
    for role in ("committee", "owner", "community"):
        with pytest.raises(PermissionDenied):
            service.record_payment(session, fees.world.user(session, role), fees.units[0].id, 100, "cash")


def test_a_reversal_is_a_new_negative_entry_that_reopens_the_bills(session, fees):
    fees.bill(session, "2026-11")
    unit = fees.units[0]
    payment = service.record_payment(session, fees.clerk, unit.id, MONTH, "bank", "BANK-9")
    reversal = service.reverse_payment(session, fees.manager, payment.id, "退票")
    session.commit()
    session.expire_all()
    assert session.get(Payment, payment.id).amount_fen == MONTH  # the original is untouched
    assert reversal.kind == "reversal" and reversal.amount_fen == -MONTH and reversal.reverses_id == payment.id
    assert service.unit_owing_fen(session, unit.id) == MONTH
    assert reversal.receipt_no != payment.receipt_no
    with pytest.raises(Conflict):
        service.reverse_payment(session, fees.manager, payment.id, "again")
    assert verify_chain(session).ok


def test_a_refund_pays_back_credit_only(session, fees):
    fees.bill(session, "2026-11")
    unit = fees.units[0]
    payment = service.record_payment(session, fees.clerk, unit.id, MONTH + 3000, "cash")
    with pytest.raises(ValidationError):
        service.refund_credit(session, fees.manager, payment.id, 3001, "多缴退款")
    refund = service.refund_credit(session, fees.manager, payment.id, 3000, "多缴退款")
    assert refund.amount_fen == -3000 and service.unit_credit_fen(session, unit.id) == 0
    with pytest.raises(PermissionDenied):  # staff record payments; the manager signs off money going out
        service.refund_credit(session, fees.clerk, payment.id, 1, "x")


def test_receipt_numbers_run_without_gaps_per_compound_even_after_a_failed_payment(session, fees):
    fees.bill(session, "2026-11")
    unit = fees.units[0]
    first = service.record_payment(session, fees.clerk, unit.id, 100, "cash")
    session.commit()
    with pytest.raises(Conflict):  # a request that fails after taking a number rolls it back
        service.record_payment(session, fees.clerk, unit.id, 100, "bank", "T-1")
        service.record_payment(session, fees.clerk, unit.id, 999, "bank", "T-1")
    session.rollback()
    second = service.record_payment(session, fees.clerk, unit.id, 100, "cash")
    third = service.record_payment(session, fees.clerk, fees.units[1].id, 100, "cash")
    session.commit()
    cid = fees.compound.id
    assert [first.receipt_no, second.receipt_no, third.receipt_no] == [
        f"{cid:04d}-0000001", f"{cid:04d}-0000002", f"{cid:04d}-0000003"]


def test_a_block_of_receipt_numbers_follows_on_and_the_next_payment_after_it(session, fees):
    cid = fees.compound.id
    assert service.take_receipt_nos(session, cid, 3) == [f"{cid:04d}-000000{n}" for n in (1, 2, 3)]
    fees.bill(session, "2026-11")
    payment = service.record_payment(session, fees.clerk, fees.units[0].id, 100, "cash")
    assert payment.receipt_no == f"{cid:04d}-0000004"
    assert service.take_receipt_nos(session, cid, 2) == [f"{cid:04d}-0000005", f"{cid:04d}-0000006"]


def test_payments_are_audited(session, fees):
    fees.bill(session, "2026-11")
    payment = service.record_payment(session, fees.clerk, fees.units[0].id, 100, "cash")
    from pm_platform.core.models import AuditEntry
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.record",
                                                    AuditEntry.entity_id == str(payment.id)))
    assert entry is not None and entry.actor_id == fees.clerk.id and '"amount_fen":100' in entry.payload


def test_paying_an_unknown_unit_is_404(session, fees):
    with pytest.raises(NotFound):
        service.record_payment(session, fees.clerk, 999999, 100, "cash")
