"""A resident's report walked to a rating on a phone: report with a photo, the firm accepts and
assigns, the repairer resolves with a photo, the resident confirms with five stars."""
import pytest

from tests.browser.test_foundation_pages import sign_in
from tests.factories import World
from tests.workorders.helpers import jpeg

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        users = {role: world.user(session, role) for role in ("owner", "firm_manager", "firm_staff")}
        unit = world.units[world.compounds[0].id][0]
        names = {role: (user.username, user.display_name) for role, user in users.items()}
        session.commit()
        return names, unit.label


def sign_out(page):
    page.get_by_role("button", name="退出").click()


def test_resident_report_walked_to_a_rating_on_a_phone(mobile_page, live_server, people, tmp_path):
    page, base = mobile_page, live_server.web_url
    names, unit_label = people
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(jpeg(800, 600))

    sign_in(page, base, names["owner"][0])
    page.goto(f"{base}/workorders/mine")
    page.get_by_role("link", name="我要报修").click()
    page.get_by_label("问题类别").select_option(label="供水/漏水")
    page.get_by_label("位置").select_option(label=f"我家:{unit_label}")
    page.get_by_label("问题描述").fill("厨房水管<漏水>")
    page.get_by_label("照片(最多6张)").set_input_files(str(photo))
    page.get_by_role("button", name="提交").click()
    assert "报修已受理登记" in page.locator(".flash").first.inner_text()
    order_url = page.url
    assert page.locator("#description").inner_text() == "厨房水管<漏水>"
    assert page.locator("#status").inner_text() == "新报"
    assert page.locator(".photos img").count() == 1
    sign_out(page)

    sign_in(page, base, names["firm_manager"][0])
    page.goto(order_url)
    page.get_by_role("button", name="受理").click()
    page.get_by_label("派给").select_option(label=f"{names['firm_staff'][1]} · 物业员工")
    page.get_by_role("button", name="派单").click()
    assert page.locator("#status").inner_text() == "已派单"
    sign_out(page)

    sign_in(page, base, names["firm_staff"][0])
    page.goto(f"{base}/workorders/tasks")
    page.locator("#orders a.title").first.click()
    page.get_by_role("button", name="开始处理").click()
    page.locator("#step-resolved textarea").fill("更换了阀门")
    page.locator("#step-resolved input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="处理完成").click()
    assert page.locator("#status").inner_text() == "已处理,待确认"
    sign_out(page)

    sign_in(page, base, names["owner"][0])
    page.goto(f"{base}/workorders/mine")
    page.locator("#orders a.title").first.click()
    page.locator("#rate-form label", has_text="★★★★★").click()
    page.get_by_label("评价").fill("修得很快")
    page.get_by_role("button", name="确认并评价").click()
    assert "工单已办结" in page.locator(".flash").first.inner_text()
    assert page.locator("#status").inner_text() == "已办结"
    assert page.locator("#rating").inner_text() == "★★★★★"
    timeline = page.locator("#timeline").inner_text()
    for step in ("报修", "已受理", "已派单", "开始处理", "已处理", "确认并评价"):
        assert step in timeline
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scrolling
