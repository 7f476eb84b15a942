"""In a real Chromium on a phone-sized screen: an owner sees the month's bills and pays them
through the sandbox provider; the clerk then sees the payment and its receipt."""
import pytest

from pm_platform.fees import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def billed(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        manager = world.user(session, "firm_manager")
        clerk = world.user(session, "firm_staff")
        owner = world.user(session, "owner")
        compound = world.compounds[0]
        service.create_fee_item(session, manager, compound.id, name="物业服务费", kind="per_area", rate_fen=120,
                                from_period="2026-01")
        service.bill_compound(session, compound.id, "2026-11")
        session.commit()
        return {"owner": owner.username, "clerk": clerk.username, "unit_id": world.units[compound.id][0].id}


def test_an_owner_pays_the_months_bill_online_and_the_clerk_sees_the_receipt(mobile_page, live_server, billed):
    page = mobile_page
    sign_in(page, live_server.web_url, billed["owner"])
    page.goto(f"{live_server.web_url}/fees/my")
    account = page.locator(f"#unit-{billed['unit_id']}")
    assert "107.24" in account.locator(".owing").inner_text()
    assert "物业服务费" in account.locator("table.bills").inner_text()
    account.get_by_role("button", name="在线缴费 107.24 元").click()
    page.wait_for_url("**/payments/sandbox/**")
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url("**/fees/my")
    assert "支付成功" in page.locator(".flash").inner_text()
    account = page.locator(f"#unit-{billed['unit_id']}")
    assert account.locator(".owing").inner_text() == "0.00"
    assert "已缴" in account.locator("table.bills").inner_text()
    assert "线上支付" in account.locator("table.payments").inner_text()

    page.context.clear_cookies()
    sign_in(page, live_server.web_url, billed["clerk"])
    page.wait_for_url(f"{live_server.web_url}/")  # the start page
    page.goto(f"{live_server.web_url}/fees/units/{billed['unit_id']}")
    payments = page.locator("#payments")
    assert "线上支付" in payments.inner_text() and "107.24" in payments.inner_text()
    receipt = payments.locator("a").first.get_attribute("href")
    pdf = page.request.get(f"{live_server.web_url}{receipt}")  # shares the signed-in cookies
    assert pdf.ok and pdf.body().startswith(b"%PDF")
