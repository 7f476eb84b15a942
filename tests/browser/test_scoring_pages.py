"""From the district's score board down to the bills behind one compound's fee indicator."""
import pytest

from pm_platform.fees import service as fees
from pm_platform.scoring import service
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser
MONTH = "2026-10"


@pytest.fixture(scope="module")
def scored_world(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        first = world.compounds[0]
        manager, clerk = world.user(session, "firm_manager"), world.user(session, "firm_staff")
        fees.create_fee_item(session, manager, first.id, name="垃圾处理费", kind="fixed", rate_fen=1000,
                             from_period="2026-01", due_day=20)
        fees.bill_compound(session, first.id, MONTH)
        fees.record_payment(session, clerk, world.units[first.id][0].id, 1000, "cash")
        service.compute_month(session, MONTH, world.district.id)
        bureau = world.user(session, "bureau").username
        session.commit()
        return world.district.id, [s.name for s in world.streets], first.name, bureau


def test_the_district_board_drills_down_to_a_bill(page, live_server, scored_world):
    district_id, streets, compound, bureau = scored_world
    sign_in(page, live_server.web_url, bureau)
    page.goto(f"{live_server.web_url}/scores/district/{district_id}?month={MONTH}")
    board = page.locator("#board")
    assert streets[0] in board.inner_text() and streets[1] in board.inner_text()
    assert page.locator("svg.trend").count() == 1

    board.get_by_role("link", name=streets[0]).click()
    page.locator("#board").get_by_role("link", name="社区1").click()
    page.locator("#board").get_by_role("link", name=compound).click()
    card = page.locator("#card")
    assert "实收 10.00 元 / 应收 30.00 元" in card.inner_text()
    card.get_by_role("link", name="物业费收缴率").click()
    records = page.locator("#records")
    assert records.inner_text().count("垃圾处理费") == 3
    assert "实收 10.00 元 / 应收 30.00 元" in page.locator("#line").inner_text()
    statuses = [row.split("\t")[2] for row in records.inner_text().splitlines()[1:]]
    assert sorted(statuses) == ["已缴", "未缴", "未缴"]  # one of the three 10.00 bills paid, in words
