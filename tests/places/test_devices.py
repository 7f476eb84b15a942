"""The devices page: a manager adds a gate or locker cabinet and sees its key once; the key works
on the API until the device is revoked; the list never shows a key; others are refused."""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from pm_platform.core.auth import hash_secret
from pm_platform.core.models import AuditEntry
from pm_platform.lockers import service as lockers
from pm_platform.places import service
from pm_platform.places.models import Device
from tests.conftest import field_errors
from tests.factories import firm_manager_for

KEY = re.compile(r"pmd_[A-Za-z0-9_-]+")


@pytest.fixture
def compound(world):
    return world.compounds[0]


@pytest.fixture
def manager(session, world):
    return world.user(session, "firm_manager")


@pytest.fixture
def site(session, manager, compound):
    contract = lockers.create_contract(session, manager, compound.id, "丰巢", monthly_rent_fen=50000, commission_fen=10,
                                       free_hours=24, starts_on=dt.date(2026, 1, 1))
    made = lockers.create_site(session, manager, contract.id, "北门快递柜")
    session.commit()
    return made


def deposit(client, site, key, event_id="e1"):
    return client.post("/api/v1/lockers/events", headers={"Authorization": f"Bearer {key}"}, json={
        "event_id": event_id, "site_id": site.id, "parcel_id": f"SF-{event_id}", "kind": "deposit",
        "at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)).isoformat()})


def audit_actions(session, device_id) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "device", AuditEntry.entity_id == str(device_id)).order_by(AuditEntry.id)))


def test_manager_adds_a_cabinet_sees_its_key_once_and_the_key_works(session, client, login, manager, compound, site):
    web = login(manager)
    assert "北门快递柜" not in web.get(f"/compounds/{compound.id}/devices").text
    shown = web.post(f"/compounds/{compound.id}/devices", data={"kind": "locker", "name": "1号柜"})
    assert shown.status_code == 200 and "no-store" in shown.headers["Cache-Control"]
    keys = KEY.findall(shown.text)
    assert len(keys) == 1 and "不能再次显示" in shown.text
    key = keys[0]
    with client.session_transaction() as cookie_session:   # not kept for a later response
        assert key not in repr(dict(cookie_session))

    device = session.scalar(select(Device).where(Device.key_hash == hash_secret(key)))
    assert (device.kind, device.name, device.compound_id, device.revoked_at) == ("locker", "1号柜", compound.id, None)
    assert audit_actions(session, device.id) == ["device.create"]
    assert key not in session.scalar(select(AuditEntry.payload).where(AuditEntry.entity_id == str(device.id)))

    listing = web.get(f"/compounds/{compound.id}/devices").text
    assert "1号柜" in listing and "使用中" in listing
    assert not KEY.search(listing) and device.key_hash not in listing

    answer = deposit(client, site, key)
    assert answer.status_code == 200 and answer.json["duplicate"] is False


def test_revoking_after_the_confirm_form_makes_the_key_401(session, client, login, manager, compound, site):
    device, key = service.create_device(session, manager, "locker", compound.id, "南门柜")
    session.commit()
    assert deposit(client, site, key, "e1").status_code == 200
    web = login(manager)
    confirm = web.get(f"/devices/{device.id}/revoke")
    assert confirm.status_code == 200 and "不可撤销" in confirm.text and "南门柜" in confirm.text
    assert session.get(Device, device.id).revoked_at is None           # looking is not revoking

    done = web.post(f"/devices/{device.id}/revoke", follow_redirects=True)
    assert done.status_code == 200 and "已吊销" in done.text
    refused = deposit(client, site, key, "e2")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    web.post(f"/devices/{device.id}/revoke")                            # again: nothing more happens
    assert audit_actions(session, device.id) == ["device.create", "device.revoke"]


@pytest.mark.parametrize("data, field", [({"kind": "locker", "name": " "}, "name"), ({"kind": "lift", "name": "x"}, "kind"),
                                         ({"kind": "gate", "name": "长" * 101}, "name")])
def test_form_errors_name_the_field_and_add_nothing(session, login, manager, compound, data, field):
    page = login(manager).post(f"/compounds/{compound.id}/devices", data=data)
    assert page.status_code == 200 and field_errors(page.text, field) and not KEY.search(page.text)
    assert session.scalar(select(func.count()).select_from(Device)) == 0


def test_community_office_sees_the_list_but_may_not_add_or_revoke(session, world, login, manager, compound):
    device, _key = service.create_device(session, manager, "gate", compound.id, "东门道闸")
    session.commit()
    web = login(world.user(session, "community"))
    listing = web.get(f"/compounds/{compound.id}/devices")
    assert listing.status_code == 200 and "东门道闸" in listing.text and 'name="kind"' not in listing.text
    assert web.post(f"/compounds/{compound.id}/devices", data={"kind": "gate", "name": "x"}).status_code == 403
    assert web.get(f"/devices/{device.id}/revoke").status_code == 403
    assert web.post(f"/devices/{device.id}/revoke").status_code == 403
    assert session.get(Device, device.id).revoked_at is None
    assert session.scalar(select(func.count()).select_from(Device)) == 1


@pytest.mark.parametrize("who, status", [("owner", 403), ("other_manager", 404)])
def test_an_owner_and_another_compounds_manager_are_refused(session, world, login, manager, compound, who, status):
    device, _key = service.create_device(session, manager, "gate", compound.id, "东门道闸")
    session.commit()
    user = world.user(session, "owner") if who == "owner" else firm_manager_for(session, world.compounds[1])
    web = login(user)
    assert web.get(f"/compounds/{compound.id}/devices").status_code == status
    assert web.post(f"/compounds/{compound.id}/devices", data={"kind": "gate", "name": "x"}).status_code == status
    assert web.get(f"/devices/{device.id}/revoke").status_code == status
    assert web.post(f"/devices/{device.id}/revoke").status_code == status
    assert session.get(Device, device.id).revoked_at is None
    assert session.scalar(select(func.count()).select_from(Device)) == 1


def test_the_compound_page_links_to_the_devices_for_those_who_may_see_them(session, world, login, compound):
    link = f"/compounds/{compound.id}/devices"
    assert link in login(world.user(session, "firm_manager")).get(f"/compounds/{compound.id}").text
    assert link not in login(world.user(session, "committee")).get(f"/compounds/{compound.id}").text
