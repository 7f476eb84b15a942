"""Owners buy a month's pass online: their vehicles page, the payment order, the provider's
callback making the pass once, and the pass starting where the vehicle's cover ends."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.fees import payments
from pm_platform.parking import service
from pm_platform.parking.models import ParkingPass
from tests.parking.helpers import TARIFF, pay_through_callback


@pytest.fixture
def setup(session, world):
    """A lot selling passes at 300 yuan, and a car registered to the owner's unit."""
    manager = world.user(session, "firm_manager")
    compound_id = world.compounds[0].id
    lot = service.create_lot(session, manager, compound_id, "东门停车场", 50, TARIFF)
    service.set_pass_price(session, manager, lot.id, 30000)
    car = service.register_vehicle(session, manager, compound_id, "京A12345", "monthly", world.units[compound_id][0].id)
    owner = world.user(session, "owner")
    session.commit()
    return manager, owner, lot, car


def buy(client, session, lot, car):
    """The owner's buy button; returns the order it sent them to pay at the checkout."""
    response = client.post(f"/parking/vehicles/{car.id}/buy-pass", data={"lot_id": lot.id})
    checkout = response.headers["Location"]
    assert response.status_code == 302 and "/payments/sandbox/" in checkout and "next=/parking/my" in checkout
    return payments.get_order(session, checkout.split("/payments/sandbox/")[1].split("?")[0])


def passes(session, car):
    return session.scalars(select(ParkingPass).where(ParkingPass.vehicle_id == car.id).order_by(ParkingPass.id)).all()


def test_owner_buys_a_month_online_and_the_paid_callback_makes_the_pass(client, session, login, setup):
    _manager, owner, lot, car = setup
    login(owner)
    today = clock.local_today()
    page = client.get("/parking/my").text
    assert "京A12345" in page and "无月卡" in page and f"购买{lot.compound.name} · 东门停车场月卡：300.00 元" in page
    assert f"有效期 {today} 至 {service.month_pass_end(today)}" in page
    order = buy(client, session, lot, car)
    assert (order.purpose, order.amount_fen, order.compound_id, order.status) == ("parking_pass", 30000, lot.compound_id,
                                                                                  "pending")
    assert passes(session, car) == []       # nothing until it is paid
    paid, _signed = pay_through_callback(client, order)
    assert paid.status_code == 200
    [made] = passes(session, car)
    assert (made.lot_id, made.valid_from, made.valid_to, made.price_fen, made.channel) == (
        lot.id, today, service.month_pass_end(today), 30000, "online")
    assert "线上购买" in login(owner).get("/parking/my").text   # signed in again: the API call was anonymous
    # the pass covers parking from today
    assert service.stay_charge(session, lot, "京A12345", clock.now_utc(), clock.now_utc() + dt.timedelta(hours=5)) == 0


def test_a_repeated_callback_makes_one_pass(client, session, login, setup):
    _manager, owner, lot, car = setup
    login(owner)
    order = buy(client, session, lot, car)
    _paid, (raw, headers) = pay_through_callback(client, order)
    assert client.post("/api/v1/payments/callbacks/sandbox", data=raw, headers=headers).status_code == 200
    # another transaction claiming the same order is refused
    assert pay_through_callback(client, order, txn_id="SBX2")[0].status_code == 409
    assert len(passes(session, car)) == 1
    # and the handler itself, called again for the paid order, returns the pass it made
    assert service._on_pass_paid(session, payments.get_order(session, order.order_no)) == passes(session, car)[0]
    assert len(passes(session, car)) == 1


def test_the_new_pass_starts_the_day_after_the_current_cover_ends(client, session, login, setup):
    manager, owner, lot, car = setup
    today = clock.local_today()
    service.sell_pass(session, manager, car.id, lot.id, today - dt.timedelta(days=20), today + dt.timedelta(days=3), 30000)
    service.sell_pass(session, manager, car.id, lot.id, today + dt.timedelta(days=4), today + dt.timedelta(days=9), 30000)
    session.commit()
    login(owner)
    pay_through_callback(client, buy(client, session, lot, car))
    made = passes(session, car)[-1]
    start = today + dt.timedelta(days=10)
    assert (made.valid_from, made.valid_to) == (start, service.month_pass_end(start))


@pytest.mark.parametrize("start, end", [(dt.date(2026, 1, 31), dt.date(2026, 2, 28)), (dt.date(2028, 1, 30), dt.date(2028, 2, 29)),
                                        (dt.date(2026, 2, 28), dt.date(2026, 3, 27)), (dt.date(2026, 12, 15), dt.date(2027, 1, 14))])
def test_a_month_runs_to_the_day_before_the_same_date_or_to_the_end_of_a_short_month(start, end):
    assert service.month_pass_end(start) == end


def test_owners_buy_only_for_their_own_cars_at_lots_that_sell_passes(client, session, world, login, setup):
    manager, owner, lot, car = setup
    unpriced = service.create_lot(session, manager, lot.compound_id, "北区", 20, TARIFF)
    stranger = service.register_vehicle(session, manager, lot.compound_id, "京B12345", "monthly",
                                        world.units[lot.compound_id][1].id)
    session.commit()
    login(owner)
    assert "北区" not in client.get("/parking/my").text
    assert client.post(f"/parking/vehicles/{car.id}/buy-pass", data={"lot_id": unpriced.id}).status_code == 422
    assert client.post(f"/parking/vehicles/{stranger.id}/buy-pass", data={"lot_id": lot.id}).status_code == 404
    assert client.post(f"/parking/vehicles/{car.id}/buy-pass", data={"lot_id": 10**6}).status_code == 404
    assert client.post(f"/parking/vehicles/{car.id}/buy-pass", data={}).status_code == 400
    # an owner of the other compound sees none of these cars
    login(world.user(session, "owner", index=1))
    page = client.get("/parking/my").text
    assert "京A12345" not in page and "京B12345" not in page
    assert client.post(f"/parking/vehicles/{car.id}/buy-pass", data={"lot_id": lot.id}).status_code == 404
    assert session.scalar(select(payments.PaymentOrder.id).where(payments.PaymentOrder.purpose == "parking_pass")) is None


def test_a_lot_that_stopped_selling_passes_says_so_in_chinese(client, session, login, setup):
    """The owner's page was open while the office stopped online sales: the refusal reads in Chinese."""
    manager, owner, lot, car = setup
    login(owner)
    assert "东门停车场" in client.get("/parking/my").text
    service.set_pass_price(session, manager, lot.id, None)
    session.commit()
    response = client.post(f"/parking/vehicles/{car.id}/buy-pass", data={"lot_id": lot.id})
    assert response.status_code == 422
    assert "本停车场未开通线上购买月卡" in response.text and "does not sell passes online" not in response.text
