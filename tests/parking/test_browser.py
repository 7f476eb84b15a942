"""In a real Chromium: a lot manager registers a vehicle to a unit, sells it a monthly pass at
the office and sees the pass listed; a bad plate comes back as an error on the form."""
import pytest

from pm_platform.parking import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World
from tests.parking.helpers import TARIFF

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lot_world(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        manager = world.user(session, "firm_manager")
        lot = service.create_lot(session, manager, world.compounds[0].id, "东门停车场", 50, TARIFF)
        session.commit()
        return {"manager": manager.username, "lot_id": lot.id, "unit": world.units[world.compounds[0].id][1].label}


def test_a_manager_registers_a_vehicle_and_sells_it_a_pass(page, live_server, lot_world):
    sign_in(page, live_server.web_url, lot_world["manager"])
    page.wait_for_url(f"{live_server.web_url}/")  # the start page
    page.goto(f"{live_server.web_url}/parking/lots/{lot_world['lot_id']}")
    page.get_by_role("link", name="车辆与月卡").click()
    page.wait_for_url("**/vehicles")

    register = page.locator("#vehicle-form")
    register.get_by_label("车牌").fill("京A·1234")
    register.get_by_role("button", name="登记").click()
    assert "不是有效的内地车牌" in page.locator("#vehicle-form .error").inner_text()
    register = page.locator("#vehicle-form")
    register.get_by_label("车牌").fill("京A·12345")
    register.get_by_label("车辆类型").select_option(label="月租车")
    register.get_by_label("房屋").select_option(label=lot_world["unit"])
    register.get_by_role("button", name="登记").click()
    assert "车辆已登记" in page.locator(".flash").inner_text()
    row = page.locator("#vehicles tr", has_text="京A12345")
    assert lot_world["unit"] in row.inner_text() and "无月卡" in row.inner_text()

    sale = page.locator("#pass-form")
    sale.get_by_label("车辆").select_option(label="京A12345")
    sale.get_by_label("起始日").fill("2026-12-01")
    sale.get_by_label("截止日").fill("2026-12-31")
    sale.get_by_label("价格（元）").fill("300")
    sale.get_by_role("button", name="办理").click()
    assert "月卡已办理" in page.locator(".flash").inner_text()
    row = page.locator("#vehicles tr", has_text="京A12345").inner_text()
    assert "东门停车场: 2026-12-01 – 2026-12-31" in row and "前台办理" in row and "300.00" in row
