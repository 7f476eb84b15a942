"""A firm serving several compounds has a "东门停车场" in each: pages name each lot with its compound."""
import datetime as dt

from pm_platform.parking import service
from pm_platform.places.models import ServiceContract
from tests.parking.helpers import TARIFF


def test_lots_of_the_same_name_are_told_apart_by_their_compound(session, world, login):
    session.add(ServiceContract(firm_id=world.firm.id, compound_id=world.compounds[1].id, starts_on=dt.date(2020, 1, 1)))
    manager = world.user(session, "firm_manager")
    lots = [service.create_lot(session, manager, c.id, "东门停车场", 50, TARIFF) for c in world.compounds]
    session.commit()
    client = login(manager)
    page = client.get("/parking").text
    for compound in world.compounds:
        assert f"{compound.name} \u00b7 东门停车场</a>" in page
    lot_page = client.get(f"/parking/lots/{lots[1].id}").text
    assert f"<h1>{world.compounds[1].name} \u00b7 东门停车场</h1>" in lot_page
