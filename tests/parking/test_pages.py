"""The lot manager's forms: tariffs, spaces, vehicles, passes, pass price, lists, coupons; each
saves what was typed, and bad input comes back as an error on the form, never a 500."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.parking import service
from pm_platform.parking.models import ParkingCoupon, ParkingPass, ParkingSpace, PlateListEntry, Vehicle
from tests.parking.helpers import TARIFF


@pytest.fixture
def lot(session, world):
    made = service.create_lot(session, world.user(session, "firm_manager"), world.compounds[0].id, "东门停车场", 50, TARIFF)
    session.commit()
    return made


@pytest.fixture
def boss(session, world):
    return world.user(session, "firm_manager")


@pytest.fixture
def manager(boss, login):
    """The test client signed in as the lot's manager."""
    return login(boss)


def errors(response) -> list[str]:
    """The error messages shown on the page."""
    assert response.status_code == 200, response.status_code
    return re.findall(r'class="error">([^<]*)<', response.text)


def car(session, world, lot, plate="京A12345", car_type="monthly"):
    made = service.register_vehicle(session, world.user(session, "firm_manager"), lot.compound_id, plate, car_type,
                                    world.units[lot.compound_id][0].id)
    session.commit()
    return made


class TestTariffs:
    def test_a_new_tariff_is_listed_as_upcoming_beside_the_one_in_force(self, manager, lot):
        page = manager.get(f"/parking/lots/{lot.id}/tariffs")
        assert "执行中" in page.text and "首 60 分钟 5.00 元" in page.text
        response = manager.post(f"/parking/lots/{lot.id}/tariffs", data={
            "car_type": "temporary", "template": "per_entry", "free_minutes": "30", "price": "12.50",
            "effective_from": "2099-01-01T08:00"})
        assert response.status_code == 302
        page = manager.get(f"/parking/lots/{lot.id}/tariffs")
        assert "待生效" in page.text and "2099-01-01 08:00" in page.text and "每 24 小时 12.50 元" in page.text

    def test_empty_start_means_now(self, manager, boss, session, lot):
        before = clock.now_utc()
        manager.post(f"/parking/lots/{lot.id}/tariffs", data={
            "car_type": "own_space", "template": "per_entry", "free_minutes": "0", "price": "5"})
        rows = {entry.row.car_type: entry for entry in service.tariff_history(session, boss, lot.id)}
        assert rows["own_space"].status == "in_force" and clock.as_utc(rows["own_space"].row.effective_from) >= before

    def test_missing_and_bad_fields_are_shown_on_the_form(self, manager, lot):
        response = manager.post(f"/parking/lots/{lot.id}/tariffs", data={
            "car_type": "temporary", "template": "standard", "free_minutes": "15", "first_minutes": "60",
            "first_price": "5块", "unit_minutes": "0", "cap": "30"})
        shown = errors(response)
        assert "请输入以元为单位的金额，例如 300 或 299.50。" in shown       # first_price
        assert "此收费模板必须填写。" in shown                              # unit_price
        assert "数值大小必须介于 1 到 10080 之间。" in shown                 # unit_minutes below 1
        assert "待生效" not in manager.get(f"/parking/lots/{lot.id}/tariffs").text

    def test_a_tariff_may_not_start_in_the_past(self, manager, session, boss, lot):
        response = manager.post(f"/parking/lots/{lot.id}/tariffs", data={
            "car_type": "temporary", "template": "per_entry", "free_minutes": "0", "price": "9",
            "effective_from": "2020-01-01T08:00"})
        assert errors(response) == ["收费标准不能从过去的时间开始：已入场的车辆仍按入场时的标准计费。"]
        assert len(service.tariff_history(session, boss, lot.id)) == 1   # only the lot's first tariff

    def test_a_day_and_night_tariff_needs_clock_times(self, manager, session, boss, lot):
        data = {"car_type": "temporary", "template": "day_night", "free_minutes": "15", "day_start": "7am",
                "day_end": "19:00", "unit_minutes": "60", "day_unit_price": "3", "night_price": "5", "cap": "25",
                "effective_from": "2099-01-01T00:00"}
        assert errors(manager.post(f"/parking/lots/{lot.id}/tariffs", data=data)) == ["请按 07:00 的格式填写时间。"]
        assert manager.post(f"/parking/lots/{lot.id}/tariffs", data={**data, "day_start": "07:00"}).status_code == 302
        upcoming = service.tariff_history(session, boss, lot.id)[0].row.tariff
        assert upcoming == {"template": "day_night", "free_minutes": 15, "unit_minutes": 60, "day_unit_price_fen": 300,
                            "night_price_fen": 500, "cap_fen": 2500, "day_start": "07:00", "day_end": "19:00"}


class TestSpaces:
    def test_add_a_space_for_a_unit(self, manager, session, world, lot):
        unit = world.units[lot.compound_id][1]
        response = manager.post(f"/parking/lots/{lot.id}/spaces", data={"code": "A-001", "kind": "owned",
                                                                         "unit_id": str(unit.id)})
        assert response.status_code == 302
        space = session.scalar(select(ParkingSpace).where(ParkingSpace.lot_id == lot.id))
        assert (space.code, space.kind, space.unit_id) == ("A-001", "owned", unit.id)
        page = manager.get(f"/parking/lots/{lot.id}/spaces")
        assert "A-001" in page.text and "产权车位" in page.text and unit.room in page.text

    def test_a_unit_of_another_compound_or_a_taken_number_is_refused(self, manager, session, world, lot):
        other = world.units[world.compounds[1].id][0]
        assert errors(manager.post(f"/parking/lots/{lot.id}/spaces",
                                   data={"code": "A-001", "kind": "owned", "unit_id": str(other.id)}))
        manager.post(f"/parking/lots/{lot.id}/spaces", data={"code": "A-001", "kind": "public", "unit_id": ""})
        shown = errors(manager.post(f"/parking/lots/{lot.id}/spaces", data={"code": "A-001", "kind": "public"}))
        assert shown == ["本停车场已有此编号的车位。"]
        assert len(session.scalars(select(ParkingSpace)).all()) == 1


class TestVehiclesAndPasses:
    def test_register_a_vehicle_and_sell_it_a_pass(self, manager, session, world, lot):
        unit = world.units[lot.compound_id][0]
        response = manager.post(f"/parking/lots/{lot.id}/vehicles", data={
            "plate": "京a·12345", "car_type": "monthly", "unit_id": str(unit.id)})
        assert response.status_code == 302
        vehicle = session.scalar(select(Vehicle).where(Vehicle.plate == "京A12345"))
        assert (vehicle.car_type, vehicle.unit_id, vehicle.compound_id) == ("monthly", unit.id, lot.compound_id)
        response = manager.post(f"/parking/lots/{lot.id}/passes", data={
            "vehicle_id": str(vehicle.id), "valid_from": "2026-12-01", "valid_to": "2026-12-31", "price": "299.50"})
        assert response.status_code == 302
        sold = session.scalar(select(ParkingPass).where(ParkingPass.vehicle_id == vehicle.id))
        assert (sold.valid_from, sold.valid_to, sold.price_fen, sold.channel) == (
            dt.date(2026, 12, 1), dt.date(2026, 12, 31), 29950, "office")
        row = manager.get(f"/parking/lots/{lot.id}/vehicles").text
        assert "京A12345" in row and "2026-12-01 – 2026-12-31" in row and "前台办理" in row

    @pytest.mark.parametrize("plate, shown", [("ABC123", "不是有效的内地车牌（例如 京A12345）。"),
                                              ("", "该字段是必填字段。")])
    def test_bad_plate_is_refused(self, manager, session, lot, plate, shown):
        response = manager.post(f"/parking/lots/{lot.id}/vehicles", data={"plate": plate, "car_type": "monthly"})
        assert errors(response) == [shown]
        assert session.scalar(select(Vehicle.id)) is None

    def test_a_plate_registered_twice_or_a_unit_of_another_compound_is_refused(self, manager, session, world, lot):
        car(session, world, lot)
        response = manager.post(f"/parking/lots/{lot.id}/vehicles", data={"plate": "京A12345", "car_type": "monthly"})
        assert errors(response) == ["该车牌已在本小区登记。"]
        other = world.units[world.compounds[1].id][0]
        response = manager.post(f"/parking/lots/{lot.id}/vehicles", data={
            "plate": "京B12345", "car_type": "monthly", "unit_id": str(other.id)})
        assert len(errors(response)) == 1
        assert session.scalar(select(Vehicle.id).where(Vehicle.plate == "京B12345")) is None

    @pytest.mark.parametrize("data, shown", [
        ({"valid_from": "2026-12-31", "valid_to": "2026-12-01", "price": "300"}, "截止日不能早于起始日。"),
        ({"valid_from": "2026-12-01", "valid_to": "2026-12-31", "price": "-300"}, "金额须在 0 至 100,000,000 元之间。"),
        ({"valid_from": "2026-13-01", "valid_to": "2026-12-31", "price": "300"}, "不是有效的日期值。"),
    ])
    def test_bad_dates_and_prices_are_refused(self, manager, session, world, lot, data, shown):
        vehicle = car(session, world, lot)
        response = manager.post(f"/parking/lots/{lot.id}/passes", data={"vehicle_id": str(vehicle.id), **data})
        assert errors(response) == [shown]
        assert session.scalar(select(ParkingPass.id)) is None

    def test_the_pass_form_offers_a_month_from_today_at_the_lots_price(self, manager, session, world, lot):
        car(session, world, lot)
        manager.post(f"/parking/lots/{lot.id}/pass-price", data={"monthly_pass_price": "250"})
        session.refresh(lot)
        assert lot.monthly_pass_price_fen == 25000
        page = manager.get(f"/parking/lots/{lot.id}/vehicles").text
        today = clock.local_today()
        assert f'value="{today.isoformat()}"' in page
        assert f'value="{service.month_pass_end(today).isoformat()}"' in page and 'value="250.00"' in page

    def test_pass_price_must_be_positive_and_empty_stops_online_sales(self, manager, session, lot):
        assert errors(manager.post(f"/parking/lots/{lot.id}/pass-price", data={"monthly_pass_price": "0"})) == [
            "价格必须大于 0。"]
        manager.post(f"/parking/lots/{lot.id}/pass-price", data={"monthly_pass_price": "250"})
        manager.post(f"/parking/lots/{lot.id}/pass-price", data={"monthly_pass_price": ""})
        session.refresh(lot)
        assert lot.monthly_pass_price_fen is None


class TestListsAndCoupons:
    def test_put_a_plate_on_the_black_list(self, manager, session, lot):
        response = manager.post(f"/parking/lots/{lot.id}/plate-lists", data={"plate": "沪B·D12345", "kind": "black",
                                                                             "reason": "欠费未缴"})
        assert response.status_code == 302
        entry = session.scalar(select(PlateListEntry))
        assert (entry.plate, entry.kind, entry.reason) == ("沪BD12345", "black", "欠费未缴")
        page = manager.get(f"/parking/lots/{lot.id}/plate-lists").text
        assert "沪BD12345" in page and "黑名单" in page and "欠费未缴" in page

    def test_bad_plate_on_a_list_is_refused(self, manager, session, lot):
        response = manager.post(f"/parking/lots/{lot.id}/plate-lists", data={"plate": "京AI2345", "kind": "white"})
        assert errors(response) == ["不是有效的内地车牌（例如 京A12345）。"]
        assert session.scalar(select(PlateListEntry.id)) is None

    def test_office_staff_issue_a_coupon(self, session, world, lot, login):
        staff = login(world.user(session, "firm_staff"))
        response = staff.post(f"/parking/lots/{lot.id}/coupons", data={"plate": "京A12345", "issuer": "华联超市",
                                                                      "free_minutes": "60", "amount_off": "2.5"})
        assert response.status_code == 302
        coupon = session.scalar(select(ParkingCoupon))
        assert (coupon.plate, coupon.issuer, coupon.free_minutes, coupon.amount_off_fen) == ("京A12345", "华联超市", 60, 250)
        assert "华联超市" in staff.get(f"/parking/lots/{lot.id}/coupons").text
        # the office's own staff see the coupons tab but not the manager's
        tabs = staff.get(f"/parking/lots/{lot.id}").text
        assert "优惠券" in tabs and f"/parking/lots/{lot.id}/tariffs" not in tabs

    def test_a_coupon_giving_nothing_is_refused(self, manager, session, lot):
        response = manager.post(f"/parking/lots/{lot.id}/coupons", data={"plate": "京A12345", "free_minutes": "0"})
        assert errors(response) == ["请填写免费分钟数或减免金额。"]
        assert session.scalar(select(ParkingCoupon.id)) is None


@pytest.mark.parametrize("path", ["tariffs", "spaces", "vehicles", "plate-lists"])
def test_only_managers_open_the_managers_pages(session, world, lot, login, path):
    assert login(world.user(session, "firm_manager")).get(f"/parking/lots/{lot.id}/{path}").status_code == 200
    assert login(world.user(session, "firm_staff")).get(f"/parking/lots/{lot.id}/{path}").status_code == 403
    assert login(world.user(session, "community", index=1)).get(f"/parking/lots/{lot.id}/{path}").status_code == 404
    assert login(world.user(session, "community", index=1)).post(f"/parking/lots/{lot.id}/{path}", data={
        "plate": "京A12345", "kind": "black", "code": "X", "car_type": "monthly"}).status_code == 404
