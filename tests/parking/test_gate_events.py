"""Lots over the API and gate events: fees, duplicates, plates, anomalies, bad input, keys."""
import datetime as dt

import pytest
from flask_babel import refresh
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.core.clock import SHANGHAI
from pm_platform.core.errors import ValidationError
from pm_platform.fees import payments
from pm_platform.parking import gate as gate_service, service
from pm_platform.parking.models import GateEvent, ParkingAnomaly, ParkingSession
from pm_platform.places.service import create_device
from tests.parking.helpers import TARIFF, pay_through_callback
NOW = dt.datetime.now(SHANGHAI).replace(microsecond=0)


def ago(**delta) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat()


@pytest.fixture
def lot(session, world):
    manager = world.user(session, "firm_manager")
    made = service.create_lot(session, manager, world.compounds[0].id, "东门停车场", 50, TARIFF)
    session.commit()
    return made


@pytest.fixture
def gate(session, world):
    _device, key = create_device(session, None, "gate", world.compounds[0].id)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def post(client, gate, lot):
    def _post(event_id, plate, direction, at, headers=None, lot_id=None):
        return client.post("/api/v1/parking/gate-events", headers=headers or gate,
                           json={"event_id": event_id, "lot_id": lot_id or lot.id, "plate": plate,
                                 "direction": direction, "at": at})
    return _post


class TestParkingLotsApi:
    def test_manager_creates_a_lot_with_each_template(self, client, session, world, api):
        headers = api(world.user(session, "firm_manager"))
        for name, tariff in [("A", TARIFF), ("B", {"template": "per_entry", "free_minutes": 30, "price_fen": 1000}),
                             ("C", {"template": "day_night", "free_minutes": 15, "day_start": "07:00",
                                    "day_end": "19:00", "unit_minutes": 60, "day_unit_price_fen": 300,
                                    "night_price_fen": 500, "cap_fen": 2500})]:
            response = client.post(f"/api/v1/compounds/{world.compounds[0].id}/parking-lots", headers=headers,
                                   json={"name": name, "capacity": 20, "tariff": tariff})
            assert response.status_code == 201, response.json
            assert response.json["tariff"] == tariff
            assert response.json["capacity"] == 20
        listed = client.get(f"/api/v1/compounds/{world.compounds[0].id}/parking-lots", headers=headers)
        assert [lot["name"] for lot in listed.json] == ["A", "B", "C"]

    def test_bad_tariff_names_the_field(self, client, session, world, api):
        headers = api(world.user(session, "firm_manager"))
        response = client.post(f"/api/v1/compounds/{world.compounds[0].id}/parking-lots", headers=headers,
                               json={"name": "A", "capacity": 20, "tariff": {**TARIFF, "unit_minutes": 0}})
        assert response.status_code == 422
        assert response.json["error"]["field"] == "tariff.unit_minutes"

    def test_owner_may_not_create_and_other_compound_is_hidden(self, client, session, world, api):
        owner = api(world.user(session, "owner"))
        body = {"name": "A", "capacity": 5, "tariff": TARIFF}
        assert client.post(f"/api/v1/compounds/{world.compounds[0].id}/parking-lots", headers=owner, json=body).status_code == 403
        assert client.post(f"/api/v1/compounds/{world.compounds[1].id}/parking-lots", headers=owner, json=body).status_code == 404


class TestGateEvents:
    def test_entry_then_exit_charges_the_tariff(self, post):
        entered = post("e1", "京A12345", "in", ago(minutes=100))
        assert entered.status_code == 200 and entered.json["open"] is True
        left = post("e2", "京A12345", "out", ago(minutes=0))
        # 100 minutes: 500 first hour + 2 started half hours
        assert left.json["fee_fen"] == 900
        assert left.json["open"] is False
        assert left.json["session_id"] == entered.json["session_id"]

    def test_free_stay_opens(self, post):
        post("e1", "京A12345", "in", ago(minutes=10))
        left = post("e2", "京A12345", "out", ago(minutes=0))
        assert left.json == {**left.json, "fee_fen": 0, "open": True, "outcome": "accepted"}

    def test_same_event_twice_is_one_event(self, post, session):
        first = post("dup", "京A12345", "in", ago(minutes=30))
        second = post("dup", "京A12345", "in", ago(minutes=30))
        assert second.status_code == 200 and second.json["duplicate"] is True
        assert second.json["session_id"] == first.json["session_id"]
        assert session.scalar(select(ParkingSession.id).where(ParkingSession.plate == "京A12345").limit(2).offset(1)) is None
        assert len(session.scalars(select(GateEvent).where(GateEvent.event_id == "dup")).all()) == 1

    def test_same_exit_twice_at_the_same_moment_gets_the_first_answer(self, post, session, monkeypatch):
        post("in1", "京A12345", "in", ago(minutes=90))
        first = post("out1", "京A12345", "out", ago(minutes=0))
        # the twin request read the database before the first one committed, so it saw no
        # earlier event; its insert then fails on the unique event id and it must answer again
        real_context, raced = gate_service._context, []

        def racing_context(*args):
            context = real_context(*args)
            if not raced:
                raced.append(context.previous_id)
                context.previous_id = None
            return context

        monkeypatch.setattr(gate_service, "_context", racing_context)
        second = post("out1", "京A12345", "out", ago(minutes=0))
        assert raced and raced[0] is not None
        assert second.status_code == 200 and second.json["duplicate"] is True
        assert (second.json["fee_fen"], second.json["order_no"]) == (first.json["fee_fen"], first.json["order_no"]) \
            and first.json["fee_fen"] == 700
        assert len(session.scalars(select(GateEvent).where(GateEvent.event_id == "out1")).all()) == 1
        assert len(session.scalars(select(payments.PaymentOrder)).all()) == 1

    @pytest.mark.parametrize("raw, plate", [("京a 12345", "京A12345"), ("沪B·D12345", "沪BD12345"),
                                            ("粤B12345F", "粤B12345F"), (" 苏e·12 34学 ", "苏E1234学")])
    def test_plates_are_normalised(self, post, raw, plate):
        assert post("p", raw, "in", ago(minutes=1)).json["plate"] == plate

    def test_bad_plate_is_refused_and_kept(self, post, session):
        response = post("bad", "ABC123", "in", ago(minutes=1))
        assert response.status_code == 422
        assert response.json["error"]["code"] == "bad_plate" and response.json["error"]["field"] == "plate"
        kept = session.scalar(select(GateEvent).where(GateEvent.event_id == "bad"))
        assert kept.outcome == "rejected" and kept.plate_raw == "ABC123"
        assert session.scalar(select(ParkingAnomaly.kind).where(ParkingAnomaly.gate_event_id == kept.id)) == "bad_plate"

    def test_future_time_is_refused_and_kept(self, post, session):
        response = post("f", "京A12345", "in", (NOW + dt.timedelta(hours=1)).isoformat())
        assert response.status_code == 422 and response.json["error"]["code"] == "future_time"
        assert session.scalar(select(GateEvent.outcome).where(GateEvent.event_id == "f")) == "rejected"
        # within the allowed skew it is accepted
        assert post("g", "京A12345", "in", (NOW + dt.timedelta(minutes=2)).isoformat()).status_code == 200

    def test_out_of_order_exit_is_refused_and_kept(self, post, session):
        post("e1", "京A12345", "in", ago(minutes=30))
        response = post("e2", "京A12345", "out", ago(minutes=60))
        assert response.status_code == 409 and response.json["error"]["code"] == "out_of_order"
        assert session.scalar(select(GateEvent.outcome).where(GateEvent.event_id == "e2")) == "rejected"
        # the stay is still open and a proper exit still works
        assert post("e3", "京A12345", "out", ago(minutes=0)).json["fee_fen"] == 500

    def test_exit_without_entry_is_an_anomaly_with_a_day_charge(self, post, session, lot):
        response = post("x", "京A12345", "out", ago(minutes=0))
        assert response.status_code == 200
        assert response.json["outcome"] == "anomaly"
        assert response.json["fee_fen"] == 3000 and response.json["open"] is False  # a capped 24-hour block
        anomaly = session.scalar(select(ParkingAnomaly).where(ParkingAnomaly.lot_id == lot.id))
        assert (anomaly.kind, anomaly.charge_fen) == ("exit_without_entry", 3000)
        assert service.open_anomalies(session, lot) == [anomaly]

    def test_second_entry_closes_the_first_stay_with_its_charge(self, post, session, lot):
        first = post("a", "京A12345", "in", ago(minutes=180))
        second = post("b", "京A12345", "in", ago(minutes=0))
        assert second.json["outcome"] == "anomaly" and second.json["open"] is True
        old = session.get(ParkingSession, first.json["session_id"])
        assert old.status == "anomaly" and old.fee_fen == 500 + 4 * 200
        anomaly = session.scalar(select(ParkingAnomaly).where(ParkingAnomaly.kind == "entry_without_exit"))
        assert anomaly.charge_fen == 1300 and anomaly.session_id == old.id
        assert service.lot_figures(session, lot).occupied == 1

    def test_exit_is_paid_through_the_payment_callback_then_opens(self, post, client, session, lot):
        post("a", "京A12345", "in", ago(minutes=90))
        quoted = post("b", "京A12345", "out", ago(minutes=2))
        assert (quoted.json["fee_fen"], quoted.json["open"]) == (700, False)
        order = payments.get_order(session, quoted.json["order_no"])
        assert (order.purpose, order.amount_fen, order.compound_id) == ("parking", 700, lot.compound_id)
        # the gate asks again before payment: same order, still shut
        waiting = post("c", "京A12345", "out", ago(minutes=1))
        assert (waiting.json["open"], waiting.json["order_no"]) == (False, order.order_no)
        paid, (raw, headers) = pay_through_callback(client, order)
        assert paid.status_code == 200
        again = post("d", "京A12345", "out", ago(minutes=0))
        assert again.json["open"] is True and again.json["order_no"] is None
        figures = service.lot_figures(session, lot)
        assert (figures.occupied, figures.takings_fen) == (0, 700)
        # the same callback twice pays once
        client.post("/api/v1/payments/callbacks/sandbox", data=raw, headers=headers)
        assert service.lot_figures(session, lot).takings_fen == 700

    def test_black_listed_plate_stays_outside(self, post, session, world, lot):
        service.set_plate_list(session, world.user(session, "firm_manager"), lot.compound_id, "京A12345", "black")
        session.commit()
        assert post("a", "京A12345", "in", ago(minutes=1)).json["open"] is False

    def test_coupon_applies_at_exit(self, post, session, world, lot):
        post("a", "京A12345", "in", ago(minutes=120))
        service.issue_coupon(session, world.user(session, "firm_manager"), lot.id, "京A12345", "超市", free_minutes=60)
        session.commit()
        assert post("b", "京A12345", "out", ago(minutes=0)).json["fee_fen"] == 500


class TestGateSecurity:
    def test_unknown_key_is_401(self, post):
        assert post("a", "京A12345", "in", ago(minutes=1), headers={"Authorization": "Bearer pmd_nope"}).status_code == 401

    def test_revoked_key_is_401(self, post, session, world):
        device, key = create_device(session, None, "gate", world.compounds[0].id)
        device.revoked_at = clock.now_utc()
        session.commit()
        assert post("a", "京A12345", "in", ago(minutes=1), headers={"Authorization": f"Bearer {key}"}).status_code == 401

    def test_device_of_another_compound_is_403(self, post, session, world):
        _device, key = create_device(session, None, "gate", world.compounds[1].id)
        session.commit()
        response = post("a", "京A12345", "in", ago(minutes=1), headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 403
        assert session.scalar(select(GateEvent.id)) is None

    def test_user_token_is_not_a_device_key(self, post, session, world, api):
        assert post("a", "京A12345", "in", ago(minutes=1), headers=api(world.user(session, "admin"))).status_code == 401

    def test_malformed_body_is_422(self, client, gate, lot):
        response = client.post("/api/v1/parking/gate-events", headers=gate,
                               json={"event_id": "a", "lot_id": lot.id, "plate": "京A12345", "direction": "up", "at": "x"})
        assert response.status_code == 422

    def test_unparseable_time_is_422(self, post):
        response = post("a", "京A12345", "in", "yesterday")
        assert response.status_code == 422 and response.json["error"]["field"] == "at"


def test_plate_validation_covers_new_energy():
    assert service.normalise_plate("京AD12345") == "京AD12345"
    assert service.normalise_plate("京A12345D") == "京A12345D"
    for bad in ("京AI2345", "京A1234", "京A123456789", "X A12345", "京AD1234X"):
        with pytest.raises(ValidationError):
            service.normalise_plate(bad)


def test_lot_page_shows_occupancy_takings_and_anomalies(post, session, world, lot, login):
    post("a", "京A12345", "in", ago(minutes=20))
    post("b", "京B12345", "out", ago(minutes=0))   # exit with no entry
    manager = login(world.user(session, "firm_manager"))
    page = manager.get(f"/parking/lots/{lot.id}")
    assert page.status_code == 200
    assert 'id="occupied">1<' in page.text and "京B12345" in page.text and "30.00" in page.text
    anomaly = service.open_anomalies(session, lot)[0]
    manager.post(f"/parking/anomalies/{anomaly.id}/resolve", data={"note": "补录入场"})
    assert service.open_anomalies(session, lot) == []
    assert login(world.user(session, "owner")).get(f"/parking/lots/{lot.id}").status_code == 403
    assert login(world.user(session, "firm_manager", index=1)).get("/parking").status_code == 200


def test_the_lot_page_explains_an_anomaly_in_chinese(post, session, world, lot, login):
    post("c", "京C12345", "out", ago(minutes=0))   # exit with no entry
    anomaly = service.open_anomalies(session, lot)[0]
    assert anomaly.note == "exit with no entry: charged as 24 hours up to the exit"  # stored as the gate said it
    page = login(world.user(session, "firm_manager")).get(f"/parking/lots/{lot.id}")
    assert "没有入场记录\uff1a按出场前 24 小时收费" in page.text
    assert "charged as 24 hours" not in page.text
    refresh()  # requests share the test's app context, where Flask-Babel keeps the language it chose
    english = login(world.user(session, "firm_manager")).get(f"/parking/lots/{lot.id}?lang=en")
    assert "No entry was recorded: charged as 24 hours up to the exit." in english.text
