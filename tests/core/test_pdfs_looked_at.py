"""Every PDF the pages offer, fetched through its page as a user allowed to see it and looked at:
page 1 rendered to an image by pdftoppm is not blank, and its text (pdftotext) shows what a
person would look for first: the compound's name, the total, no section heading with nothing
under it.

    receipt, arrears notices (fees) · fund disclosure (revenue) · result announcement (committees)
    · QR label sheet, monthly inspection report (inspections) · area board, red and black lists,
    rewards, compound dossier (scoring) · locker settlement statement (lockers)
"""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import gettext
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pm_platform.committees import service as committees
from pm_platform.core import clock
from pm_platform.fees import service as fees
from pm_platform.fees.models import Bill
from pm_platform.inspections import service as inspections
from pm_platform.lockers import service as lockers
from pm_platform.lockers.models import Parcel
from pm_platform.revenue import service as revenue
from pm_platform.scoring import rewards, service as scoring
from tests import factories, pdfs
from tests.committees.conftest import assembly, travel  # noqa: F401  (fixtures)
from tests.inspections.conftest import pin_clock  # noqa: F401  (fixture)
from tests.inspections.helpers import LAT, facility, inspect, plan, shanghai
from tests.revenue.test_ledger import LAST_QUARTER, revenue as post_revenue, spend
from tests.scoring.conftest import figures  # noqa: F401  (fixture)
from tests.scoring.test_pages import MONTH, setup_month

INK = 0.005  # share of non-white pixels above which a page is not blank (a few lines of text)


def zh(app, *labels: str) -> list[str]:
    """The Chinese a PDF prints for these English labels (PDFs are rendered in Chinese)."""
    with app.test_request_context():
        return [gettext(label) for label in labels]


def looked_at(response, *seen: str, headings=(), later=(), pages: int | None = None) -> str:
    """Assert what a person sees on page 1 of the PDF in `response` (`seen`), on any page
    (`later`), and that no heading among `headings` stands with nothing under it; returns
    page 1's text."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    pdf = response.data
    if pages is not None:
        assert pdfs.page_count(pdf) == pages
    image = pdfs.page_image(pdf, 1)
    assert pdfs.ink(image) > INK, "page 1 is blank"
    text = pdfs.page_text(pdf, 1)
    missing = [value for value in seen if value not in text]
    assert not missing, f"not on page 1: {missing}\n{text}"
    everything = pdfs.page_text(pdf)
    assert all(value in everything for value in later), [value for value in later if value not in everything]
    assert all(heading in everything for heading in headings), [h for h in headings if h not in everything]
    assert pdfs.empty_sections(everything, list(headings)) == [], everything
    return text


# --- fees ----------------------------------------------------------------------------------

@pytest.fixture
def billed(session, world):
    """Compound 1 with two fee items billed for four months, nothing paid."""
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    fees.create_fee_item(session, manager, compound.id, name="物业服务费", kind="per_area", rate_fen=120,
                         applies_to="residential", from_period="2026-01")
    fees.create_fee_item(session, manager, compound.id, name="垃圾处理费", kind="fixed", rate_fen=1000,
                         from_period="2026-01", due_day=20)
    for period in ("2026-06", "2026-07", "2026-08", "2026-09"):
        fees.bill_compound(session, compound.id, period)
    session.commit()
    return compound


def test_receipt(session, world, billed, login):
    clerk = world.user(session, "firm_staff")
    unit = world.units[billed.id][0]
    owed = sum(session.scalars(select(Bill.amount_fen).where(Bill.unit_id == unit.id)))
    payment = fees.record_payment(session, clerk, unit.id, owed, "cash")
    session.commit()
    response = login(clerk).get(f"/fees/receipts/{payment.receipt_no}.pdf")
    # 4 × (89.37 m² × 1.20 + 10.00) = 468.96, and the code that verifies it
    looked_at(response, "收款收据", billed.name, "¥468.96", "肆佰陆拾捌元玖角陆分", payment.verify_code, pages=1)
    with Image.open(_png(response.data, dpi=150)) as page:
        assert [symbol.data.decode() for symbol in decode(page)] == [
            f"http://localhost/receipts/{payment.receipt_no}/verify?code={payment.verify_code}"]


def _png(pdf: bytes, dpi: int):
    import io

    out = io.BytesIO()
    pdfs.page_image(pdf, 1, dpi=dpi).save(out, "PNG")
    out.seek(0)
    return out


def test_arrears_notices(session, world, billed, login):
    units = world.units[billed.id]
    response = login(world.user(session, "firm_staff")).get(
        f"/fees/buildings/{units[0].building_id}/notices.pdf?as_of=2026-10-15")
    text = looked_at(response, "催缴通知书", billed.name, units[0].label, "468.96", pages=len(units))
    assert "2026-06" in text and "2026-09" in text
    for page in range(2, len(units) + 1):  # every notice names its unit and carries its total
        other = pdfs.page_text(response.data, page)
        assert units[page - 1].label in other and "合计" in other and "468.96" in other


# --- revenue -------------------------------------------------------------------------------

def test_fund_disclosure(session, world, login, app):
    # The cost lines of the income table are another helper's (revenue); this looks at the rest.
    compound = world.compounds[0]
    keeper = world.user(session, "firm_manager")
    post_revenue(session, keeper, compound.id)
    spend(session, keeper, compound.id)
    revenue.prepare_disclosure(session, compound.id, LAST_QUARTER)
    session.commit()
    response = login(keeper).get(f"/compounds/{compound.id}/fund/disclosures/{LAST_QUARTER}.pdf")
    income, spending, closing = zh(app, "Income by source", "Spending", "Balance at the end of the quarter")
    text = looked_at(response, compound.name, LAST_QUARTER, income, spending, "更换单元门禁", headings=[spending])
    closing_line = next(line for line in text.splitlines() if closing in line)
    assert closing_line.split()[-1] == "500.00"  # 800.00 net income − 300.00 spent


# --- committees ----------------------------------------------------------------------------

def test_assembly_result_announcement(session, assembly, travel, client, app):  # noqa: F811
    motion = assembly.opened(session)
    for name, choice in [("alice", "agree"), ("developer", "agree"), ("bob", "abstain")]:
        committees.cast_ballot(session, assembly.users[name], motion.id, choice=choice)
    session.commit()
    travel(dt.timedelta(days=3, minutes=1))
    committees.close_due_motions(session)
    travel(dt.timedelta(days=10))
    committees.finalise_due_motions(session)
    session.commit()
    response = client.get(f"/motions/{motion.id}/notice.pdf")  # public: any owner may print it
    passed, = zh(app, "PASSED")
    looked_at(response, "议事小区", "通过管理规约", passed)


# --- inspections ---------------------------------------------------------------------------

def test_qr_label_sheet(session, world, login):
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    items = [facility(session, manager, compound, name=f"{n}号灭火器", lat=LAT + n * 1e-5) for n in range(1, 5)]
    response = login(manager).get(f"/compounds/{compound.id}/facilities/labels.pdf")
    looked_at(response, compound.name, *(item.name for item in items), pages=1)
    with Image.open(_png(response.data, dpi=150)) as page:
        assert len(decode(page)) == len(items)


def test_monthly_inspection_report(session, world, login, pin_clock):  # noqa: F811
    pin_clock(shanghai(2026, 11, 23, 15))
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    east = facility(session, manager, compound, name="东门道闸", kind="gate")
    west = facility(session, manager, compound, name="西门道闸", kind="gate", lat=LAT + 0.0005)
    plan(session, manager, compound, [east, west], [staff], start=dt.time(13), end=dt.time(14, 59), late_minutes=0)
    inspections.create_rounds_ahead(session, now=shanghai(2026, 11, 23, 12))
    gate = [{"item": "barrier", "value": "pass"}, {"item": "recognition", "value": "pass"},
            {"item": "safety", "value": "pass"}]
    inspect(session, staff, east, answers=gate, photos=[], lat=LAT + 0.001, opened=shanghai(2026, 11, 23, 14, 30))
    inspections.mark_missed(session)
    session.commit()
    response = login(world.user(session, "community")).get(f"/compounds/{compound.id}/inspection-report.pdf")
    text = looked_at(response, compound.name, "2026-11", "东门道闸", "西门道闸", "漏检",
                     headings=["应检明细", "存疑记录"])
    assert "本月无应检项目" not in text


# --- scoring -------------------------------------------------------------------------------

@pytest.fixture
def scored(session, world, figures):  # noqa: F811
    setup_month(session, world, figures)
    bureau = world.user(session, "bureau")
    for index, street in enumerate(world.streets):
        scoring.publish_month(session, world.user(session, "street", index), street.id, MONTH)
    rewards.set_fund(session, bureau, world.district.id, "2026-H2", 10_000_00)
    session.commit()
    return bureau


def test_district_board(session, world, scored, login, app):
    response = login(scored).get(f"/scores/district/{world.district.id}?month={MONTH}&format=pdf")
    # the district's average of 59.51 and 100.00 (tests/scoring/test_pages.py)
    headings = zh(app, "Indicators", "To watch")
    looked_at(response, world.district.name, MONTH, "79.76", "街道1", "街道2", headings=headings)


def test_red_and_black_lists(session, world, scored, login, app):
    client = login(scored)
    assert client.post(f"/scores/lists/{world.district.id}?month={MONTH}").status_code == 302
    response = client.get(f"/scores/lists/{world.district.id}?month={MONTH}&format=pdf")
    looked_at(response, world.district.name, MONTH, world.compounds[1].name, headings=zh(app, "Red list", "Black list"))


def test_rewards(session, world, scored, login):
    response = login(scored).get(f"/scores/rewards/{world.district.id}?half=2026-H2&format=pdf")
    looked_at(response, world.district.name, "2026-H2", world.compounds[1].name, "10000.00")


def test_compound_dossier(session, world, scored, login, app):
    compound = world.compounds[0]
    response = login(world.user(session, "community")).get(f"/scores/compound/{compound.id}/dossier.pdf?month={MONTH}")
    headings = zh(app, "Property firms", "Owners' committee terms", "Motions put to the owners' assembly",
                  "Renovation items and facilities", "Common-fund disclosures", "Scores over 12 months",
                  "Spot checks", "Major safety incidents")
    looked_at(response, compound.name, compound.address, world.firm.name, later=["59.51"], headings=headings)


# --- lockers -------------------------------------------------------------------------------

def test_locker_settlement_statement(session, world, login):
    manager = world.user(session, "firm_manager")
    contract = lockers.create_contract(session, manager, world.compounds[0].id, "丰巢", monthly_rent_fen=50000,
                                       commission_fen=10, free_hours=24, starts_on=dt.date(2026, 1, 1))
    site = lockers.create_site(session, manager, contract.id, "3栋快递柜")
    last_month = clock.period_of(clock.local_today().replace(day=1) - dt.timedelta(days=1))
    start, _end = clock.period_bounds(last_month)
    for n in range(7):
        session.add(Parcel(site_id=site.id, parcel_code=f"P{n}",
                           deposited_at=clock.local_midnight_utc(start) + dt.timedelta(hours=n * 30)))
    session.flush()
    settlement = lockers.settle_month(session, contract.id, last_month)
    session.commit()
    response = login(factories.user(session, "committee", "compound", world.compounds[0].id)).get(
        f"/lockers/settlements/{settlement.id}.pdf")
    looked_at(response, "丰巢", last_month, "500.00", "0.70", "500.70", pages=1)


# --- the looking itself can fail ---------------------------------------------------------------

def test_a_heading_with_nothing_under_it_and_a_blank_page_are_seen():
    text = "公示\n\n收入\n停车收益  800.00\n支出\n\x0c"
    assert pdfs.empty_sections(text, ["收入", "支出"]) == ["支出"]
    assert pdfs.empty_sections("收入\n支出\n更换门禁 300.00\n", ["收入", "支出"]) == ["收入"]
    assert pdfs.ink(Image.new("RGB", (100, 100), "white")) == 0
    assert pdfs.ink(Image.new("RGB", (100, 100), "black")) == 1
