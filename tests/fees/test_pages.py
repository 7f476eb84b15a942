"""The clerk's, the manager's, the office's and the owner's pages; PDFs and exports."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pm_platform.fees import service
from pm_platform.fees.models import Bill, Payment, Waiver


def test_the_clerk_records_a_payment_on_the_unit_page_and_opens_the_receipt(session, fees, login):
    fees.bill(session, "2026-11")
    client = login(fees.clerk)
    unit = fees.units[0]
    page = client.get(f"/fees/units/{unit.id}")
    assert page.status_code == 200 and "117.24" in page.text  # 107.24 + 10.00 owed
    response = client.post(f"/fees/units/{unit.id}", data={"pay-amount": "117.24", "pay-channel": "cash",
                                                           "pay-reference": ""}, follow_redirects=True)
    assert response.status_code == 200 and 'id="new-receipt"' in response.text
    payment = session.scalar(select(Payment))
    assert payment.amount_fen == 11724 and service.unit_owing_fen(session, unit.id) == 0
    pdf = client.get(f"/fees/receipts/{payment.receipt_no}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"


@pytest.mark.parametrize("amount, message", [("-5", "金额须为正整数(单位:分)"), ("0", "金额须为正整数(单位:分)"),
                                             ("1.234", "金额最多保留两位小数"), ("abc", "金额须为数字")])
def test_a_bad_amount_on_the_page_is_a_form_error_and_writes_nothing(session, fees, login, amount, message):
    fees.bill(session, "2026-11")
    client = login(fees.clerk)
    response = client.post(f"/fees/units/{fees.units[0].id}",
                           data={"pay-amount": amount, "pay-channel": "cash", "pay-reference": ""})
    assert response.status_code == 200 and message in response.text
    assert session.scalar(select(Payment)) is None


def test_the_clerk_reads_the_services_refusal_in_chinese(session, fees, login):
    fees.bill(session, "2026-11")
    client = login(fees.clerk)
    response = client.post(f"/fees/units/{fees.units[0].id}",
                           data={"pay-amount": "117.24", "pay-channel": "bank", "pay-reference": ""})
    assert response.status_code == 200 and "银行转账或 POS 刷卡收款请填写交易流水号" in response.text
    assert "transaction number" not in response.text  # the API's English stays off the page
    assert session.scalar(select(Payment)) is None


def test_the_receipt_qr_opens_a_public_page_without_personal_data(session, fees, client):
    fees.bill(session, "2026-11")
    payment = service.record_payment(session, fees.clerk, fees.units[0].id, 11724, "cash")
    session.commit()
    page = client.get(f"/receipts/{payment.receipt_no}/verify?code={payment.verify_code}")
    assert page.status_code == 200
    assert "117.24" in page.text and fees.compound.name in page.text
    owner = fees.world.owners[fees.compound.id]
    assert owner.name not in page.text and fees.units[0].room not in page.text
    assert client.get(f"/receipts/{payment.receipt_no}/verify?code=wrong").status_code == 404
    api = client.get(f"/api/v1/receipts/{payment.receipt_no}/verify", query_string={"code": payment.verify_code})
    assert api.status_code == 200 and api.json["amount_fen"] == 11724 and api.json["reversed"] is False
    assert set(api.json) == {"receipt_no", "compound", "amount_fen", "paid_on", "kind", "reversed"}
    assert client.get(f"/api/v1/receipts/{payment.receipt_no}/verify").status_code == 422


def test_the_receipt_pdf_carries_the_verification_qr(session, fees, app):
    from pyzbar.pyzbar import decode
    from pm_platform.core.pdf import render_pdf
    import subprocess, tempfile, pathlib
    from PIL import Image
    fees.bill(session, "2026-11")
    payment = service.record_payment(session, fees.clerk, fees.units[0].id, 20000, "cash")
    with app.test_request_context():
        from pm_platform.fees.views import receipt_context
        context = receipt_context(payment)
        pdf = render_pdf("fees/receipt.html", context)
    assert context["amount_words"] == "贰佰元整" and context["credit"] == 20000 - 11724
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "r.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(path.with_suffix(""))], check=True)
        image = Image.open(next(pathlib.Path(tmp).glob("*.png")))
        codes = decode(image)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert [c.data.decode() for c in codes] == [context["verify_url"]]
    assert payment.verify_code in context["verify_url"] and "收款收据" in text and payment.receipt_no in text


def test_the_manager_adds_an_item_and_starts_a_run_from_the_page(session, fees, login):
    client = login(fees.manager)
    response = client.post(f"/fees/compounds/{fees.compound.id}", data={
        "item-name": "电梯运行费", "item-kind": "per_area", "item-rate": "0.30", "item-applies_to": "residential",
        "item-cycle": "monthly", "item-due_day": "10", "item-from_period": "2026-11"}, follow_redirects=True)
    assert response.status_code == 200 and "电梯运行费" in response.text
    response = client.post(f"/fees/compounds/{fees.compound.id}", data={"run-period": "2026-11"}, follow_redirects=True)
    assert response.status_code == 200
    # no Redis in tests: the job ran eagerly when the request's outbox row was relayed
    assert session.scalar(select(Bill.amount_fen).where(Bill.unit_id == fees.units[0].id, Bill.fee_item_id.is_not(None))
                          .where(Bill.period == "2026-11").order_by(Bill.amount_fen.desc()).limit(1)) == 10724
    bad = client.post(f"/fees/compounds/{fees.compound.id}", data={"run-period": "2026/11"})
    assert bad.status_code == 200 and "2026-11" in bad.text  # the form says what a period looks like


def test_staff_of_another_compound_get_404_on_fee_pages(session, fees, login):
    outsider = fees.world.user(session, "community", index=1)
    client = login(outsider)
    assert client.get(f"/fees/compounds/{fees.compound.id}").status_code == 404
    assert client.get(f"/fees/units/{fees.units[0].id}").status_code == 404
    assert client.get(f"/fees/compounds/{fees.compound.id}/arrears").status_code == 404
    assert client.get(f"/fees/compounds/{fees.compound.id}/bills.xlsx").status_code == 404


def test_the_committee_reads_but_cannot_change(session, fees, login):
    client = login(fees.world.user(session, "committee"))
    assert client.get(f"/fees/compounds/{fees.compound.id}").status_code == 200
    assert client.post(f"/fees/compounds/{fees.compound.id}", data={"run-period": "2026-11"}).status_code == 403


def test_waiver_requested_by_the_firm_and_approved_by_the_community_office(session, fees, login):
    fees.bill(session, "2026-11")
    unit = fees.units[1]
    client = login(fees.clerk)
    client.post(f"/fees/units/{unit.id}", data={"waiver-percent": "50", "waiver-fee_item_id": "0",
                                                "waiver-from_period": "2026-11", "waiver-to_period": "2027-10",
                                                "waiver-reason": "低保户"})
    waiver = session.scalar(select(Waiver))
    assert waiver.status == "requested"
    assert client.post("/fees/waivers", data={"waiver_id": waiver.id, "decision": "approve"}).status_code == 200
    session.expire_all()
    assert session.get(Waiver, waiver.id).status == "requested"  # a clerk cannot approve
    office = login(fees.world.user(session, "community"))
    office.post("/fees/waivers", data={"waiver_id": waiver.id, "decision": "approve"})
    session.expire_all()
    assert session.get(Waiver, waiver.id).status == "approved"
    again = office.post("/fees/waivers", data={"waiver_id": waiver.id, "decision": "reject"})
    assert again.status_code == 200 and "该减免申请已批准" in again.text
    bills = {b.fee_item.name: b for b in session.scalars(select(Bill).where(Bill.unit_id == unit.id))}
    assert bills["物业服务费"].waived_fen == 5362 and bills["垃圾处理费"].waived_fen == 500  # 107.24 / 2
    fees.bill(session, "2026-12")
    december = session.scalar(select(Bill).where(Bill.unit_id == unit.id, Bill.period == "2026-12",
                                                 Bill.fee_item_id == fees.garbage_fee.id))
    assert december.waived_fen == 500 and december.owing_fen == 500


def pdf_pages(data: bytes) -> int:
    import subprocess
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_arrears_page_notices_and_exports(session, fees, login):
    fees.bill(session, "2026-06", "2026-10", "2026-11")
    client = login(fees.clerk)
    page = client.get(f"/fees/compounds/{fees.compound.id}/arrears?as_of=2026-12-01")
    assert page.status_code == 200 and "1栋" in page.text
    building = fees.units[0].building_id
    pdf = client.get(f"/fees/buildings/{building}/notices.pdf?as_of=2026-12-01")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf_pages(pdf.data) == 3  # one page per unit in arrears, all three in 1栋
    assert client.get(f"/fees/compounds/{fees.compound.id}/arrears?as_of=tomorrow").status_code == 422
    sheet = client.get(f"/fees/compounds/{fees.compound.id}/bills.xlsx?period=2026-11")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "房屋 / unit" and len(rows) == 1 + 6
    assert any(row[1] == "物业服务费" and float(row[5]) == 107.24 for row in rows[1:])
    arrears = client.get(f"/fees/compounds/{fees.compound.id}/arrears.xlsx?as_of=2026-12-01")
    rows = list(load_workbook(io.BytesIO(arrears.data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    # on 1 December: November's bills are 11–16 days overdue, October's 42–47, June's 164–169
    assert [float(v) for v in rows[1][1:6]] == [117.24, 117.24, 117.24, 0, 0] and float(rows[1][6]) == 351.72


def test_the_owner_sees_their_bills_and_pays_through_the_sandbox(session, fees, login):
    fees.bill(session, "2026-11")
    owner = fees.world.user(session, "owner")
    client = login(owner)
    page = client.get("/fees/my")
    assert page.status_code == 200 and "117.24" in page.text
    assert "<th>截止日期</th>" in page.text  # the bill's due date, not the scoring page's "amount due"
    unit = fees.units[0]
    checkout = client.post(f"/fees/units/{unit.id}/pay")
    assert checkout.status_code == 302 and "/payments/sandbox/" in checkout.location
    done = client.post(checkout.location, follow_redirects=True)
    assert done.status_code == 200
    assert service.unit_owing_fen(session, unit.id) == 0
    assert session.scalar(select(Payment.channel)) == "online"
    other = fees.units[1]
    assert client.post(f"/fees/units/{other.id}/pay").status_code == 404  # not their unit


def test_pay_pressed_on_a_stale_bills_page_returns_to_the_bills_saying_nothing_is_owed(session, fees, login):
    """The owner opened their bills, then the unit was paid (at the counter, or from another
    phone: the load benchmark's residents do this) before they pressed pay: back to the bills
    page with the reason, not an error page."""
    fees.bill(session, "2026-11")
    unit = fees.units[0]
    client = login(fees.world.user(session, "owner"))
    assert f"/fees/units/{unit.id}/pay" in client.get("/fees/my").text
    service.record_payment(session, fees.clerk, unit.id, service.unit_owing_fen(session, unit.id), "cash")
    session.commit()
    pressed = client.post(f"/fees/units/{unit.id}/pay")
    assert pressed.status_code == 302 and pressed.location.endswith("/fees/my")
    page = client.get("/fees/my")
    assert "该房屋没有欠费" in page.text and f"/fees/units/{unit.id}/pay" not in page.text
    assert session.scalar(select(Payment.channel).where(Payment.channel == "online")) is None


def test_the_collection_page_shows_rate_per_compound_and_firm(session, fees, login):
    fees.bill(session, "2026-11")
    service.record_payment(session, fees.clerk, fees.units[0].id, 11724, "cash")
    session.commit()
    page = login(fees.world.user(session, "community")).get("/fees?period=2026-11")
    assert page.status_code == 200
    # 3 units × (10.00 + area × 1.20): paid 117.24 of 351.72 → 33.3%
    assert "33.3%" in page.text and fees.world.firm.name in page.text
    firm_page = login(fees.manager).get("/fees?period=2026-11")
    assert "33.3%" in firm_page.text


def first_flash(page) -> str:
    return page.text.split('class="flash">', 1)[1].split("</div>", 1)[0]


def test_a_refused_reversal_or_refund_says_why_on_the_unit_page(session, fees, login):
    """Both forms post from the unit page and redirect back to it: the reason must come along."""
    fees.bill(session, "2026-11")
    unit = fees.units[0]
    payment = service.record_payment(session, fees.clerk, unit.id, 20000, "cash")  # 82.76 yuan left as credit
    session.commit()
    clerk, manager = login(fees.clerk), login(fees.manager)
    no_reason = clerk.post(f"/fees/payments/{payment.id}/reverse", data={"rev-reason": ""}, follow_redirects=True)
    assert no_reason.status_code == 200 and first_flash(no_reason) == "原因: 该字段是必填字段。"
    too_precise = manager.post(f"/fees/payments/{payment.id}/refund",
                               data={"ref-amount": "1.234", "ref-reason": "多缴"}, follow_redirects=True)
    assert first_flash(too_precise) == "退款金额(元): 金额最多保留两位小数:1.234"
    too_much = manager.post(f"/fees/payments/{payment.id}/refund",
                            data={"ref-amount": "90", "ref-reason": "多缴"}, follow_redirects=True)
    assert first_flash(too_much) == "该笔收款未分配的金额只有 8276 分"
    assert session.scalars(select(Payment)).all() == [payment]  # nothing written
