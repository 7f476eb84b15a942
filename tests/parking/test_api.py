"""The office's API: tariffs, vehicles, passes, plate lists and coupons; scope-checked, with
bad input answered 422 naming the field."""
import datetime as dt
from urllib.parse import quote

import pytest
from sqlalchemy import select

from pm_platform.core.clock import SHANGHAI
from pm_platform.parking import service
from pm_platform.parking.models import ParkingPass, PlateListEntry
from pm_platform.places.service import create_device
from tests.parking.helpers import TARIFF

PER_ENTRY = {"template": "per_entry", "free_minutes": 0, "price_fen": 800}
NOW = dt.datetime.now(SHANGHAI).replace(microsecond=0)


@pytest.fixture
def lot(session, world):
    made = service.create_lot(session, world.user(session, "firm_manager"), world.compounds[0].id, "东门停车场", 50, TARIFF)
    session.commit()
    return made


@pytest.fixture
def manager(session, world, api):
    return api(world.user(session, "firm_manager"))


@pytest.fixture
def outsider(session, world, api):
    """The community office of the other compound."""
    return api(world.user(session, "community", index=1))


def field(response, status=422):
    assert response.status_code == status, response.json
    return response.json["error"]["field"]


def vehicle(client, headers, compound_id, plate="京A12345", **extra):
    response = client.post(f"/api/v1/compounds/{compound_id}/vehicles", headers=headers,
                           json={"plate": plate, "car_type": "monthly", **extra})
    assert response.status_code == 201, response.json
    return response.json


class TestTariffs:
    def test_history_and_a_new_tariff(self, client, manager, lot):
        listed = client.get(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager).json
        assert [(t["car_type"], t["status"], t["tariff"]) for t in listed] == [("temporary", "in_force", TARIFF)]
        response = client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager,
                               json={"car_type": "temporary", "tariff": PER_ENTRY, "effective_from": "2099-01-01T08:00:00"})
        assert response.status_code == 201
        assert response.json["status"] == "upcoming" and response.json["tariff"] == PER_ENTRY
        assert dt.datetime.fromisoformat(response.json["effective_from"]) == dt.datetime(2099, 1, 1, 8, tzinfo=SHANGHAI)
        statuses = [t["status"] for t in client.get(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager).json]
        assert statuses == ["upcoming", "in_force"]
        again = client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager,
                            json={"car_type": "temporary", "tariff": PER_ENTRY, "effective_from": "2099-01-01T08:00:00"})
        assert field(again, 409) == "effective_from"

    @pytest.mark.parametrize("body, name", [
        ({"car_type": "temporary", "tariff": {"template": "per_entry", "free_minutes": 0}}, "tariff.price_fen"),
        ({"car_type": "bicycle", "tariff": PER_ENTRY}, "car_type"),
        ({"car_type": "temporary", "tariff": PER_ENTRY, "effective_from": "next week"}, "effective_from"),
        ({"car_type": "temporary", "tariff": PER_ENTRY, "effective_from": "2020-01-01T08:00:00"}, "effective_from"),
    ])
    def test_bad_input_names_the_field(self, client, manager, lot, body, name):
        assert field(client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager, json=body)) == name

    def test_another_compound_is_hidden_and_owners_may_not_set_tariffs(self, client, session, world, api, outsider, lot):
        assert client.get(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=outsider).status_code == 404
        body = {"car_type": "temporary", "tariff": PER_ENTRY}
        assert client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=outsider, json=body).status_code == 404
        owner = api(world.user(session, "owner"))
        assert client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=owner, json=body).status_code == 403

    def test_a_future_tariff_leaves_a_stay_begun_before_it_alone(self, client, session, world, manager, lot):
        now = dt.datetime.now(SHANGHAI).replace(microsecond=0)  # not NOW: a tariff may not start in the past
        _device, key = create_device(session, None, "gate", lot.compound_id)
        session.commit()
        gate = {"Authorization": f"Bearer {key}"}

        def event(event_id, direction, at):
            return client.post("/api/v1/parking/gate-events", headers=gate, json={
                "event_id": event_id, "lot_id": lot.id, "plate": "京A12345", "direction": direction,
                "at": at.isoformat()}).json

        event("in", "in", now - dt.timedelta(minutes=90))
        response = client.post(f"/api/v1/parking-lots/{lot.id}/tariffs", headers=manager, json={
            "car_type": "temporary", "tariff": PER_ENTRY, "effective_from": (now + dt.timedelta(minutes=1)).isoformat()})
        assert response.status_code == 201
        # 90 minutes under the old tariff: 500 for the first hour + one started half hour
        assert event("out", "out", now)["fee_fen"] == 700
        # a stay that begins once the new tariff is in force pays the new one
        later = now + dt.timedelta(minutes=2)
        assert service.stay_charge(session, lot, "京B12345", later, later + dt.timedelta(minutes=90)) == 800


class TestVehiclesAndPasses:
    def test_register_list_and_sell_a_pass(self, client, world, manager, lot):
        unit = world.units[lot.compound_id][0]
        made = vehicle(client, manager, lot.compound_id, plate="京a·12345", unit_id=unit.id)
        assert (made["plate"], made["unit_id"], made["passes"]) == ("京A12345", unit.id, [])
        response = client.post(f"/api/v1/vehicles/{made['id']}/passes", headers=manager, json={
            "lot_id": lot.id, "valid_from": "2026-12-01", "valid_to": "2026-12-31", "price_fen": 30000})
        assert response.status_code == 201
        assert response.json == {**response.json, "channel": "office", "valid_to": "2026-12-31", "price_fen": 30000}
        [listed] = client.get(f"/api/v1/compounds/{lot.compound_id}/vehicles", headers=manager).json
        assert listed["plate"] == "京A12345" and [p["valid_from"] for p in listed["passes"]] == ["2026-12-01"]

    def test_bad_vehicles_are_refused_with_the_field(self, client, world, manager, lot):
        compound_id = lot.compound_id
        post = lambda body: client.post(f"/api/v1/compounds/{compound_id}/vehicles", headers=manager, json=body)  # noqa: E731
        assert field(post({"plate": "ABC123", "car_type": "monthly"})) == "plate"
        assert field(post({"plate": "京A12345", "car_type": "bus"})) == "car_type"
        other_unit = world.units[world.compounds[1].id][0].id
        assert field(post({"plate": "京A12345", "car_type": "monthly", "unit_id": other_unit})) == "unit_id"
        vehicle(client, manager, compound_id)
        assert field(post({"plate": "京A12345", "car_type": "monthly"}), 409) == "plate"

    @pytest.mark.parametrize("change, name", [
        ({"valid_to": "2026-11-30"}, "valid_to"), ({"price_fen": -1}, "price_fen"), ({"price_fen": "300"}, "price_fen"),
        ({"valid_from": "2026-02-30"}, "valid_from"), ({"lot_id": None}, "lot_id"),
    ])
    def test_bad_passes_are_refused_with_the_field(self, client, session, manager, lot, change, name):
        made = vehicle(client, manager, lot.compound_id)
        body = {"lot_id": lot.id, "valid_from": "2026-12-01", "valid_to": "2026-12-31", "price_fen": 30000, **change}
        assert field(client.post(f"/api/v1/vehicles/{made['id']}/passes", headers=manager, json=body)) == name
        assert session.scalar(select(ParkingPass.id)) is None

    def test_a_lot_of_another_compound_is_refused(self, client, session, world, api, lot):
        admin = api(world.user(session, "admin"))
        other = service.create_lot(session, world.user(session, "admin"), world.compounds[1].id, "西门", 5, TARIFF)
        session.commit()
        made = vehicle(client, admin, lot.compound_id)
        response = client.post(f"/api/v1/vehicles/{made['id']}/passes", headers=admin, json={
            "lot_id": other.id, "valid_from": "2026-12-01", "valid_to": "2026-12-31", "price_fen": 1})
        assert field(response) == "lot_id"

    def test_another_compound_sees_and_sells_nothing(self, client, manager, outsider, lot):
        made = vehicle(client, manager, lot.compound_id)
        assert client.get(f"/api/v1/compounds/{lot.compound_id}/vehicles", headers=outsider).status_code == 404
        assert client.post(f"/api/v1/compounds/{lot.compound_id}/vehicles", headers=outsider,
                           json={"plate": "京B12345", "car_type": "monthly"}).status_code == 404
        assert client.post(f"/api/v1/vehicles/{made['id']}/passes", headers=outsider, json={
            "lot_id": lot.id, "valid_from": "2026-12-01", "valid_to": "2026-12-31", "price_fen": 1}).status_code == 404


class TestPlateLists:
    def url(self, lot, plate):
        return f"/api/v1/compounds/{lot.compound_id}/plate-lists/{quote(plate)}"

    def test_put_a_plate_on_a_list_and_move_it(self, client, session, manager, lot):
        response = client.put(self.url(lot, "京a 12345"), headers=manager, json={"kind": "black", "reason": "欠费"})
        assert response.status_code == 200
        assert response.json == {"compound_id": lot.compound_id, "plate": "京A12345", "kind": "black", "reason": "欠费"}
        assert client.put(self.url(lot, "京A12345"), headers=manager, json={"kind": "white"}).json["kind"] == "white"
        assert [(e.plate, e.kind) for e in session.scalars(select(PlateListEntry))] == [("京A12345", "white")]

    def test_bad_input_names_the_field(self, client, manager, lot):
        assert field(client.put(self.url(lot, "京A12345"), headers=manager, json={"kind": "grey"})) == "kind"
        assert field(client.put(self.url(lot, "AB123"), headers=manager, json={"kind": "black"})) == "plate"
        assert field(client.put(self.url(lot, "京A12345"), headers=manager,
                                json={"kind": "black", "reason": "x" * 201})) == "reason"

    def test_another_compound_is_hidden(self, client, outsider, lot):
        assert client.put(self.url(lot, "京A12345"), headers=outsider, json={"kind": "white"}).status_code == 404


class TestCoupons:
    def test_a_merchant_issues_a_coupon_used_at_exit(self, client, session, world, api, lot):
        staff = api(world.user(session, "firm_staff"))
        response = client.post(f"/api/v1/parking-lots/{lot.id}/coupons", headers=staff,
                               json={"plate": "京A12345", "issuer": "华联超市", "amount_off_fen": 300})
        assert response.status_code == 201
        assert response.json == {**response.json, "plate": "京A12345", "issuer": "华联超市", "free_minutes": 0,
                                 "amount_off_fen": 300, "session_id": None}
        assert service.stay_charge(session, lot, "京A12345", NOW, NOW + dt.timedelta(minutes=90),
                                   (service.tariffs.Coupon(0, 300),)) == 400

    @pytest.mark.parametrize("body, name", [({"plate": "京A12345"}, "free_minutes"),
                                            ({"plate": "京A12345", "amount_off_fen": -5}, "amount_off_fen"),
                                            ({"plate": "京A12345", "free_minutes": 10**6}, "free_minutes"),
                                            ({"plate": "X", "free_minutes": 30}, "plate"),
                                            ({"free_minutes": 30}, "plate")])
    def test_bad_coupons_name_the_field(self, client, manager, lot, body, name):
        assert field(client.post(f"/api/v1/parking-lots/{lot.id}/coupons", headers=manager, json=body)) == name

    def test_another_compound_and_owners_may_not_issue(self, client, session, world, api, outsider, lot):
        body = {"plate": "京A12345", "free_minutes": 30}
        assert client.post(f"/api/v1/parking-lots/{lot.id}/coupons", headers=outsider, json=body).status_code == 404
        owner = api(world.user(session, "owner"))
        assert client.post(f"/api/v1/parking-lots/{lot.id}/coupons", headers=owner, json=body).status_code == 403


def test_lots_show_their_monthly_pass_price(client, session, world, manager, lot):
    service.set_pass_price(session, world.user(session, "firm_manager"), lot.id, 30000)
    session.commit()
    [listed] = client.get(f"/api/v1/compounds/{lot.compound_id}/parking-lots", headers=manager).json
    assert listed["monthly_pass_price_fen"] == 30000
