"""The phone scan page in a real Chromium with a mobile viewport and a device position."""
import pytest

from tests import factories
from tests.factories import PASSWORD
from tests.inspections.helpers import LAT, LNG, facility, jpeg, token

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def scan_world(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = factories.World.build(session)
        manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
        item = facility(session, manager, world.compounds[0], name="3栋1层灭火器")
        session.commit()
        return {"staff": staff.username, "token": token(session, item.id)}


def test_an_inspector_walks_the_scan_page_on_a_phone(mobile_page, live_server, scan_world, tmp_path):
    page = mobile_page
    page.context.grant_permissions(["geolocation"], origin=live_server.web_url)
    page.context.set_geolocation({"latitude": LAT + 0.0001, "longitude": LNG, "accuracy": 9})
    page.goto(f"{live_server.web_url}/login?next=/q/{scan_world['token']}")
    page.get_by_label("用户名").fill(scan_world["staff"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/q/{scan_world['token']}")

    assert page.viewport_size["width"] == 390
    page.wait_for_selector("#location-status[data-ready='1']")
    assert "±9" in page.locator("#location-status").inner_text()
    # The checklist fits the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("压力表读数").fill("1.25")
    for key in ("seal", "body", "in_date"):
        page.locator(f"input[name=item_{key}][value=pass]").check()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg((800, 600)))
    page.locator("input[name=photo_photo]").set_input_files(str(photo))
    page.get_by_role("button", name="提交巡检").click()

    result = page.locator("#record-result")
    result.wait_for()
    text = result.inner_text()
    assert "巡检已记录" in text and "不在巡检时段内" in text
    assert "存疑" not in text and "距设施 11 米" in text


def test_a_resident_scanning_sees_only_the_report_button(mobile_page, live_server, scan_world):
    mobile_page.goto(f"{live_server.web_url}/q/{scan_world['token']}")
    card = mobile_page.locator("#public-facility")
    assert "3栋1层灭火器" in card.inner_text()
    assert mobile_page.locator("#checklist").count() == 0
    mobile_page.locator("#report-problem").click()
    mobile_page.wait_for_url("**/login**")
