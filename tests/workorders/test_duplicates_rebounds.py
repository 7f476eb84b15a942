"""Duplicates join the open order; the same problem soon after closure is a rebound."""
import datetime as dt

import pytest

from pm_platform.core import clock
from pm_platform.workorders import service
from pm_platform.workorders.models import WorkOrder
from tests.workorders.helpers import jpeg, report, walk_to_resolved


@pytest.fixture
def people(session, world):
    return {"resident": world.user(session, "owner"), "manager": world.user(session, "firm_manager"),
            "repairer": world.user(session, "firm_staff"), "community": world.user(session, "community")}


def building_of(world):
    return world.units[world.compounds[0].id][0].building_id


def staff_report(session, world, people, category="lighting", **place):
    return service.create_work_order(session, people["community"], compound_id=world.compounds[0].id,
                                     source="staff", category=category, description="楼道灯不亮", **place)


def test_same_category_same_building_while_open_joins_as_extra_reporter(session, world, people):
    first = report(session, world, people["resident"], category="lighting", unit=False, building_id=building_of(world))
    second = staff_report(session, world, people, building_id=building_of(world), reporter_name="王阿姨")
    assert second.id == first.id
    assert [(r.source, r.is_duplicate, r.reporter_name) for r in first.reports][1] == ("staff", True, "王阿姨")
    assert first.events[-1].kind == "reporter_added"
    assert session.query(WorkOrder).count() == 1


def test_within_50_metres_joins_but_beyond_opens_a_new_order(session, world, people):
    first = staff_report(session, world, people, category="road", lat=31.230000, lng=121.470000)
    near = staff_report(session, world, people, category="road", lat=31.230400, lng=121.470000)  # ~44 m north
    far = staff_report(session, world, people, category="road", lat=31.230500, lng=121.470000)   # ~56 m north
    assert near.id == first.id and far.id != first.id
    other_category = staff_report(session, world, people, category="greenery", lat=31.230000, lng=121.470000)
    assert other_category.id not in (first.id, far.id)


def test_radius_is_a_setting(app, session, world, people):
    app.config["WORKORDER_DUPLICATE_RADIUS_M"] = 100
    try:
        first = staff_report(session, world, people, category="road", lat=31.230000, lng=121.470000)
        assert staff_report(session, world, people, category="road", lat=31.230500, lng=121.470000).id == first.id
    finally:
        del app.config["WORKORDER_DUPLICATE_RADIUS_M"]


def test_two_flats_own_taps_are_two_problems_but_a_facility_is_one(session, world, people):
    units = world.units[world.compounds[0].id]
    a = staff_report(session, world, people, category="water", unit_id=units[0].id)
    b = staff_report(session, world, people, category="water", unit_id=units[1].id)
    assert a.id != b.id
    pump = staff_report(session, world, people, category="facility", facility_id=77)
    assert staff_report(session, world, people, category="facility", facility_id=77).id == pump.id
    assert staff_report(session, world, people, category="facility", facility_id=78).id != pump.id


def closed_order(session, world, people, days_ago, **place):
    order = staff_report(session, world, people, **place)
    walk_to_resolved(session, order, people["manager"], people["repairer"])
    service.rate_work_order(session, people["community"], order.id, 4)
    order.closed_at = clock.now_utc() - dt.timedelta(days=days_ago)
    session.flush()
    return order


@pytest.mark.parametrize("days, is_rebound", [(89, True), (91, False)])
def test_rebound_at_89_days_but_not_91(session, world, people, days, is_rebound):
    earlier = closed_order(session, world, people, days, building_id=building_of(world))
    again = staff_report(session, world, people, building_id=building_of(world))
    assert again.id != earlier.id
    assert (again.rebound_of_id == earlier.id) is is_rebound
    assert again.is_rebound is is_rebound and earlier.has_rebounded is is_rebound
    if is_rebound:
        assert earlier.closed_firm_id == world.firm.id  # counted against the firm that closed it
        assert again.events[-1].kind == "rebound" and earlier.events[-1].kind == "rebounded"


def test_rebound_window_is_a_setting(app, session, world, people):
    earlier = closed_order(session, world, people, 100, unit_id=world.units[world.compounds[0].id][1].id)
    app.config["WORKORDER_REBOUND_DAYS"] = 120
    try:
        again = staff_report(session, world, people, unit_id=world.units[world.compounds[0].id][1].id)
    finally:
        del app.config["WORKORDER_REBOUND_DAYS"]
    assert again.rebound_of_id == earlier.id


def test_rebound_needs_the_same_place_and_category(session, world, people):
    units = world.units[world.compounds[0].id]
    closed_order(session, world, people, 10, unit_id=units[0].id)
    assert staff_report(session, world, people, unit_id=units[1].id).rebound_of_id is None
    assert staff_report(session, world, people, category="noise", unit_id=units[0].id).rebound_of_id is None


def test_the_same_ticket_twice_is_one_order(session, world, people):
    kwargs = dict(compound_id=world.compounds[0].id, source="hotline_12345", category="noise",
                  description="夜间施工噪音", external_ref="12345-0001")
    first = service.create_work_order(session, people["community"], **kwargs)
    events = len(first.events)
    again = service.create_work_order(session, people["community"], **{**kwargs, "description": "另一个描述"})
    assert again.id == first.id and len(first.events) == events and len(first.reports) == 1


def test_resident_reports_only_in_own_compound_and_own_unit(session, world, people):
    from pm_platform.core.errors import NotFound, PermissionDenied

    other = world.compounds[1]
    with pytest.raises(NotFound):
        service.create_work_order(session, people["resident"], compound_id=other.id, source="resident",
                                  category="water", description="x")
    with pytest.raises(PermissionDenied):  # a neighbour's unit
        report(session, world, people["resident"], unit_id=world.units[world.compounds[0].id][1].id)
    with pytest.raises(PermissionDenied):  # a resident cannot pose as the hotline
        service.create_work_order(session, people["resident"], compound_id=world.compounds[0].id,
                                  source="hotline_12345", category="water", description="x", external_ref="1")


def test_text_is_stored_as_typed(session, world, people):
    text = "<script>alert('x')</script> 水管 & 阀门\n第二行  "
    order = report(session, world, people["resident"], description=text, photos=[jpeg()])
    assert session.get(WorkOrder, order.id).description == text
