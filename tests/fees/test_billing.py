"""Fee items, rates and billing runs: arithmetic, cycles, idempotency, bad input."""
import pytest
from sqlalchemy import func, select

from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.money import area_charge_fen
from pm_platform.fees import billing, service
from pm_platform.fees.models import Bill, BillingRun
from tests import factories


def bills_of(session, unit_id):
    return {(b.fee_item.name, b.period): b for b in session.scalars(select(Bill).where(Bill.unit_id == unit_id))}


def count_bills(session, **filters):
    query = select(func.count()).select_from(Bill)
    for name, value in filters.items():
        query = query.where(getattr(Bill, name) == value)
    return session.scalar(query)


def test_a_bill_is_area_times_rate_rounded_half_up_once(session, fees):
    # 89.37 m² × 1.20 yuan/m² = 107.244 yuan → 107.24 yuan; fixed item 10.00 yuan
    assert fees.bill(session, "2026-11") == 6
    bill = bills_of(session, fees.units[0].id)[("物业服务费", "2026-11")]
    assert (bill.area_cm2, bill.rate_fen, bill.amount_fen) == (8937, 120, 10724)
    assert bill.due_on.isoformat() == "2026-11-15" and bill.status == "unpaid"
    assert bills_of(session, fees.units[0].id)[("垃圾处理费", "2026-11")].amount_fen == 1000


@pytest.mark.parametrize("area_cm2, rate, expected", [
    (8937, 120, 10724),     # 107.244 → 107.24
    (8938, 125, 11173),     # 111.725 → 111.73 (the half goes up)
    (10000, 185, 18500),
    (6543, 1, 65),          # 0.6543 → 0.65
    (50, 1, 1),             # 0.005 → 0.01
])
def test_billing_uses_the_one_rounding_function(session, fees, area_cm2, rate, expected):
    unit = factories.unit(session, fees.compound, area_cm2=area_cm2)
    service.set_fee_rate(session, fees.manager, fees.property_fee.id, rate, "2026-12")
    fees.bill(session, "2026-12")
    assert bills_of(session, unit.id)[("物业服务费", "2026-12")].amount_fen == expected == area_charge_fen(area_cm2, rate)


def test_commercial_units_take_their_own_rate_and_parking_the_space_fee(session, fees):
    shop = factories.unit(session, fees.compound, area_cm2=5000, use="commercial")
    space = factories.unit(session, fees.compound, building="车库", area_cm2=1250, use="parking")
    service.create_fee_item(session, fees.manager, fees.compound.id, name="商铺物业费", kind="per_area", rate_fen=350,
                            applies_to="commercial", from_period="2026-01")
    service.create_fee_item(session, fees.manager, fees.compound.id, name="车位管理费", kind="fixed", rate_fen=8000,
                            applies_to="parking", from_period="2026-01")
    fees.bill(session, "2026-11")
    assert {k[0]: b.amount_fen for k, b in bills_of(session, shop.id).items()} == {"商铺物业费": 17500, "垃圾处理费": 1000}
    assert {k[0]: b.amount_fen for k, b in bills_of(session, space.id).items()} == {"车位管理费": 8000, "垃圾处理费": 1000}


def test_quarterly_and_yearly_items_bill_in_their_first_month_for_the_whole_cycle(session, fees):
    service.create_fee_item(session, fees.manager, fees.compound.id, name="电梯费", kind="per_area", rate_fen=30,
                            cycle="quarterly", from_period="2026-01")
    service.create_fee_item(session, fees.manager, fees.compound.id, name="二次供水费", kind="fixed", rate_fen=500,
                            cycle="yearly", from_period="2026-01")
    fees.bill(session, "2026-10", "2026-11", "2027-01")
    names = {key for key in bills_of(session, fees.units[0].id)}
    assert ("电梯费", "2026-10") in names and ("电梯费", "2026-11") not in names and ("电梯费", "2027-01") in names
    assert ("二次供水费", "2027-01") in names and ("二次供水费", "2026-10") not in names
    lift = bills_of(session, fees.units[0].id)[("电梯费", "2026-10")]
    assert (lift.months, lift.amount_fen) == (3, area_charge_fen(8937, 30, 3)) == (3, 8043)  # 80.433 → 80.43
    assert bills_of(session, fees.units[0].id)[("二次供水费", "2027-01")].amount_fen == 6000


def test_a_new_rate_applies_from_its_period_and_never_to_issued_bills(session, fees):
    fees.bill(session, "2026-11")
    with pytest.raises(Conflict):
        service.set_fee_rate(session, fees.manager, fees.property_fee.id, 150, "2026-11")
    service.set_fee_rate(session, fees.manager, fees.property_fee.id, 150, "2026-12")
    fees.bill(session, "2026-11", "2026-12")
    bills = bills_of(session, fees.units[0].id)
    assert bills[("物业服务费", "2026-11")].amount_fen == 10724
    assert bills[("物业服务费", "2026-12")].amount_fen == 13406  # 89.37 × 1.50 = 134.055 → 134.06


def test_no_bill_before_an_items_first_rate(session, fees):
    fees.bill(session, "2025-12")
    assert count_bills(session, compound_id=fees.compound.id) == 0


def test_billing_the_same_period_twice_creates_nothing_new(session, fees):
    assert fees.bill(session, "2026-11") == 6
    assert fees.bill(session, "2026-11") == 0
    assert count_bills(session, compound_id=fees.compound.id, period="2026-11") == 6


def test_a_run_records_itself_and_a_second_run_of_the_period_creates_nothing(session, fees, app):
    first = service.start_billing_run(session, fees.manager, "compound", fees.compound.id, "2026-11")
    session.commit()
    service.execute_billing_run(session, first.id)
    second = service.start_billing_run(session, fees.manager, "compound", fees.compound.id, "2026-11")
    service.execute_billing_run(session, second.id)
    session.commit()
    assert (first.status, first.bills_created, second.status, second.bills_created) == ("done", 6, "done", 0)
    assert count_bills(session, period="2026-11", compound_id=fees.compound.id) == 6


def test_a_run_killed_half_way_and_run_again_ends_with_one_bill_per_unit_and_item(session, fees, monkeypatch):
    """A district run dies after its first compound; nothing of it stays (one transaction), and
    the compound billed earlier by its own run keeps its bills. Run again: each bill once."""
    other = fees.world.compounds[1]
    service.create_fee_item(session, fees.world.user(session, "admin"), other.id, name="物业服务费", kind="per_area",
                            rate_fen=90, from_period="2026-01")
    fees.bill(session, "2026-11")
    factories.unit(session, fees.compound, area_cm2=7000)  # a unit added after the compound's own run
    session.commit()
    before = count_bills(session, period="2026-11")
    bureau = fees.world.user(session, "bureau")
    run = service.start_billing_run(session, bureau, "district", fees.world.district.id, "2026-11")
    session.commit()

    real, calls = service.bill_compound, []

    def dies_on_the_second_compound(session_, compound_id, period, run_id=None):
        calls.append(compound_id)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(session_, compound_id, period, run_id)

    monkeypatch.setattr(billing, "bill_compound", dies_on_the_second_compound)
    from tasks.fees import run_billing
    with pytest.raises(RuntimeError):
        run_billing.run(run.id)
    session.expire_all()
    assert count_bills(session, period="2026-11") == before
    failed = session.get(BillingRun, run.id)
    assert (failed.status, failed.error) == ("failed", "RuntimeError: worker killed")

    monkeypatch.setattr(billing, "bill_compound", real)
    run_billing.run(run.id)
    run_billing.run(run.id)  # and a redelivered job on top
    session.expire_all()
    units = {c.id: session.scalar(select(func.count()).select_from(factories.Unit).where(factories.Unit.compound_id == c.id))
             for c in fees.world.compounds}
    # compound 0: two items for every unit; compound 1: one item
    assert count_bills(session, period="2026-11", compound_id=fees.compound.id) == 2 * units[fees.compound.id]
    assert count_bills(session, period="2026-11", compound_id=other.id) == units[other.id]
    duplicates = session.execute(select(Bill.unit_id, Bill.fee_item_id).group_by(Bill.unit_id, Bill.fee_item_id, Bill.period)
                                 .having(func.count() > 1)).all()
    assert duplicates == []
    done = session.get(BillingRun, run.id)
    assert (done.status, done.bills_created) == ("done", 0)


def test_the_monthly_schedule_bills_every_district(session, fees, monkeypatch):
    from pm_platform.core import clock
    from tasks.fees import monthly_billing
    import datetime as dt
    monkeypatch.setattr(clock, "local_today", lambda: dt.date(2026, 11, 1))
    run_ids = monthly_billing.run()
    runs = [session.get(BillingRun, run_id) for run_id in run_ids]
    assert any(r.scope_id == fees.world.district.id and r.period == "2026-11" for r in runs)
    for run in runs:
        service.execute_billing_run(session, run.id)
    assert count_bills(session, period="2026-11", compound_id=fees.compound.id) == 6


@pytest.mark.parametrize("changes, field", [
    ({"kind": "per_room"}, "kind"), ({"rate_fen": -1}, "rate_fen"), ({"from_period": "2026-13"}, "from_period"),
    ({"from_period": "11/2026"}, "from_period"), ({"due_day": 31}, "due_day"), ({"cycle": "weekly"}, "cycle"),
    ({"applies_to": "shops"}, "applies_to"), ({"name": " "}, "name"),
])
def test_bad_fee_items_are_refused(session, fees, changes, field):
    data = {"name": "新项目", "kind": "fixed", "rate_fen": 100, "from_period": "2026-01"} | changes
    with pytest.raises(ValidationError) as error:
        service.create_fee_item(session, fees.manager, fees.compound.id, **data)
    assert error.value.field == field


def test_only_the_firm_manager_sets_fees_and_only_where_they_serve(session, fees):
    with pytest.raises(PermissionDenied):
        service.create_fee_item(session, fees.clerk, fees.compound.id, name="x", kind="fixed", rate_fen=1,
                                from_period="2026-01")
    with pytest.raises(NotFound):  # the firm does not serve compound 1
        service.create_fee_item(session, fees.manager, fees.world.compounds[1].id, name="x", kind="fixed", rate_fen=1,
                                from_period="2026-01")


def test_bad_period_for_a_run_is_refused(session, fees):
    for period in ("2026-1", "2026-00", "26-11", "", "2026-11-01"):
        with pytest.raises(ValidationError):
            service.start_billing_run(session, fees.manager, "compound", fees.compound.id, period)
