"""The quarterly common-fund disclosure in a real Chromium: the keeper publishes it, an owner
reads it on a phone, the committee marks it reviewed, the community office sees who is late."""
import datetime as dt

import pytest

from pm_platform.core import clock
from pm_platform.revenue import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser
QUARTER = service.latest_due_quarter(clock.local_today())   # the one the office checks
DAY = service.quarter_bounds(QUARTER)[0] + dt.timedelta(days=20)


@pytest.fixture(scope="module")
def fund_world(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        cid = world.compounds[0].id
        users = {role: world.user(session, role) for role in ("firm_manager", "owner", "committee", "community")}
        keeper = users["firm_manager"]
        service.post_revenue_entry(session, keeper, compound_id=cid, source="parking", gross_fen=1234567,
                                   cost_fen=234567, cost_justification="道闸维护与电费", occurred_on=DAY,
                                   description="临时停车收入")
        service.post_revenue_entry(session, keeper, compound_id=cid, source="advertising", gross_fen=50000,
                                   occurred_on=DAY, description="电梯广告")
        service.post_expenditure(session, keeper, compound_id=cid, amount_fen=300000, description="更换单元门禁",
                                 decision_ref="业主大会决议 2026-03号", occurred_on=DAY, attachment_name="决议.pdf",
                                 attachment_type="application/pdf", attachment_data=b"%PDF-1.4")
        service.prepare_disclosure(session, cid, QUARTER)
        session.commit()
        return cid, world.compounds[0].name, {role: u.username for role, u in users.items()}


def test_disclosure_from_publishing_to_review(page, mobile_page, live_server, fund_world):
    cid, name, users = fund_world
    url = f"{live_server.web_url}/compounds/{cid}/fund/disclosures/{QUARTER}"

    sign_in(page, live_server.web_url, users["community"])
    page.goto(f"{live_server.web_url}/fund/disclosure-status")
    assert QUARTER in page.locator("h1").inner_text()
    assert "未公示" in page.locator("#status").inner_text()

    sign_in(page, live_server.web_url, users["firm_manager"])
    page.goto(url)
    assert "草稿" in page.locator("#state").inner_text()
    page.get_by_role("button", name="向业主公示").click()
    assert "已向业主公示" in page.locator("main").inner_text()
    pdf = page.request.get(f"{url}.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # an owner, on a phone: income by source, costs with why, spending with its decision, balances
    sign_in(mobile_page, live_server.web_url, users["owner"])
    mobile_page.goto(f"{live_server.web_url}/compounds/{cid}/fund/disclosures")
    mobile_page.get_by_role("link", name=QUARTER).click()
    income = mobile_page.locator("#income").inner_text()
    assert "停车收益" in income and "12345.67" in income and "2345.67" in income and "道闸维护与电费" in income
    assert "广告" in income and mobile_page.locator("#net-total").inner_text() == "10500.00"
    assert "业主大会决议 2026-03号" in mobile_page.locator("#spending").inner_text()
    assert mobile_page.locator("#closing").inner_text() == "7500.00"
    assert "业委会尚未审核" in mobile_page.locator("#state").inner_text()
    assert mobile_page.get_by_role("button", name="标记为已审核").count() == 0
    # the table fits the phone's width
    assert mobile_page.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    sign_in(page, live_server.web_url, users["committee"])
    page.goto(url)
    page.get_by_role("button", name="标记为已审核").click()
    assert "业委会已于" in page.locator("#state").inner_text()
