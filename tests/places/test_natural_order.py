"""Buildings and rooms are listed in natural order on the pages: 1栋, 2栋, 10栋 and 101, 102,
1001 (the database's string order gave 10栋 before 2栋 and 1001 before 101)."""
import re

import pytest

from tests import factories


@pytest.fixture
def compound(session, world):
    """World's first compound has 1栋 101–103; buildings added out of order, and a room 1001."""
    c = world.compounds[0]
    factories.unit(session, c, building="10栋", room="101")
    factories.unit(session, c, building="1栋", room="1001")
    factories.unit(session, c, building="2栋", room="101")
    session.commit()
    return c


def test_the_compound_page_lists_units_in_natural_order(session, world, login, compound):
    page = login(world.user(session, "community")).get(f"/compounds/{compound.id}").text
    table = page.split('<table id="units">')[1].split("</table>")[0]
    rows = re.findall(r'<tr><td>([^<]*)</td><td>[^<]*</td><td class="num">\d+</td><td>([^<]*)</td>', table)
    assert rows == [("1栋", "101"), ("1栋", "102"), ("1栋", "103"), ("1栋", "1001"), ("2栋", "101"), ("10栋", "101")]


def test_the_api_pages_through_units_in_natural_order(session, world, api, client, compound):
    headers = api(world.user(session, "community"))
    first = client.get(f"/api/v1/compounds/{compound.id}/units?limit=4", headers=headers).json
    rest = client.get(f"/api/v1/compounds/{compound.id}/units?limit=4&offset=4", headers=headers).json
    assert [u["room"] for u in first] == ["101", "102", "103", "1001"] and len(rest) == 2


def test_the_work_order_location_select_lists_buildings_in_natural_order(session, world, login, compound):
    page = login(world.user(session, "community")).get(f"/workorders/report?compound_id={compound.id}").text
    assert re.findall(r"<option[^>]*>(\d+栋)[(\uff08]楼内公共部位", page) == ["1栋", "2栋", "10栋"]


def test_the_arrears_page_offers_notices_by_building_in_natural_order(session, world, login, compound):
    page = login(world.user(session, "community")).get(f"/fees/compounds/{compound.id}/arrears").text
    assert re.findall(r'class="button" href="[^"]*">(\d+栋) ', page) == ["1栋", "2栋", "10栋"]
