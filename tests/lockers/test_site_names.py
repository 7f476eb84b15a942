"""Locker sites of the same name in two compounds: the list names each with its compound."""
import datetime as dt

from pm_platform.lockers import service
from pm_platform.places.models import ServiceContract


def test_sites_of_the_same_name_are_told_apart_by_their_compound(session, world, login):
    session.add(ServiceContract(firm_id=world.firm.id, compound_id=world.compounds[1].id, starts_on=dt.date(2020, 1, 1)))
    manager = world.user(session, "firm_manager")
    for compound in world.compounds:
        contract = service.create_contract(session, manager, compound.id, "速递易", monthly_rent_fen=60000,
                                           commission_fen=10, free_hours=48, starts_on=dt.date(2026, 1, 1))
        site = service.create_site(session, manager, contract.id, "南门快递柜")
    session.commit()
    client = login(manager)
    page = client.get("/lockers").text
    for compound in world.compounds:
        assert f"{compound.name} \u00b7 南门快递柜</a>" in page
    assert f"<h1>{world.compounds[1].name} \u00b7 南门快递柜 \u00b7 速递易</h1>" in client.get(f"/lockers/sites/{site.id}").text
