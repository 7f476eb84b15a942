"""In a real Chromium on a phone-sized screen: an owner signs in, lands on the start page, pays
the bill it shows with its pay button, and comes back to a start page with nothing due."""
import pytest

from pm_platform.fees import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def owner_with_a_bill(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        manager = world.user(session, "firm_manager")
        owner = world.user(session, "owner")
        compound = world.compounds[0]
        service.create_fee_item(session, manager, compound.id, name="物业服务费", kind="fixed", rate_fen=8800,
                                from_period="2026-01")
        service.bill_compound(session, compound.id, "2026-11")
        session.commit()
        return {"owner": owner.username, "unit_id": world.units[compound.id][0].id}


def test_an_owner_pays_from_the_start_page(mobile_page, live_server, owner_with_a_bill):
    page, base = mobile_page, live_server.web_url
    sign_in(page, base, owner_with_a_bill["owner"])
    page.wait_for_url(f"{base}/")
    bills = page.locator("#owner-bills")
    assert "88.00" in bills.inner_text() and "物业服务费" in bills.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390   # nothing wider than the phone
    bills.get_by_role("button", name="在线缴费 88.00 元").click()
    page.wait_for_url("**/payments/sandbox/**")
    page.get_by_role("button", name="确认支付").click()
    page.wait_for_url("**/fees/my")
    page.goto(f"{base}/")
    assert "暂无待缴账单" in page.locator("#owner-bills").inner_text()
