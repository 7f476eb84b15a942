"""A failed item opens a work order on the facility (deadline by severity, the contractor
while under warranty); the repair is re-inspected, which closes the loop or reopens it."""
import datetime as dt

import pytest
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.inspections import service
from pm_platform.inspections.models import Finding
from pm_platform.workorders.models import WorkOrder
from tests.inspections.helpers import extinguisher_answers, facility, inspect, shanghai
from tests.workorders.helpers import walk_to_resolved


@pytest.fixture(autouse=True)
def _fixed_day(pin_clock):
    pin_clock(shanghai(2026, 11, 23, 10))  # warranty days and the month's figures below are counted from 'today'


def test_a_failed_reading_opens_an_urgent_order_routed_to_the_contractor_under_warranty(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    item = facility(session, manager, world.compounds[0], name="2号灭火器", contractor="某消防工程公司",
                    warranty_ends_on=clock.local_today() + dt.timedelta(days=30))
    record, _ = inspect(session, staff, item, answers=extinguisher_answers(pressure="0.8"))
    assert not record.passed
    pressure = next(a for a in record.answers if a["key"] == "pressure")
    assert pressure["value"] == 0.8 and not pressure["passed"]
    finding = session.scalars(select(Finding)).one()
    order = session.get(WorkOrder, finding.work_order_id)
    assert (order.source, order.category, order.priority, order.facility_id) == ("inspection", "fire_safety", "urgent", item.id)
    assert order.contractor == "某消防工程公司"
    assert "0.8MPa" in order.description and "压力表读数" in order.description
    assert clock.as_utc(order.resolve_due_at) - clock.as_utc(order.created_at) == dt.timedelta(hours=24)

    # The same failure seen again before the repair opens no second order.
    inspect(session, staff, item, answers=extinguisher_answers(pressure="0.7"), opened=clock.now_utc() + dt.timedelta(hours=1))
    assert session.scalar(select(WorkOrder.id).where(WorkOrder.id != order.id)) is None


def test_out_of_warranty_a_low_severity_failure_is_not_routed_to_the_contractor(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    item = facility(session, manager, world.compounds[0], kind="roof", name="3栋屋面", contractor="某防水公司",
                    warranty_ends_on=clock.local_today() - dt.timedelta(days=1))
    inspect(session, staff, item, answers=[{"item": "waterproofing", "value": "fail"}, {"item": "outlets", "value": "pass"}],
            photos=[])
    order = session.scalars(select(WorkOrder)).one()
    assert order.contractor is None and order.category == "roof_leak" and order.priority == "normal"


def test_reinspection_after_repair_closes_the_order_or_reopens_it(session, world):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    item = facility(session, manager, world.compounds[0], name="5号灭火器")
    t = clock.now_utc() - dt.timedelta(hours=3)  # the figures below count up to now
    inspect(session, staff, item, answers=extinguisher_answers(seal="fail"), opened=t)
    finding = session.scalars(select(Finding)).one()
    order = session.get(WorkOrder, finding.work_order_id)
    assert order.priority == "normal"

    walk_to_resolved(session, order, manager, staff)
    session.refresh(finding)
    assert finding.status == "awaiting_reinspection"
    assert [f.id for f in service_awaiting(session, staff)] == [finding.id]

    inspect(session, staff, item, answers=extinguisher_answers(seal="fail"), opened=t + dt.timedelta(hours=1))
    session.refresh(order), session.refresh(finding)
    assert order.status == "reopened" and finding.status == "open"

    order_id = order.id
    from pm_platform.workorders import service as workorders
    workorders.transition_work_order(session, staff, order_id, "in_progress")
    from tests.workorders.helpers import jpeg
    workorders.transition_work_order(session, staff, order_id, "resolved", note="更换铅封", photos=[jpeg()])
    record, _ = inspect(session, staff, item, opened=t + dt.timedelta(hours=2))
    session.refresh(order), session.refresh(finding)
    assert (order.status, order.close_kind) == ("closed", "reinspection")
    assert finding.status == "closed" and finding.closed_by_record_id == record.id
    figures = service.inspection_figures(session, [item.compound_id], clock.period_of(clock.local_today()))
    assert figures[item.compound_id].open_defects == 0


def service_awaiting(session, user):
    from pm_platform.inspections.scanning import awaiting_reinspection
    return awaiting_reinspection(session, user)
