"""Signing in, the scoped compound list and a roster import, in a real Chromium."""
import csv
import io

import pytest

from tests.factories import PASSWORD, World, id_number

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_world(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        users = {role: world.user(session, role).username for role in ("street", "community")}
        session.commit()
        return world.compounds[0].name, world.compounds[1].name, world.compounds[0].id, users


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_sign_in_and_see_only_your_compounds(page, live_server, live_world):
    first, second, _, users = live_world
    sign_in(page, live_server.web_url, users["street"])
    page.wait_for_url(f"{live_server.web_url}/")  # the start page, then the menu's compounds
    page.locator("header.top").get_by_role("link", name="小区", exact=True).click()
    page.wait_for_url("**/compounds")
    table = page.locator("#compounds")
    assert first in table.inner_text() and second not in table.inner_text()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="English").click()
    assert "Compounds" in page.locator("h1").inner_text()


def test_wrong_password_is_refused_with_a_message(page, live_server, live_world):
    page.goto(f"{live_server.web_url}/login")
    page.get_by_label("用户名").fill(live_world[3]["street"])
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码错误" in page.locator("main").inner_text()


def test_roster_with_one_bad_row_shows_the_error_and_imports_nothing(page, live_server, live_world, tmp_path):
    _, _, compound_id, users = live_world
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["楼栋", "单元", "楼层", "房号", "建筑面积", "用途", "业主姓名", "证件号码"])
    writer.writerow(["9栋", "1", "2", "201", "88.10", "住宅", "钱七", id_number()])
    writer.writerow(["9栋", "1", "2", "202", "-3", "住宅", "孙八", id_number()])
    path = tmp_path / "花名册.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))

    sign_in(page, live_server.web_url, users["community"])
    page.goto(f"{live_server.web_url}/compounds/{compound_id}/roster")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="导入").click()
    errors = page.locator("#row-errors")
    assert "3" in errors.locator("td").first.inner_text()  # row 3 of the file
    assert "area" in errors.inner_text()
    page.goto(f"{live_server.web_url}/compounds/{compound_id}")
    assert "9栋" not in page.locator("#units").inner_text()

    # Fixed file imports.
    path.write_bytes(out.getvalue().replace("-3", "76.5").encode("utf-8-sig"))
    page.goto(f"{live_server.web_url}/compounds/{compound_id}/roster")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="导入").click()
    assert "新增房屋 2 套" in page.locator("#import-result").inner_text()
