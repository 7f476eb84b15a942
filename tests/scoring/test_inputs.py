"""Cards from the other domains' real records (no stand-in figures): bills and payments from
fees, a spot check that opens a work order, and the drill-down to the bills behind a card."""
import datetime as dt

from sqlalchemy import select

from pm_platform.fees import service as fees
from pm_platform.scoring import service
from pm_platform.scoring.models import Scorecard
from pm_platform.workorders.models import WorkOrder

MONTH = "2026-10"


def test_a_card_from_real_bills_and_a_spot_check_that_opens_a_work_order(session, world, login):
    first = world.compounds[0]
    manager, clerk = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    community = world.user(session, "community")
    fees.create_fee_item(session, manager, first.id, name="垃圾处理费", kind="fixed", rate_fen=1000,
                         from_period="2026-01", due_day=20)
    fees.bill_compound(session, first.id, MONTH)  # 3 units × 10 yuan, due 2026-10-20
    fees.record_payment(session, clerk, world.units[first.id][0].id, 1000, "cash")
    check = service.record_spot_check(
        session, community, first.id, dt.date(2026, 10, 9),
        {"cleaning": {"score": 10}, "greenery": {"score": 9}, "fire_lanes": {"score": 3, "note": "堆放杂物"},
         "parking": {"score": 8}, "notice_board": {"score": 10}, "facilities": {"score": 10}})
    failed = next(item for item in check.items if item.item == "fire_lanes")
    order = session.get(WorkOrder, failed.work_order_id)
    assert (order.source, order.category, order.compound_id) == ("spot_check", "fire_safety", first.id)
    assert all(item.work_order_id is None for item in check.items if item.item != "fire_lanes")

    service.compute_month(session, MONTH)
    session.commit()
    card = session.scalars(select(Scorecard).where(Scorecard.compound_id == first.id, Scorecard.month == MONTH)).one()
    lines = {line.key: line for line in card.lines}
    assert (lines["fee_collection"].numerator, lines["fee_collection"].denominator) == (1000, 3000)
    assert (lines["spot_checks"].numerator, lines["spot_checks"].denominator) == (50, 60)
    # 33.3 % collected is below the 60 % floor: 0 of 20; spot checks 83.3 %: 11.67 of 20 → 11.67 / 40 × 100
    assert lines["fee_collection"].points == 0 and card.total == 2918

    client = login(world.user(session, "street"))
    page = client.get(f"/scores/card/{card.id}/fee_collection").get_data(as_text=True)
    assert page.count("垃圾处理费") == 3 and "2026-10-20" in page
    spot = client.get(f"/scores/card/{card.id}/spot_checks").get_data(as_text=True)
    assert "堆放杂物" in spot and f"#{order.id}" in spot
