"""The receipt a clerk prints: the total and the verification code on every page of it."""
import pytest
from sqlalchemy import select

from pm_platform.core.money import format_yuan
from pm_platform.fees import service
from pm_platform.fees.models import Bill
from tests import pdfs

A5_LANDSCAPE = "595.276 x 419.528 pts"


def pay_everything(session, fees, periods):
    fees.bill(session, *periods)
    unit = fees.units[0]
    owed = sum(session.scalars(select(Bill.amount_fen).where(Bill.unit_id == unit.id)))
    payment = service.record_payment(session, fees.clerk, unit.id, owed, "cash")
    session.commit()
    return payment


def months(count):
    return [f"{2026 + n // 12}-{n % 12 + 1:02d}" for n in range(count)]


def test_a_twelve_line_receipt_is_one_a5_page_with_the_total_and_the_code(session, fees, login):
    # six months of the property fee and the garbage fee: twelve lines, which ran onto a second
    # page holding only the total and the verification code
    payment = pay_everything(session, fees, months(6))
    assert len(payment.allocations) == 12
    pdf = login(fees.clerk).get(f"/fees/receipts/{payment.receipt_no}.pdf").data
    assert pdfs.page_count(pdf) == 1 and pdfs.page_size(pdf).startswith(A5_LANDSCAPE)
    text = pdfs.page_text(pdf, 1)
    assert "¥703.44" in text and "柒佰零叁元肆角肆分" in text  # 6 × (107.24 + 10.00)
    assert payment.verify_code in text and payment.receipt_no in text
    assert text.count("物业服务费") == 6 and text.count("垃圾处理费") == 6


@pytest.mark.parametrize("count, page_size", [(7, A5_LANDSCAPE), (20, "595.276 x 841.89 pts (A4)")])
def test_up_to_forty_lines_print_on_one_page(session, fees, login, count, page_size):
    # 14 lines on A5, 40 on A4 (a year and a half of two items)
    payment = pay_everything(session, fees, months(count))
    assert len(payment.allocations) == 2 * count
    pdf = login(fees.clerk).get(f"/fees/receipts/{payment.receipt_no}.pdf").data
    assert pdfs.page_count(pdf) == 1 and pdfs.page_size(pdf).startswith(page_size)
    text = pdfs.page_text(pdf, 1)
    assert f"¥{format_yuan(payment.amount_fen)}" in text and payment.verify_code in text


def test_a_longer_receipt_repeats_the_header_the_total_and_the_code_on_every_page(session, fees, login):
    payment = pay_everything(session, fees, months(30))  # 60 lines
    assert len(payment.allocations) == 60
    pdf = login(fees.clerk).get(f"/fees/receipts/{payment.receipt_no}.pdf").data
    assert pdfs.page_count(pdf) == 2
    periods = []
    for page in (1, 2):
        text = pdfs.page_text(pdf, page)
        assert "收款收据" in text and payment.receipt_no in text and "账期" in text
        assert "¥3517.20" in text and payment.verify_code in text  # 30 × 117.24
        assert f"第{page}页/共2页" in text.replace(" ", "")
        periods += [line.split()[0] for line in text.splitlines() if line.strip().startswith(("2026-", "2027-", "2028-"))]
    assert periods == [period for period in months(30) for _ in range(2)]  # every line once, in order
