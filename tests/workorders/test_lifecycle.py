"""The state machine: every legal step, every illegal one refused, each step an event."""
import pytest

from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.workorders import service
from pm_platform.workorders.models import STATUSES
from tests.workorders.helpers import jpeg, report, walk_to_resolved


@pytest.fixture
def people(session, world):
    return {"resident": world.user(session, "owner"), "manager": world.user(session, "firm_manager"),
            "repairer": world.user(session, "firm_staff")}


def test_report_walked_to_rating_records_every_step(session, world, people):
    order = report(session, world, people["resident"], photos=[jpeg()])
    assert order.status == "new" and order.priority == "urgent"
    walk_to_resolved(session, order, people["manager"], people["repairer"])
    service.rate_work_order(session, people["resident"], order.id, 5, "很快")
    assert order.status == "closed" and order.close_kind == "confirmed" and order.rating == 5
    assert order.closed_firm_id == world.firm.id
    kinds = [(e.kind, e.actor_id) for e in order.events]
    assert kinds == [("created", people["resident"].id), ("accepted", people["manager"].id),
                     ("assigned", people["manager"].id), ("started", people["repairer"].id),
                     ("resolved", people["repairer"].id), ("closed_confirmed", people["resident"].id)]
    assert all(e.at is not None for e in order.events)


LEGAL = {("new", "accepted"), ("accepted", "assigned"), ("assigned", "assigned"), ("assigned", "in_progress"),
         ("in_progress", "assigned"), ("in_progress", "resolved"), ("resolved", "reopened"),
         ("reopened", "assigned"), ("reopened", "in_progress")}


def test_the_transition_table_is_the_documented_one():
    assert service.TRANSITIONS == LEGAL


@pytest.mark.parametrize("start", STATUSES)
def test_illegal_transitions_are_refused(session, world, people, start):
    order = report(session, world, people["resident"])
    order.status = start
    session.flush()
    for target in STATUSES:
        if (start, target) in LEGAL:
            continue
        with pytest.raises(Conflict):
            service.transition_work_order(session, people["manager"], order.id, target,
                                          assignee_id=people["repairer"].id, note="x", photos=[jpeg()])
        assert order.status == start


def test_resolution_needs_a_note_and_a_photo(session, world, people):
    order = report(session, world, people["resident"])
    service.transition_work_order(session, people["manager"], order.id, "accepted")
    service.transition_work_order(session, people["manager"], order.id, "assigned", assignee_id=people["repairer"].id)
    service.transition_work_order(session, people["repairer"], order.id, "in_progress")
    with pytest.raises(ValidationError) as missing_photo:
        service.transition_work_order(session, people["repairer"], order.id, "resolved", note="修好了")
    assert missing_photo.value.field == "photos"
    with pytest.raises(ValidationError) as missing_note:
        service.transition_work_order(session, people["repairer"], order.id, "resolved", photos=[jpeg()])
    assert missing_note.value.field == "note"
    assert order.status == "in_progress"


def test_reopen_by_the_reporter_then_fixed_again(session, world, people):
    order = walk_to_resolved(session, report(session, world, people["resident"]), people["manager"], people["repairer"])
    service.transition_work_order(session, people["resident"], order.id, "reopened", note="还在漏")
    assert order.status == "reopened" and order.reopen_count == 1 and order.resolved_at is None
    service.transition_work_order(session, people["repairer"], order.id, "in_progress")
    service.transition_work_order(session, people["repairer"], order.id, "resolved", note="再修", photos=[jpeg()])
    assert order.status == "resolved"


def test_roles_limit_who_takes_each_step(session, world, people):
    order = report(session, world, people["resident"])
    with pytest.raises(PermissionDenied):
        service.transition_work_order(session, people["resident"], order.id, "accepted")
    service.transition_work_order(session, people["manager"], order.id, "accepted")
    with pytest.raises(NotFound):  # a repairer does not see the unassigned queue
        service.transition_work_order(session, people["repairer"], order.id, "assigned",
                                      assignee_id=people["repairer"].id)
    committee = world.user(session, "committee")
    with pytest.raises(PermissionDenied):  # sees it, may not dispatch
        service.transition_work_order(session, committee, order.id, "assigned", assignee_id=people["repairer"].id)
    other = world.user(session, "firm_staff")
    service.transition_work_order(session, people["manager"], order.id, "assigned", assignee_id=other.id)
    with pytest.raises(NotFound):  # a repairer sees only what is assigned to them
        service.transition_work_order(session, people["repairer"], order.id, "in_progress")
    service.transition_work_order(session, other, order.id, "in_progress")
    service.transition_work_order(session, other, order.id, "resolved", note="ok", photos=[jpeg()])
    with pytest.raises(PermissionDenied):  # the firm does not confirm its own work
        service.rate_work_order(session, people["manager"], order.id, 5)
    with pytest.raises(Conflict):
        service.transition_work_order(session, people["resident"], order.id, "closed")


def test_unanswered_resolution_closes_after_three_days(session, world, people):
    import datetime as dt

    order = walk_to_resolved(session, report(session, world, people["resident"]), people["manager"], people["repairer"])
    assert service.close_unconfirmed(session, order.resolved_at + dt.timedelta(days=2, hours=23)) == 0
    assert service.close_unconfirmed(session, order.resolved_at + dt.timedelta(days=3, minutes=1)) == 1
    assert order.status == "closed" and order.close_kind == "unconfirmed" and order.rating is None
    assert order.events[-1].kind == "closed_unconfirmed" and order.events[-1].actor_id is None


def test_reinspection_listener_and_closing(session, world, people):
    seen = []

    def listener(_session, order):
        seen.append(order.id)

    service.register_resolution_listener(listener)
    try:
        failed = walk_to_resolved(session, report(session, world, people["resident"]), people["manager"], people["repairer"])
        assert seen == [failed.id]
        service.close_work_order_by_reinspection(session, people["manager"], failed.id, passed=False)
        assert failed.status == "reopened" and failed.reopen_count == 1
        service.transition_work_order(session, people["repairer"], failed.id, "in_progress")
        service.transition_work_order(session, people["repairer"], failed.id, "resolved", note="ok", photos=[jpeg()])
        service.close_work_order_by_reinspection(session, people["manager"], failed.id, passed=True)
        assert failed.status == "closed" and failed.close_kind == "reinspection"
    finally:  # only ours: inspections' re-inspection listener stays for the tests after this one
        service._resolution_listeners.remove(listener)
