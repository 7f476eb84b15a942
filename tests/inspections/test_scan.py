"""The scan: proof of presence (distance, delay, impossible travel), high-risk refusals,
timeliness against the round, and bad input answered clearly with nothing half-written."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from pm_platform.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from pm_platform.core.models import AuditEntry
from pm_platform.inspections import scanning, service
from pm_platform.inspections.models import InspectionPhoto, Record, Round, RoundItem, Scan
from pm_platform.inspections.scanning import PresenceNotProven
from pm_platform.inspections.service import LabelReplaced
from tests.inspections.helpers import LAT, LNG, extinguisher_answers, facility, hydrant_answers, inspect, jpeg, plan, shanghai, token

T0 = shanghai(2026, 11, 23, 9)


@pytest.fixture
def people(session, world):
    return world.user(session, "firm_manager"), world.user(session, "firm_staff")


def records(session):
    return session.scalar(select(func.count()).select_from(Record))


def test_a_record_at_the_facility_in_time_is_clean_and_audited(session, world, people):
    manager, staff = people
    item = facility(session, manager, world.compounds[0])
    record, created = inspect(session, staff, item, lat=LAT + 0.0001, opened=T0, submitted=T0 + dt.timedelta(minutes=2))
    assert created and record.flags == [] and not record.is_flagged and record.passed
    assert 10 <= record.distance_m <= 12  # 0.0001° of latitude ≈ 11 m
    assert record.timeliness == "out_of_window"  # no plan: an ad-hoc inspection
    photo = session.scalars(select(InspectionPhoto).where(InspectionPhoto.record_id == record.id)).one()
    assert photo.content[:2] == b"\xff\xd8" and len(photo.original_sha256) == 64
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.record")).one()
    assert entry.entity_id == str(record.id) and photo.original_sha256 in entry.payload


def test_too_far_or_too_slow_is_kept_but_flagged(session, world, people):
    manager, staff = people
    item = facility(session, manager, world.compounds[0])
    far, _ = inspect(session, staff, item, lat=LAT + 0.001, opened=T0)  # ≈ 111 m away
    assert far.flags == ["too_far"] and far.is_flagged and far.distance_m > 100
    slow, _ = inspect(session, staff, item, opened=T0 + dt.timedelta(hours=1),
                      submitted=T0 + dt.timedelta(hours=1, minutes=6))
    assert slow.flags == ["slow_submit"]
    vague, _ = inspect(session, staff, item, accuracy=800, opened=T0 + dt.timedelta(hours=2))
    assert vague.flags == ["imprecise_location"]
    blind, _ = inspect(session, staff, item, lat=None, lng=None, opened=T0 + dt.timedelta(hours=3))
    assert blind.flags == ["no_location"] and blind.distance_m is None
    assert records(session) == 4


def test_high_risk_kinds_refuse_what_cannot_prove_presence(session, world, people):
    manager, staff = people
    hydrant = facility(session, manager, world.compounds[0], kind="hydrant", name="1号消火栓")
    photo = [("photo", jpeg())]
    with pytest.raises(PresenceNotProven, match="m from the facility"):
        inspect(session, staff, hydrant, answers=hydrant_answers(), lat=LAT + 0.001, opened=T0, photos=photo)
    with pytest.raises(PresenceNotProven, match="scan it again"):
        inspect(session, staff, hydrant, answers=hydrant_answers(), opened=T0,
                submitted=T0 + dt.timedelta(minutes=6), photos=photo)
    with pytest.raises(PresenceNotProven, match="location"):
        inspect(session, staff, hydrant, answers=hydrant_answers(), lat=None, lng=None, opened=T0, photos=photo)
    assert records(session) == 0
    ok, _ = inspect(session, staff, hydrant, answers=hydrant_answers(), opened=T0, photos=photo)
    assert ok.flags == []


def test_two_facilities_300_m_apart_20_seconds_apart_is_impossible_travel(session, world, people):
    manager, staff = people
    north = facility(session, manager, world.compounds[0], name="北门灭火器", lat=LAT + 0.0027)  # ≈ 300 m
    south = facility(session, manager, world.compounds[0], name="南门灭火器")
    first, _ = inspect(session, staff, south, opened=T0)
    assert first.flags == []
    second, _ = inspect(session, staff, north, lat=LAT + 0.0027, opened=T0 + dt.timedelta(seconds=20))
    assert second.flags == ["impossible_travel"]
    walked, _ = inspect(session, staff, south, opened=T0 + dt.timedelta(minutes=10))
    assert walked.flags == []  # 300 m in 10 minutes is a walk


def test_on_time_late_and_closed_against_the_round(session, world, people):
    manager, staff = people
    compound = world.compounds[0]
    a = facility(session, manager, compound, name="A")
    b = facility(session, manager, compound, name="B")
    c = facility(session, manager, compound, name="C")
    plan(session, manager, compound, [a, b, c], [staff], start=dt.time(8), end=dt.time(10), late_minutes=60)
    service.create_rounds_ahead(session, now=shanghai(2026, 11, 23, 7))
    on_time, _ = inspect(session, staff, a, opened=shanghai(2026, 11, 23, 9, 59))
    assert on_time.timeliness == "on_time"
    service.mark_missed(session, now=shanghai(2026, 11, 23, 10))
    late, _ = inspect(session, staff, b, opened=shanghai(2026, 11, 23, 10, 30))
    assert late.timeliness == "late"
    item_b = session.get(RoundItem, late.round_item_id)
    assert item_b.status == "late"  # missed at 10:00, done late at 10:30
    # Label of C opened while late records were accepted, submitted after the round closed.
    with pytest.raises(Conflict, match="round closed at 11:00"):
        inspect(session, staff, c, opened=shanghai(2026, 11, 23, 10, 58), submitted=shanghai(2026, 11, 23, 11, 1))
    statuses = session.scalars(select(RoundItem.status).join(RoundItem.round)
                               .where(Round.due_date == dt.date(2026, 11, 23)).order_by(RoundItem.position)).all()
    assert statuses == ["on_time", "late", "missed"]
    # A new scan after the round is simply outside any window.
    outside, _ = inspect(session, staff, c, opened=shanghai(2026, 11, 23, 12))
    assert outside.timeliness == "out_of_window" and outside.round_item_id is None


def test_the_same_scan_submitted_twice_gives_the_first_record(session, world, people):
    manager, staff = people
    item = facility(session, manager, world.compounds[0])
    first, created = inspect(session, staff, item, opened=T0)
    again, created_again = scanning.submit_record(session, staff, token(session, item.id), scanning.Submission(
        answers=extinguisher_answers(pressure="0.5"), lat=LAT, lng=LNG, photos=[("photo", jpeg())]), now=T0)
    assert created and not created_again and again.id == first.id and records(session) == 1


def test_bad_input_is_answered_clearly_and_nothing_is_written(session, world, people):
    manager, staff = people
    item = facility(session, manager, world.compounds[0])
    with pytest.raises(ValidationError, match="not a number"):
        inspect(session, staff, item, answers=extinguisher_answers(pressure="1,2abc"), opened=T0)
    with pytest.raises(ValidationError, match="not an image"):
        inspect(session, staff, item, photos=[("photo", b"%PDF-1.4 not a photo")], opened=T0)
    with pytest.raises(ValidationError, match="10 MB"):
        inspect(session, staff, item, photos=[("photo", jpeg() + b"\0" * (10 * 1024 * 1024))], opened=T0)
    with pytest.raises(ValidationError, match="photo is required"):
        inspect(session, staff, item, photos=[], opened=T0)
    with pytest.raises(ValidationError, match="answer pass or fail"):
        inspect(session, staff, item, answers=extinguisher_answers(seal="maybe"), opened=T0)
    with pytest.raises(NotFound):
        scanning.open_label(session, staff, "not-a-token")
    with pytest.raises(Conflict, match="scan the facility's label first"):
        scanning.submit_record(session, manager, token(session, item.id),
                               scanning.Submission(answers=extinguisher_answers()))
    assert records(session) == 0


def test_an_inspector_not_assigned_to_the_compound_is_refused(session, world, people):
    _, staff = people  # firm staff of the firm serving compound 0 only
    community = world.user(session, "community", index=1)
    elsewhere = facility(session, community, world.compounds[1], name="别处的灭火器")
    view = scanning.open_label(session, staff, token(session, elsewhere.id))
    assert view.mode == "public" and view.scan is None
    with pytest.raises(PermissionDenied, match="not assigned"):
        scanning.submit_record(session, staff, token(session, elsewhere.id),
                               scanning.Submission(answers=extinguisher_answers()))


def test_a_replaced_label_stops_working_and_the_new_one_works(session, world, people):
    manager, staff = people
    item = facility(session, manager, world.compounds[0])
    old = token(session, item.id)
    new = service.replace_label(session, manager, item.id, "标签被撕坏").token
    assert new != old and len(new) >= 24 and str(item.id) != new
    with pytest.raises(LabelReplaced, match="replaced"):
        scanning.open_label(session, staff, old)
    assert scanning.open_label(session, staff, new).mode == "inspect"
    assert session.scalar(select(func.count()).select_from(Scan)) == 1
    with pytest.raises(PermissionDenied):
        service.replace_label(session, staff, item.id, "x")


def test_a_resident_sees_only_the_public_name(session, world, people):
    manager, _ = people
    item = facility(session, manager, world.compounds[0], name="3栋电梯", kind="elevator")
    resident = world.user(session, "owner")
    view = scanning.open_label(session, resident, token(session, item.id))
    assert view.mode == "public" and view.checklist is None and view.scan is None
    order = scanning.report_problem(session, resident, token(session, item.id), "电梯按钮不亮")
    assert (order.source, order.category, order.facility_id) == ("resident", "lift", item.id)
