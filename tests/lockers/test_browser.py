"""In a real Chromium: a manager adds a locker cabinet on the devices page, copies the key it
shows once, and the cabinet's first event with that key is accepted by the API."""
import datetime as dt

import pytest

from pm_platform.lockers import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def locker_site(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        manager = world.user(session, "firm_manager")
        compound = world.compounds[0]
        contract = service.create_contract(session, manager, compound.id, "丰巢", monthly_rent_fen=50000,
                                           commission_fen=10, free_hours=48, starts_on=dt.date(2026, 1, 1))
        site = service.create_site(session, manager, contract.id, "北门快递柜")
        session.commit()
        return {"manager": manager.username, "compound_id": compound.id, "site_id": site.id}


def test_a_manager_adds_a_cabinet_and_the_key_shown_once_is_accepted(page, live_server, locker_site):
    base = live_server.web_url
    sign_in(page, base, locker_site["manager"])
    page.wait_for_url(f"{base}/")  # the start page
    page.goto(f"{base}/compounds/{locker_site['compound_id']}")
    page.get_by_role("link", name="道闸与快递柜设备").click()
    page.get_by_label("类型").select_option("locker")
    page.get_by_label("名称").fill("北门1号柜")
    page.get_by_role("button", name="添加设备并显示密钥").click()
    assert "不能再次显示" in page.locator("main").inner_text()
    key = page.locator("#device-key").inner_text().strip()
    assert key.startswith("pmd_") and key not in page.url

    answer = page.request.post(f"{base}/api/v1/lockers/events", headers={"Authorization": f"Bearer {key}"}, data={
        "event_id": "browser-1", "site_id": locker_site["site_id"], "parcel_id": "SF0001", "kind": "deposit",
        "at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).isoformat()})
    assert answer.status == 200 and answer.json()["duplicate"] is False

    page.get_by_role("link", name="返回设备列表").click()
    devices = page.locator("#devices").inner_text()
    assert "北门1号柜" in devices and "使用中" in devices and key not in page.content()
