"""The pages: a resident reports from a phone form, staff work the boards, notices are read."""
import datetime as dt
import io
import re

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from pm_platform.core import clock
from pm_platform.workorders import notices, service
from pm_platform.workorders.models import NoticeRead, WorkOrder
from tests.workorders.helpers import jpeg


class UserClient(FlaskClient):
    """Tests run inside one app context, so `g` (where Flask-Login keeps the signed-in user)
    outlives a request; forget it before each request so several users can take turns."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def as_user(app, session):
    """A signed-in client per user; several users may take turns in one test."""
    def _client(user):
        client = UserClient(app, app.response_class, use_cookies=True)
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = user.get_id()
            flask_session["_fresh"] = True
        return client
    return _client


@pytest.fixture
def people(session, world):
    return {"resident": world.user(session, "owner"), "manager": world.user(session, "firm_manager"),
            "repairer": world.user(session, "firm_staff"), "community": world.user(session, "community")}


def test_resident_reports_through_the_form_and_text_is_escaped(world, session, as_user, people):
    client = as_user(people["resident"])
    compound = world.compounds[0]
    form = client.get("/workorders/report")
    assert form.status_code == 200
    unit = world.units[compound.id][0]
    assert f"unit:{unit.id}".encode() in form.data
    assert f"unit:{world.units[compound.id][1].id}".encode() not in form.data  # not a neighbour's flat
    response = client.post("/workorders/report", data={
        "compound_id": compound.id, "category": "water", "place": f"unit:{unit.id}",
        "description": "<script>alert(1)</script>漏水", "photos": [(io.BytesIO(jpeg()), "a.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    order = session.scalar(select(WorkOrder).order_by(WorkOrder.id.desc()))
    assert order.description == "<script>alert(1)</script>漏水" and order.unit_id == unit.id
    page = client.get(response.location)
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.data and b"<script>alert(1)" not in page.data
    assert client.get("/workorders/mine").data.count(f"order-{order.id}".encode()) == 1


def test_a_file_that_is_not_an_image_is_refused_on_the_form(world, session, as_user, people):
    client = as_user(people["resident"])
    response = client.post("/workorders/report", data={
        "compound_id": world.compounds[0].id, "category": "noise", "place": "compound", "description": "吵",
        "photos": [(io.BytesIO(b"MZ not an image"), "virus.exe")]}, content_type="multipart/form-data")
    assert response.status_code == 200 and b'id="photos-error"' in response.data
    assert "文件不是图片" in response.data.decode()
    assert session.scalar(select(WorkOrder.id)) is None


def test_staff_walk_an_order_on_pages_and_the_resident_rates(world, session, as_user, people):
    order = service.create_work_order(session, people["resident"], compound_id=world.compounds[0].id,
                                      source="resident", category="noise", description="吵")
    session.commit()
    manager = as_user(people["manager"])
    assert f"order-{order.id}".encode() in manager.get("/workorders").data
    manager.post(f"/workorders/{order.id}/transitions", data={"to": "accepted"})
    manager.post(f"/workorders/{order.id}/transitions", data={"to": "assigned", "assignee_id": people["repairer"].id})
    repairer = as_user(people["repairer"])
    assert f"order-{order.id}".encode() in repairer.get("/workorders/tasks").data
    repairer.post(f"/workorders/{order.id}/transitions", data={"to": "in_progress"})
    repairer.post(f"/workorders/{order.id}/transitions", data={"to": "resolved", "note": "处理了",
                                                              "photos": [(io.BytesIO(jpeg()), "done.jpg")]},
                  content_type="multipart/form-data")
    session.expire_all()
    assert session.get(WorkOrder, order.id).status == "resolved"
    resident = as_user(people["resident"])
    resident_view = resident.get(f"/workorders/{order.id}").data
    assert b'id="rate-form"' in resident_view and b'id="reporters"' not in resident_view
    assert b'id="reporters"' in manager.get(f"/workorders/{order.id}").data
    resident.post(f"/workorders/{order.id}/rating", data={"stars": "4", "comment": "还行"})
    session.expire_all()
    assert session.get(WorkOrder, order.id).rating == 4


def test_repairer_and_other_residents_cannot_open_what_is_not_theirs(world, session, as_user, people):
    order = service.create_work_order(session, people["resident"], compound_id=world.compounds[0].id,
                                      source="resident", category="noise", description="吵")
    photo_order = service.create_work_order(session, people["resident"], compound_id=world.compounds[0].id,
                                            source="resident", category="road", description="坑", photos=[jpeg()])
    session.commit()
    photo_id = service.photos_of(session, photo_order)[0].id
    for user in (people["repairer"], world.user(session, "owner", index=1)):
        client = as_user(user)
        assert client.get(f"/workorders/{order.id}").status_code == 404
        assert client.get(f"/workorders/{photo_order.id}/photos/{photo_id}.jpg").status_code == 404
    owner_client = as_user(people["resident"])
    image = owner_client.get(f"/workorders/{photo_order.id}/photos/{photo_id}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert as_user(people["resident"]).get("/workorders/board").status_code == 403


def test_office_board_lists_overdue_and_follow_ups(world, session, as_user, people):
    order = service.create_work_order(session, people["community"], compound_id=world.compounds[0].id,
                                      source="staff", category="road", description="路面塌陷")
    order.created_at -= dt.timedelta(days=9)
    order.respond_due_at -= dt.timedelta(days=9)
    order.resolve_due_at -= dt.timedelta(days=9)
    service.escalate_overdue(session)
    session.commit()
    page = as_user(people["community"]).get("/workorders/board")
    assert page.status_code == 200
    overdue = page.data.split(b'id="board-overdue"')[1].split(b"</ul>")[0]
    escalated = page.data.split(b'id="board-escalated"')[1].split(b"</ul>")[0]
    assert f"order-{order.id}".encode() in overdue and f"order-{order.id}".encode() in escalated


def test_outage_notice_reaches_the_right_residents_and_explains_their_report(world, session, as_user, people):
    compound = world.compounds[0]
    units = world.units[compound.id]
    now = clock.now_utc()
    notice = notices.create_notice(session, people["manager"], compound_id=compound.id, kind="water_outage",
                                   title="1栋停水", body="管道维修", starts_at=now - dt.timedelta(hours=1),
                                   ends_at=now + dt.timedelta(hours=5), building_ids=[units[0].building_id])
    session.commit()
    order = service.create_work_order(session, people["resident"], compound_id=compound.id, source="resident",
                                      category="water", description="没水了", unit_id=units[0].id)
    session.commit()
    assert notices.notices_for_order(session, order) == [notice]
    client = as_user(people["resident"])
    assert "1栋停水".encode() in client.get(f"/workorders/{order.id}").data
    assert "1栋停水".encode() in client.get("/workorders/mine").data
    client.post(f"/notices/{notice.id}", data={})
    client.post(f"/notices/{notice.id}", data={})  # twice is once
    assert session.scalar(select(NoticeRead.user_id).where(NoticeRead.notice_id == notice.id)) == people["resident"].id
    readers = as_user(people["manager"]).get(f"/notices/{notice.id}")
    assert people["resident"].display_name.encode() in readers.data
    stranger = world.user(session, "owner", index=1)
    assert as_user(stranger).get(f"/notices/{notice.id}").status_code == 404
    assert notices.notices_for_resident(session, stranger) == []


def test_notice_form_and_pages_render_in_chinese(world, session, as_user, people):
    client = as_user(people["community"])
    start = clock.to_local(clock.now_utc()).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/notices/new", data={
        "compound_id": world.compounds[0].id, "kind": "meeting", "title": "业主大会", "body": "周六",
        "starts_at": start, "ends_at": start, "work_order_ids": ""})
    assert response.status_code == 302, response.data[:2000]
    for path in ("/notices", "/workorders", "/workorders/board", "/workorders/import-12345", "/workorders/report"):
        page = client.get(path)
        assert page.status_code == 200, path
    assert "督办".encode() in client.get("/workorders/board").data


def test_a_refused_notice_tells_the_office_why_in_chinese(world, session, as_user, people):
    """The service's refusal carries the order's number; the page used to show it in English."""
    start = clock.to_local(clock.now_utc()).strftime("%Y-%m-%dT%H:%M")
    response = as_user(people["community"]).post("/notices/new", data={
        "compound_id": world.compounds[0].id, "kind": "meeting", "title": "业主大会", "body": "周六",
        "starts_at": start, "ends_at": start, "work_order_ids": "999999"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert '<p class="error">工单 999999 不属于本小区</p>' in text and "is not in this compound" not in text


def test_the_assign_list_names_people_with_their_role(world, session, as_user, people):
    """The list showed login names ("firm_staff-12"); a dispatcher picks a person by name and role."""
    people["repairer"].display_name = "王师傅"
    people["manager"].display_name = "李经理"
    people["community"].display_name = "赵干事"
    session.commit()
    order = service.create_work_order(session, people["resident"], compound_id=world.compounds[0].id,
                                      source="resident", category="water", description="漏水")
    service.transition_work_order(session, people["manager"], order.id, "accepted")
    session.commit()
    page = as_user(people["manager"]).get(f"/workorders/{order.id}").get_data(as_text=True)
    select_html = page.split('name="assignee_id"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', select_html)
    assert options == [(str(people["repairer"].id), "王师傅 · 物业员工"), (str(people["manager"].id), "李经理 · 物业经理"),
                       (str(people["community"].id), "赵干事 · 社区")]


def test_a_12345_callers_number_is_masked_except_for_the_repairer_who_calls_back(session, world, login):
    from pm_platform.workorders import service as wo
    community, manager = world.user(session, "community"), world.user(session, "firm_manager")
    repairer = world.user(session, "firm_staff")
    order = wo.create_work_order(session, community, compound_id=world.compounds[0].id, source="hotline_12345",
                                 category="noise", description="夜间施工噪音", external_ref="12345-0042",
                                 reporter_name="王女士", reporter_phone="13912345678")
    session.commit()
    for user in (community, manager):
        page = login(user).get(f"/workorders/{order.id}").get_data(as_text=True)
        assert "139****5678" in page and "13912345678" not in page
    wo.transition_work_order(session, manager, order.id, "accepted")
    wo.transition_work_order(session, manager, order.id, "assigned", assignee_id=repairer.id)
    session.commit()
    assert "13912345678" in login(repairer).get(f"/workorders/{order.id}").get_data(as_text=True)
