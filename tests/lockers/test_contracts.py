"""Locker contracts and sites on the pages and over the API: amounts typed in yuan become
fen, bad input is named by field, and another compound's people are refused."""
import datetime as dt

import pytest
from sqlalchemy import false, func, select

from pm_platform.core import clock
from pm_platform.core.models import AuditEntry
from pm_platform.lockers import service
from pm_platform.lockers.models import LockerContract, LockerSite, Parcel
from tests.conftest import field_errors
from tests.factories import firm_manager_for

GOOD_FORM = {"operator": "丰巢", "monthly_rent": "1200.50", "commission": "0.35", "free_hours": "48",
             "starts_on": "2026-01-01", "ends_on": ""}
GOOD_JSON = {"operator": "丰巢", "monthly_rent_fen": 120050, "commission_fen": 35, "free_hours": 24,
             "starts_on": "2026-01-01", "ends_on": None}


@pytest.fixture
def compound(world):
    return world.compounds[0]


@pytest.fixture
def manager(session, world):
    return world.user(session, "firm_manager")


@pytest.fixture
def contract(session, manager, compound):
    made = service.create_contract(session, manager, compound.id, "速递易", monthly_rent_fen=60000, commission_fen=10,
                                   free_hours=48, starts_on=dt.date(2026, 1, 1))
    session.commit()
    return made


def contracts_count(session) -> int:
    return session.scalar(select(func.count()).select_from(LockerContract))


# --- pages ---------------------------------------------------------------------------------

def test_manager_creates_a_contract_and_a_site_on_the_pages(session, login, manager, compound):
    web = login(manager)
    assert f"/compounds/{compound.id}/lockers" in web.get("/lockers").text
    assert web.get(f"/compounds/{compound.id}/lockers/contracts/new").status_code == 200
    saved = web.post(f"/compounds/{compound.id}/lockers/contracts/new", data=GOOD_FORM)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/compounds/{compound.id}/lockers")
    contract = session.scalar(select(LockerContract).where(LockerContract.compound_id == compound.id))
    assert (contract.operator, contract.monthly_rent_fen, contract.commission_fen, contract.free_hours,
            contract.starts_on, contract.ends_on) == ("丰巢", 120050, 35, 48, dt.date(2026, 1, 1), None)

    assert web.post(f"/lockers/contracts/{contract.id}/sites/new", data={"name": "3栋快递柜"}).status_code == 302
    site = session.scalar(select(LockerSite).where(LockerSite.contract_id == contract.id))
    assert (site.name, site.compound_id) == ("3栋快递柜", compound.id)
    page = web.get(f"/compounds/{compound.id}/lockers").text
    assert "丰巢" in page and "3栋快递柜" in page and "1200.50" in page and "0.35" in page
    assert [a for a, in session.execute(select(AuditEntry.action).where(AuditEntry.action.like("lockers.%")))] == [
        "lockers.contract_created", "lockers.site_created"]


@pytest.mark.parametrize("changes, field", [
    ({"monthly_rent": "12.345"}, "monthly_rent"), ({"monthly_rent": "一千"}, "monthly_rent"),
    ({"monthly_rent": "-5"}, "monthly_rent"), ({"monthly_rent": ""}, "monthly_rent"), ({"commission": "1e400"}, "commission"),
    ({"free_hours": "0"}, "free_hours"), ({"free_hours": "1.5"}, "free_hours"), ({"operator": ""}, "operator"),
    ({"starts_on": "2026-02-30"}, "starts_on"), ({"ends_on": "2025-12-31"}, "ends_on"),
])
def test_bad_contract_input_is_shown_on_its_field(session, login, manager, compound, changes, field):
    page = login(manager).post(f"/compounds/{compound.id}/lockers/contracts/new", data={**GOOD_FORM, **changes})
    assert page.status_code == 200 and field_errors(page.text, field), page.text
    assert contracts_count(session) == 0


def test_the_service_refusal_reads_in_chinese_on_the_form(session, login, manager, compound):
    page = login(manager).post(f"/compounds/{compound.id}/lockers/contracts/new",
                               data={**GOOD_FORM, "ends_on": "2025-12-31"})
    assert field_errors(page.text, "ends_on") == ["合同结束日期不能早于开始日期"]


def test_a_site_name_used_twice_in_the_compound_is_a_form_error(session, login, manager, contract):
    web = login(manager)
    assert web.post(f"/lockers/contracts/{contract.id}/sites/new", data={"name": "北门"}).status_code == 302
    again = web.post(f"/lockers/contracts/{contract.id}/sites/new", data={"name": "北门"})
    assert again.status_code == 200 and field_errors(again.text, "name") == ["本小区已有同名的快递柜站点"]
    assert session.scalar(select(func.count()).select_from(LockerSite)) == 1


def test_contracts_are_listed_with_their_settlements(session, world, login, manager, contract):
    site = service.create_site(session, manager, contract.id, "北门")
    last_month = clock.period_of(clock.local_today().replace(day=1) - dt.timedelta(days=1))
    start, _end = clock.period_bounds(last_month)
    session.add(Parcel(site_id=site.id, parcel_code="P1", deposited_at=clock.local_midnight_utc(start)))
    settlement = service.settle_month(session, contract.id, last_month)
    session.commit()
    page = login(world.user(session, "committee")).get(f"/compounds/{contract.compound_id}/lockers")
    assert page.status_code == 200 and last_month in page.text and "600.10" in page.text
    assert f"/lockers/settlements/{settlement.id}.pdf" in page.text
    assert "/lockers/contracts/new" not in page.text and "/sites/new" not in page.text   # a viewer, not a manager


@pytest.mark.parametrize("who, status", [("other_manager", 404), ("community", 403), ("owner", 403)])
def test_pages_refuse_other_compounds_and_non_managers(session, world, login, compound, contract, who, status):
    user = firm_manager_for(session, world.compounds[1]) if who == "other_manager" else world.user(session, who)
    web = login(user)
    assert web.get(f"/compounds/{compound.id}/lockers/contracts/new").status_code == status
    assert web.post(f"/compounds/{compound.id}/lockers/contracts/new", data=GOOD_FORM).status_code == status
    assert web.post(f"/lockers/contracts/{contract.id}/sites/new", data={"name": "x"}).status_code == status
    assert contracts_count(session) == 1 and session.scalar(select(func.count()).select_from(LockerSite)) == 0
    if who == "other_manager":
        assert web.get(f"/compounds/{compound.id}/lockers").status_code == 404
        assert str(compound.name) not in web.get("/lockers").text


def test_refused_pages_say_why_in_chinese(session, world, login, manager, compound):
    assert "您的角色无权在此执行此操作" in login(world.user(session, "community")).get(
        f"/compounds/{compound.id}/lockers/contracts/new").text
    missing = login(manager).get("/lockers/sites/999999")
    assert missing.status_code == 404 and "未找到快递柜站点 999999" in missing.text


# --- API -----------------------------------------------------------------------------------

def test_api_creates_and_lists_contracts_and_sites(session, client, api, manager, compound):
    headers = api(manager)
    made = client.post(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=headers, json=GOOD_JSON)
    assert made.status_code == 201
    assert made.json == {**GOOD_JSON, "id": made.json["id"], "compound_id": compound.id}
    listed = client.get(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=headers).json
    assert [c["id"] for c in listed] == [made.json["id"]]

    site = client.post(f"/api/v1/locker-contracts/{made.json['id']}/sites", headers=headers, json={"name": "北门"})
    assert site.status_code == 201
    assert site.json == {"id": site.json["id"], "compound_id": compound.id, "contract_id": made.json["id"], "name": "北门"}
    sites = client.get(f"/api/v1/compounds/{compound.id}/locker-sites", headers=headers).json
    assert sites == [site.json]


@pytest.mark.parametrize("changes, field", [
    ({"operator": None}, "operator"), ({"operator": " "}, "operator"), ({"operator": "长" * 101}, "operator"),
    ({"monthly_rent_fen": "120050"}, "monthly_rent_fen"), ({"monthly_rent_fen": 1200.5}, "monthly_rent_fen"),
    ({"monthly_rent_fen": -1}, "monthly_rent_fen"), ({"commission_fen": 10**20}, "commission_fen"),
    ({"free_hours": 0}, "free_hours"), ({"free_hours": 10**12}, "free_hours"),
    ({"starts_on": "2026-13-01"}, "starts_on"), ({"ends_on": "2025-12-31"}, "ends_on"),
])
def test_api_bad_contract_input_is_422_naming_the_field(session, client, api, manager, compound, changes, field):
    body = {key: value for key, value in {**GOOD_JSON, **changes}.items() if value is not None or key == "ends_on"}
    answer = client.post(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=api(manager), json=body)
    assert answer.status_code == 422 and answer.json["error"]["field"] == field, answer.json
    assert contracts_count(session) == 0


def test_api_bad_site_names(session, client, api, manager, contract):
    headers, url = api(manager), f"/api/v1/locker-contracts/{contract.id}/sites"
    for body in ({}, {"name": ""}, {"name": "长" * 101}):
        answer = client.post(url, headers=headers, json=body)
        assert answer.status_code == 422 and answer.json["error"]["field"] == "name"
    assert client.post(url, headers=headers, json={"name": "北门"}).status_code == 201
    twice = client.post(url, headers=headers, json={"name": "北门"})
    assert twice.status_code == 409 and twice.json["error"]["field"] == "name"


def test_the_same_site_created_twice_at_once_is_a_conflict_not_a_crash(session, client, api, manager, contract,
                                                                        monkeypatch):
    headers, url = api(manager), f"/api/v1/locker-contracts/{contract.id}/sites"
    assert client.post(url, headers=headers, json={"name": "北门"}).status_code == 201
    # the second request checked for the name before the first one committed: only the
    # database's unique constraint can stop it now
    real_select = service.select
    monkeypatch.setattr(service, "select", lambda *columns: real_select(*columns).where(false()))
    twice = client.post(url, headers=headers, json={"name": "北门"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "conflict"
    monkeypatch.undo()
    assert session.scalar(select(func.count()).select_from(LockerSite).where(LockerSite.name == "北门")) == 1


def test_api_refuses_another_compounds_manager_and_lets_viewers_only_read(session, world, client, api, compound, contract):
    outsider = api(firm_manager_for(session, world.compounds[1]))
    assert client.get(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/compounds/{compound.id}/locker-sites", headers=outsider).status_code == 404
    assert client.post(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=outsider,
                       json=GOOD_JSON).status_code == 404
    assert client.post(f"/api/v1/locker-contracts/{contract.id}/sites", headers=outsider,
                       json={"name": "x"}).status_code == 404
    committee = api(world.user(session, "committee"))
    assert client.get(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=committee).status_code == 200
    assert client.post(f"/api/v1/compounds/{compound.id}/locker-contracts", headers=committee,
                       json=GOOD_JSON).status_code == 403
    assert client.get(f"/api/v1/compounds/{compound.id}/locker-sites",
                      headers=api(world.user(session, "owner"))).status_code == 403
    assert contracts_count(session) == 1
