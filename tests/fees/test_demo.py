"""The fees part of `flask demo`: what the demo users see, and books that balance.

The places demo runs on a small district (its size constants patched) to keep the test fast;
the fees demo runs unchanged on it."""
import random
import re

import pytest
from sqlalchemy import func, select

from pm_platform.core import audit, clock
from pm_platform.core.auth import get_user_by_name
from pm_platform.fees import demo, service
from pm_platform.fees.models import Bill, FeeItem, Payment, PaymentAllocation, ReceiptCounter, Waiver
from pm_platform.places import demo as places_demo
from pm_platform.places.models import AdminArea, Compound
from tests import factories

SMALL_DISTRICT = {"COMPOUNDS": 12, "BUILDINGS": 24, "HOUSEHOLDS": 480, "TOTAL_AREA_M2": 43_000}


@pytest.fixture
def summary(session, monkeypatch):
    """The demo district, small, with a shop among the first compound's units, and its fees."""
    for name, value in SMALL_DISTRICT.items():
        monkeypatch.setattr(places_demo, name, value)
    rng = random.Random(2022)
    places_demo.build_demo(session, rng)
    first = session.scalar(select(Compound).order_by(Compound.id).limit(1))
    factories.unit(session, first, building="底商", room="S1", area_cm2=6000, use="commercial", floor=1)
    text = demo.build_demo(session, rng)
    session.commit()
    return text


def table_rows(page: str, table: str) -> list[str]:
    """The data rows of every <table class/id="table"> on the page."""
    rows = []
    for body in re.findall(rf'<table (?:class|id)="{table}">(.*?)</table>', page, re.S):
        rows += re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]  # the first row holds the headings
    return rows


def test_the_owner_sees_their_bills_their_payments_and_a_pay_button(session, summary, login):
    page = login(get_user_by_name(session, "owner")).get("/fees/my")
    assert page.status_code == 200
    unit_ids = re.findall(r'<section class="card account" id="unit-(\d+)">', page.text)
    assert unit_ids
    sections = page.text.split('<section class="card account"')[1:]
    for unit_id, section in zip(unit_ids, sections):
        bills = table_rows(section, "bills")
        assert len(bills) == 2 * demo.MONTHS  # property and garbage fee, every month of the year
        assert f'action="/fees/units/{unit_id}/pay"' in section  # this month's bills are still open
        payments = table_rows(section, "payments")
        assert len(payments) == 2 and all(re.search(r"\d{4}-\d{7}", row) for row in payments)


@pytest.mark.parametrize("username", ["manager", "community"])
def test_the_manager_and_the_community_office_see_collection_rates(session, summary, login, username):
    page = login(get_user_by_name(session, username)).get("/fees")
    assert page.status_code == 200
    rates = [float(rate) for row in table_rows(page.text, "collection") for rate in re.findall(r"([\d.]+)%", row)]
    assert rates and all(0 < rate <= 100 for rate in rates)


def test_the_demo_bills_two_streets_with_rates_that_differ_and_books_that_balance(session, summary):
    streets = session.scalars(select(AdminArea.id).where(AdminArea.kind == "street").order_by(AdminArea.id)).all()
    billed = set(session.scalars(select(Bill.compound_id).distinct()))
    in_streets = set(session.scalars(select(Compound.id).where(Compound.street_id.in_([streets[0], streets[-1]]))))
    assert billed == in_streets and "collection this year" in summary
    ytd = service.collection_figures_ytd(session, sorted(billed), clock.period_of(clock.local_today()))
    rates = {round(figures.rate, 3) for figures in ytd.values()}
    assert len(rates) > 1 and all(0.5 < rate < 1 for rate in rates)

    allocated = (select(PaymentAllocation.bill_id, func.sum(PaymentAllocation.amount_fen).label("fen"))
                 .group_by(PaymentAllocation.bill_id).subquery())
    unbalanced = select(func.count()).select_from(Bill).outerjoin(allocated, allocated.c.bill_id == Bill.id).where(
        Bill.paid_fen != func.coalesce(allocated.c.fen, 0))
    assert session.scalar(unbalanced) == 0
    counted = dict(session.execute(select(Payment.compound_id, func.count()).group_by(Payment.compound_id)).all())
    assert counted == dict(session.execute(select(ReceiptCounter.compound_id, ReceiptCounter.last_no)).all())
    assert audit.verify_chain(session).ok
    assert demo.build_demo(session, random.Random(1)) == "already present"


def test_a_waiver_approved_by_the_community_office_and_a_shop_rate(session, summary):
    waiver = session.scalar(select(Waiver))
    assert waiver.status == "approved" and waiver.decided_by == get_user_by_name(session, "community").id
    waived = session.scalars(select(Bill).where(Bill.unit_id == waiver.unit_id, Bill.fee_item_id == waiver.fee_item_id))
    assert all(bill.waived_fen == service.waiver_share_fen(bill.amount_fen, 50) for bill in waived)
    items = {item.name: item for item in session.scalars(select(FeeItem).where(FeeItem.compound_id == waiver.compound_id))}
    assert set(items) == {"物业服务费", "物业服务费(商铺)", "垃圾处理费"}
    assert 60 <= service.rate_for(items["物业服务费"], "2099-01") <= 150
    assert service.rate_for(items["物业服务费(商铺)"], "2099-01") == 2 * service.rate_for(items["物业服务费"], "2099-01")
