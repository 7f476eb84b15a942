"""In a real Chromium on a phone-sized screen: a community office's inspector records a spot
check with a photo taken on the spot, and sees it on the compound's page."""
import pytest
from PIL import Image

from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser
SCORES = {"环境卫生": 9, "绿化养护": 8, "消防通道畅通": 10, "停车秩序": 7, "公示栏及时更新": 9, "设施设备完好": 8}


@pytest.fixture(scope="module")
def office(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        return world.compounds[0].id, world.user(session, "community").username


def test_community_staff_record_a_spot_check_with_a_photo_on_a_phone(mobile_page, live_server, office, tmp_path):
    compound_id, username = office
    photo = tmp_path / "fire-lane.jpg"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(photo, "JPEG")
    page = mobile_page
    sign_in(page, live_server.web_url, username)
    page.goto(f"{live_server.web_url}/scores/compound/{compound_id}")
    page.get_by_role("link", name="录入抽查").click()
    page.wait_for_url("**/spot-check")
    for item, score in SCORES.items():
        fieldset = page.locator("fieldset", has=page.locator("legend", has_text=item))
        fieldset.get_by_label("得分(0–10)").fill(str(score))
    lane = page.locator("fieldset", has=page.locator("legend", has_text="消防通道畅通"))
    lane.get_by_label("备注").fill("通道畅通,标线清晰")
    lane.get_by_label("照片").set_input_files(photo)
    page.get_by_role("button", name="保存抽查").click()

    page.wait_for_url(f"**/scores/compound/{compound_id}?month=*")
    assert "抽查已保存:51 / 60 分。" in page.locator(".flash").inner_text()
    check = page.locator("#spot-checks .spot-check")
    assert check.count() == 1 and "51/60" in check.locator("p").inner_text()
    row = check.locator("tr", has_text="消防通道畅通")
    assert "10" in row.inner_text() and "通道畅通,标线清晰" in row.inner_text()
    thumb = row.get_by_role("img", name="消防通道畅通 照片 1")
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 64   # the uploaded photo, shown
    assert check.get_by_role("img").count() == 1
