"""Locker cabinets: events counted once, overdue parcels and notices, monthly settlement."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from pm_platform.core import clock
from pm_platform.lockers import service
from pm_platform.lockers.models import Parcel, ParcelEvent
from pm_platform.places.service import create_device
from pm_platform.revenue import service as revenue
from pm_platform.revenue.models import FundEntry

NOW = clock.now_utc().replace(microsecond=0)
LAST_MONTH = clock.period_of(clock.local_today().replace(day=1) - dt.timedelta(days=1))


@pytest.fixture
def site(session, world):
    manager = world.user(session, "firm_manager")
    contract = service.create_contract(session, manager, world.compounds[0].id, "丰巢", monthly_rent_fen=50000,
                                       commission_fen=10, free_hours=24, starts_on=dt.date(2026, 1, 1))
    made = service.create_site(session, manager, contract.id, "3栋快递柜")
    session.commit()
    return made


@pytest.fixture
def cabinet(session, world):
    _device, key = create_device(session, None, "locker", world.compounds[0].id)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def post(client, cabinet, site):
    def _post(event_id, parcel, kind, at, headers=None, **extra):
        return client.post("/api/v1/lockers/events", headers=headers or cabinet, json={
            "event_id": event_id, "site_id": site.id, "parcel_id": parcel, "kind": kind, "at": at.isoformat(), **extra})
    return _post


def test_duplicates_count_once(post, session):
    assert post("e1", "SF001", "deposit", NOW - dt.timedelta(hours=1)).json["duplicate"] is False
    again = post("e1", "SF001", "deposit", NOW - dt.timedelta(hours=1))
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert session.scalar(select(func.count()).select_from(ParcelEvent)) == 1


def test_keys_and_compounds(post, session, world):
    assert post("e1", "SF001", "deposit", NOW, headers={"Authorization": "Bearer nope"}).status_code == 401
    _device, key = create_device(session, None, "locker", world.compounds[1].id)
    gate, gate_key = create_device(session, None, "gate", world.compounds[0].id)
    session.commit()
    assert post("e1", "SF001", "deposit", NOW, headers={"Authorization": f"Bearer {key}"}).status_code == 403
    assert post("e1", "SF001", "deposit", NOW, headers={"Authorization": f"Bearer {gate_key}"}).status_code == 403


def test_bad_times_are_refused(post):
    future = post("e1", "SF001", "deposit", NOW + dt.timedelta(hours=2))
    assert future.status_code == 422 and future.json["error"]["code"] == "future_time"
    post("e2", "SF002", "deposit", NOW - dt.timedelta(hours=1))
    early = post("e3", "SF002", "pickup", NOW - dt.timedelta(hours=2))
    assert early.status_code == 409 and early.json["error"]["code"] == "out_of_order"


def test_overdue_parcels_on_the_site_and_the_residents_notice(post, session, world, site, login):
    unit = world.units[world.compounds[0].id][0]          # the compound's owner owns this unit
    post("e1", "SF001", "deposit", NOW - dt.timedelta(hours=30), unit_id=unit.id)
    post("e2", "SF002", "deposit", NOW - dt.timedelta(hours=2), unit_id=unit.id)     # still within 24 h
    post("e3", "SF003", "deposit", NOW - dt.timedelta(hours=40))
    post("e4", "SF003", "pickup", NOW - dt.timedelta(hours=1))                         # collected
    assert [p.parcel_code for p in service.overdue_parcels(session, site)] == ["SF001"]
    owner = world.user(session, "owner")
    assert [p.parcel_code for p in service.resident_notices(session, owner)] == ["SF001"]
    assert service.resident_notices(session, world.user(session, "owner", index=1)) == []
    assert "SF001" in login(owner).get("/my/parcels").text
    assert "SF001" in login(world.user(session, "firm_manager")).get(f"/lockers/sites/{site.id}").text


def test_parcel_for_a_unit_of_another_compound_is_refused(post, world):
    other = world.units[world.compounds[1].id][0]
    assert post("e1", "SF001", "deposit", NOW, unit_id=other.id).status_code == 422


def test_monthly_settlement_becomes_a_revenue_entry_once(session, world, site, login):
    start, end = clock.period_bounds(LAST_MONTH)
    for n in range(7):   # seven parcels deposited last month, one this month
        session.add(Parcel(site_id=site.id, parcel_code=f"P{n}",
                           deposited_at=clock.local_midnight_utc(start) + dt.timedelta(hours=n * 30)))
    session.add(Parcel(site_id=site.id, parcel_code="P-now", deposited_at=clock.local_midnight_utc(end)))
    session.flush()
    settlement = service.settle_month(session, site.contract_id, LAST_MONTH)
    assert (settlement.parcels, settlement.rent_fen, settlement.commission_fen, settlement.total_fen) == (7, 50000, 70, 50070)
    entry = session.get(FundEntry, settlement.fund_entry_id)
    assert (entry.source, entry.gross_fen, entry.amount_fen, entry.occurred_on) == ("lockers", 50070, 50070,
                                                                                   end - dt.timedelta(days=1))
    assert service.settle_all(session, LAST_MONTH) == 1            # again: the same settlement
    assert revenue.balance(session, site.compound_id) == 50070
    session.commit()
    pdf = login(world.user(session, "committee")).get(f"/lockers/settlements/{settlement.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_no_settlement_before_the_contract(session, world):
    manager = world.user(session, "firm_manager")
    contract = service.create_contract(session, manager, world.compounds[0].id, "速递易", monthly_rent_fen=1,
                                       commission_fen=1, free_hours=48, starts_on=clock.local_today())
    assert service.settle_month(session, contract.id, LAST_MONTH) is None
