"""The API contract (labels, records, rounds) and the pages: the scan page for an inspector
and a resident, the board, the facility history, the monthly report."""
import base64
import datetime as dt
import html
import re
import subprocess

from sqlalchemy import func, select

from flask import g

from pm_platform.inspections import service
from pm_platform.inspections.models import Record
from tests.inspections.helpers import LAT, LNG, extinguisher_answers, facility, inspect, jpeg, plan, shanghai, token


def switch_to(login, user):
    """Sign the test client in as another user (the tests share one app context, so Flask-Login's
    per-request cache in `g` must be dropped too)."""
    g.pop("_login_user", None)
    return login(user)


def test_api_scan_then_submit_then_rounds(session, world, client, api, pin_clock):
    now = pin_clock(shanghai(2026, 11, 23, 10))
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    item = facility(session, manager, compound, name="1号灭火器")
    plan(session, manager, compound, [item], [staff], start=dt.time(9), end=dt.time(11))
    service.create_rounds_ahead(session)
    session.commit()
    headers = api(staff)

    opened = client.get(f"/api/v1/inspections/labels/{token(session, item.id)}", headers=headers)
    assert opened.status_code == 200, opened.json
    body = opened.json
    assert body["mode"] == "inspect" and body["facility"]["name"] == "1号灭火器"
    assert body["facility"]["lat"] == LAT and body["round"]["status"] == "due"
    assert [i["key"] for i in body["checklist"]["items"]][:2] == ["pressure", "seal"]
    assert body["checklist"]["items"][0]["min"] == 1.0 and body["checklist"]["radius_m"] == 50

    payload = {"token": token(session, item.id), "answers": extinguisher_answers(pressure="0.9"), "lat": LAT,
               "lng": LNG, "accuracy_m": 6, "scanned_at": now.isoformat(),
               "photos": [{"item": "photo", "data": base64.b64encode(jpeg()).decode()}]}
    created = client.post("/api/v1/inspections/records", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    record = created.json
    assert record["timeliness"] == "on_time" and record["flags"] == [] and record["passed"] is False
    assert len(record["work_order_ids"]) == 1
    again = client.post("/api/v1/inspections/records", json=payload, headers=headers)
    assert again.status_code == 200 and again.json["id"] == record["id"]

    rounds = client.get(f"/api/v1/compounds/{compound.id}/inspection-rounds?date=2026-11-23", headers=headers)
    assert rounds.status_code == 200 and [r["due_date"] for r in rounds.json] == ["2026-11-23"]
    assert rounds.json[0]["counts"]["on_time"] == 1 and rounds.json[0]["items"][0]["status"] == "on_time"

    bad = client.get(f"/api/v1/compounds/{compound.id}/inspection-rounds?date=23-11-2026", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "date"


def test_a_window_across_midnight_belongs_to_the_day_it_opens(session, world, client, api, login, pin_clock):
    """A night round 23:22–01:22 scanned at 00:22: on time for the round that opened the evening
    before, which the API and the board list under that evening's date, not under today's."""
    pin_clock(shanghai(2026, 11, 24, 0, 22))
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    a = facility(session, manager, compound, name="东门灭火器")
    b = facility(session, manager, compound, name="西门灭火器", lat=LAT + 0.0005)
    plan(session, manager, compound, [a, b], [staff], start=dt.time(23, 22), end=dt.time(1, 22), late_minutes=0)
    service.create_rounds_ahead(session)
    session.commit()
    # The inspector's list: last night's round, still open, before tonight's.
    assert [r.due_date for r in service.today_for(session, staff)] == [dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
    switch_to(login, staff)
    cards = re.findall(r"<h2>(.*?)</h2>", client.get("/inspections/today").get_data(as_text=True))
    assert [card.split(" · ")[2] for card in cards[:2]] == ["11-23 23:22–11-24 01:22", "11-24 23:22–11-25 01:22"]
    assert all(card.startswith(compound.name + " · ") for card in cards)  # which compound each round is in

    headers = api(staff)
    tok = token(session, a.id)
    opened = client.get(f"/api/v1/inspections/labels/{tok}", headers=headers)
    assert opened.json["round"]["opens_at"] == shanghai(2026, 11, 23, 23, 22).isoformat()
    created = client.post("/api/v1/inspections/records", headers=headers, json={
        "token": tok, "answers": extinguisher_answers(), "lat": LAT, "lng": LNG, "accuracy_m": 6,
        "photos": [{"item": "photo", "data": base64.b64encode(jpeg()).decode()}]})
    assert created.status_code == 201 and created.json["timeliness"] == "on_time"

    def rounds_on(day):
        response = client.get(f"/api/v1/compounds/{compound.id}/inspection-rounds?date={day}", headers=headers)
        return [(r["closes_at"], r["counts"]) for r in response.json]

    assert rounds_on("2026-11-23") == [(shanghai(2026, 11, 24, 1, 22).isoformat(),
                                        {"due": 1, "on_time": 1, "late": 0, "missed": 0})]
    assert rounds_on("2026-11-24") == [(shanghai(2026, 11, 25, 1, 22).isoformat(),
                                        {"due": 2, "on_time": 0, "late": 0, "missed": 0})]

    # When the window closes, last night's unscanned facility is missed; tonight's round is untouched.
    pin_clock(shanghai(2026, 11, 24, 1, 22))
    assert service.mark_missed(session) == 1
    session.commit()
    switch_to(login, manager)
    last_night = client.get("/inspections/board?date=2026-11-23").get_data(as_text=True)
    assert "23:22–01:22 (+1)" in last_night and 'class="missed-item"' in last_night and "西门灭火器" in last_night
    today = client.get("/inspections/board").get_data(as_text=True)
    assert "· 2026-11-24</h1>" in today and "23:22–01:22 (+1)" in today and 'class="missed-item"' not in today


def test_api_refusals_are_clear_json(session, world, client, api):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    hydrant = facility(session, manager, world.compounds[0], kind="hydrant", name="消火栓")
    headers = api(staff)
    tok = token(session, hydrant.id)
    assert client.get(f"/api/v1/inspections/labels/{tok}", headers=headers).status_code == 200
    far = client.post("/api/v1/inspections/records", headers=headers, json={
        "token": tok, "answers": [{"item": "pressure", "value": 0.3}, {"item": "hose", "value": True},
                                  {"item": "access", "value": True}],
        "lat": LAT + 0.01, "lng": LNG, "accuracy_m": 5,
        "photos": [{"item": "photo", "data": "data:image/jpeg;base64," + base64.b64encode(jpeg()).decode()}]})
    assert far.status_code == 422 and far.json["error"]["code"] == "presence_not_proven"
    assert "m from the facility" in far.json["error"]["message"]
    not_image = client.post("/api/v1/inspections/records", headers=headers, json={
        "token": tok, "answers": [], "photos": [{"item": "photo", "data": base64.b64encode(b"hello").decode()}]})
    assert not_image.status_code == 422 and "not an image" in not_image.json["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Record)) == 0

    old = tok
    service.replace_label(session, manager, hydrant.id, "疑似被替换")
    session.commit()
    gone = client.get(f"/api/v1/inspections/labels/{old}", headers=headers)
    assert gone.status_code == 410 and gone.json["error"]["code"] == "label_replaced"
    assert client.get("/api/v1/inspections/labels/nope", headers=headers).status_code == 404

    resident = world.user(session, "owner")
    public = client.get(f"/api/v1/inspections/labels/{token(session, hydrant.id)}", headers=api(resident))
    assert public.json["mode"] == "public" and public.json["checklist"] is None
    assert set(public.json["facility"]) == {"name", "kind"}


def test_scan_page_for_someone_not_signed_in_shows_the_public_name(session, world, client):
    item = facility(session, world.user(session, "firm_manager"), world.compounds[0], name="4号灭火器")
    anonymous = client.get(f"/q/{token(session, item.id)}")
    assert anonymous.status_code == 200
    page = anonymous.get_data(as_text=True)
    assert "4号灭火器" in page and "report-problem" in page and "压力表读数" not in page
    assert client.get("/q/no-such-label").status_code == 404


def test_scan_page_for_an_inspector_and_for_a_resident(session, world, client, login):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    item = facility(session, manager, world.compounds[0], name="4号灭火器")
    tok = token(session, item.id)

    login(staff)
    page = client.get(f"/q/{tok}").get_data(as_text=True)
    assert "压力表读数" in page and 'name="item_pressure"' in page
    response = client.post(f"/q/{tok}", data={
        "item_pressure": "1.1", "item_seal": "pass", "item_body": "pass", "item_in_date": "pass",
        "lat": str(LAT + 0.002), "lng": str(LNG), "accuracy": "10",
        "photo_photo": (__import__("io").BytesIO(jpeg()), "p.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 200
    result = response.get_data(as_text=True)
    assert 'id="record-flags"' in result and "离设施太远" in result

    client.get(f"/q/{tok}")  # a new scan: the same scan submitted again would give the first record
    refused = client.post(f"/q/{tok}", data={"item_pressure": "abc", "item_seal": "pass", "item_body": "pass",
                                             "item_in_date": "pass", "lat": str(LAT), "lng": str(LNG)})
    assert refused.status_code == 422 and "“压力表读数”:'abc' 不是数字" in html.unescape(refused.get_data(as_text=True))



def test_a_resident_scanning_sees_the_name_and_reports_a_problem(session, world, client, login):
    item = facility(session, world.user(session, "firm_manager"), world.compounds[0], name="4号灭火器")
    tok = token(session, item.id)
    login(world.user(session, "owner"))
    page = client.get(f"/q/{tok}").get_data(as_text=True)
    assert "4号灭火器" in page and "压力表读数" not in page
    report = client.post(f"/q/{tok}/report", data={"description": "灭火器不见了"})
    assert report.status_code == 200 and "report-done" in report.get_data(as_text=True)


def test_board_history_and_monthly_report(session, world, client, login, tmp_path, pin_clock):
    pin_clock(shanghai(2026, 11, 23, 15))
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    a = facility(session, manager, compound, name="东门道闸", kind="gate")
    b = facility(session, manager, compound, name="西门道闸", kind="gate", lat=LAT + 0.0005)
    plan(session, manager, compound, [a, b], [staff], start=dt.time(13), end=dt.time(14, 59), late_minutes=0)
    # The round of a window that just closed (made ahead, before it opened).
    service.create_rounds_ahead(session, now=shanghai(2026, 11, 23, 12))
    gate = [{"item": "barrier", "value": "pass"}, {"item": "recognition", "value": "pass"}, {"item": "safety", "value": "pass"}]
    inspect(session, staff, a, answers=gate, photos=[], lat=LAT + 0.001, opened=shanghai(2026, 11, 23, 14, 30))
    service.mark_missed(session)
    session.commit()

    community = world.user(session, "community")
    for viewer in (manager, community):
        switch_to(login, viewer)
        board = client.get("/inspections/board").get_data(as_text=True)
        assert "西门道闸" in board and 'class="missed-item"' in board  # missed, seen the same day

    switch_to(login, manager)
    history = client.get(f"/facilities/{a.id}").get_data(as_text=True)
    assert "按时" in history and "离设施太远" in history
    report = client.get(f"/compounds/{compound.id}/inspection-report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    path = tmp_path / "r.pdf"
    path.write_bytes(report.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "漏检" in text and "西门道闸" in text and "离设施太远" in text

    switch_to(login, world.user(session, "owner", index=1))
    assert client.get(f"/facilities/{a.id}").status_code == 404
    assert client.get(f"/compounds/{compound.id}/inspection-report.pdf").status_code == 404


def test_facility_pages_add_with_a_photo_edit_and_replace_the_label(session, world, client, login):
    import io

    from pm_platform.inspections.models import Facility
    from tests.inspections.helpers import building
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    building(session, compound, "1栋")
    session.commit()
    login(manager)
    added = client.post(f"/compounds/{compound.id}/facilities", data={
        "kind": "ev_charger", "name": "1号充电桩", "building": "1栋", "floor": "", "location_text": "北侧车棚",
        "lat": "31.230100", "lng": "121.470200", "renovation_project": "充电设施改造", "contractor": "某充电公司",
        "warranty_ends_on": "2027-12-31", "photo": (io.BytesIO(jpeg((2000, 1500))), "charger.jpg")},
        content_type="multipart/form-data")
    assert added.status_code == 302
    item = session.scalars(select(Facility).where(Facility.name == "1号充电桩")).one()
    assert (item.lat_e6, item.lng_e6, item.building.name) == (31230100, 121470200, "1栋")
    photo = service.facility_photo(session, item.id)
    assert max(photo.width, photo.height) == 1600 and photo.original_bytes > len(photo.content) // 10
    assert client.get(f"/inspection-photos/{photo.id}").mimetype == "image/jpeg"

    duplicate = client.post(f"/compounds/{compound.id}/facilities", data={"kind": "gate", "name": "1号充电桩"})
    assert duplicate.status_code == 200
    assert "本小区已有名为 '1号充电桩' 的设施" in html.unescape(duplicate.get_data(as_text=True))

    form = client.get(f"/facilities/{item.id}/edit").get_data(as_text=True)
    assert 'value="31.230100"' in form and "某充电公司" in form
    edited = client.post(f"/facilities/{item.id}/edit", data={
        "kind": "ev_charger", "name": "1号充电桩", "building": "", "floor": "", "location_text": "南侧车棚",
        "lat": "31.2302", "lng": "121.4702", "renovation_project": "", "contractor": "", "warranty_ends_on": ""})
    assert edited.status_code == 302
    session.refresh(item)
    assert (item.location_text, item.lat_e6, item.building_id, item.contractor) == ("南侧车棚", 31230200, None, "")

    old = token(session, item.id)
    assert client.post(f"/facilities/{item.id}/replace-label", data={"reason": "被涂改"}).status_code == 302
    session.expire_all()
    assert token(session, item.id) != old
    replaced = client.get(f"/q/{old}")
    assert replaced.status_code == 410 and "该标签已更换,不再有效" in replaced.get_data(as_text=True)


def test_the_scan_page_says_why_a_hydrant_record_is_refused_in_chinese(session, world, client, login):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    hydrant = facility(session, manager, world.compounds[0], kind="hydrant", name="2号消火栓")
    tok = token(session, hydrant.id)
    login(staff)
    client.get(f"/q/{tok}")
    refused = client.post(f"/q/{tok}", data={
        "item_pressure": "0.3", "item_hose": "pass", "item_access": "pass", "lat": str(LAT + 0.002), "lng": str(LNG),
        "accuracy": "5", "photo_photo": (__import__("io").BytesIO(jpeg()), "p.jpg")}, content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "您距设施 222 米(允许 50 米)" in page and 'id="checklist"' in page  # the form again, for a new try
    assert session.scalar(select(func.count()).select_from(Record)) == 0


def test_the_plans_page_lists_the_route_and_the_inspectors_and_adds_a_plan(session, world, client, login):
    """Regression: the plan form's choices were (value, label) tuples, deprecated by WTForms (a
    warning, an error under the test suite's rules), and the page answered 500 in the demo walk."""
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    item = facility(session, manager, compound, name="1号灭火器")
    plan(session, manager, compound, [item], [staff])
    page = login(manager).get(f"/compounds/{compound.id}/inspection-plans")
    assert page.status_code == 200
    assert "日常巡检" in page.text and f'<option value="{item.id}">1号灭火器' in page.text
    assert f'<option value="{staff.id}">' in page.text and "每周" in page.text
    added = client.post(f"/compounds/{compound.id}/inspection-plans", data={
        "name": "周末巡检", "facilities": [item.id], "members": [staff.id], "frequency": "weekly",
        "weekdays": ["6", "7"], "window_start": "09:00", "window_end": "10:00", "late_minutes": "60"})
    assert added.status_code == 302
    assert "周末巡检" in client.get(f"/compounds/{compound.id}/inspection-plans").text
