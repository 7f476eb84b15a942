"""An owner votes on a phone and finds their receipt code on the public tally page."""
import datetime as dt

import pytest

from pm_platform.committees import service
from pm_platform.core import clock
from tests import factories
from tests.browser.test_foundation_pages import sign_in
from tests.factories import World

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def open_motion(app, live_server):
    with app.app_context(), live_server.session() as session:
        world = World.build(session)
        committee = factories.user(session, "committee", "compound", world.compounds[0].id)
        owner = world.user(session, "owner")
        now = clock.now_utc()
        motion = service.create_motion(session, committee, world.compounds[0].id, title="加装电梯", body="一号楼加装电梯",
                                       category="common_use_change", opens_at=now - dt.timedelta(minutes=1),
                                       closes_at=now + dt.timedelta(days=7))
        service.open_motion(session, committee, motion.id)
        session.commit()
        return motion.id, motion.register_hash, owner.username


def test_owner_votes_and_finds_the_receipt_on_the_public_tally(mobile_page, live_server, open_motion):
    motion_id, register_hash, username = open_motion
    page = mobile_page
    sign_in(page, live_server.web_url, username)
    page.wait_for_url(f"{live_server.web_url}/")  # the start page
    page.goto(f"{live_server.web_url}/motions/{motion_id}")
    assert register_hash in page.locator("#register-hash").inner_text()
    page.get_by_label("同意").check()
    page.get_by_role("button", name="投票").click()
    receipt = page.locator("#my-ballot .receipt").inner_text().strip()
    assert len(receipt) == 14

    page.get_by_role("link", name="公开计票页").click()
    assert receipt in page.locator("#receipts").inner_text()
    row = page.locator("#receipts tr", has_text=receipt)
    # the band the unit's area falls in (89.37 m²), shared by the register's voters; no name, no unit number
    low, high = (float(x) for x in __import__("re").search(r"([\d.]+)–([\d.]+)", row.inner_text()).groups())
    assert low <= 89.37 <= high and low < high
    assert "101" not in page.locator("#receipts").inner_text()
