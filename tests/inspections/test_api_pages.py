"""The API contract (labels, records, rounds) and the pages: the scan page for an inspector
and a resident, the board, the facility history, the monthly report."""
import base64
import datetime as dt
import subprocess

from sqlalchemy import func, select

from flask import g

from pm_platform.core import clock
from pm_platform.inspections import service
from pm_platform.inspections.models import Record
from tests.inspections.helpers import LAT, LNG, extinguisher_answers, facility, inspect, jpeg, plan, token


def switch_to(login, user):
    """Sign the test client in as another user (the tests share one app context, so Flask-Login's
    per-request cache in `g` must be dropped too)."""
    g.pop("_login_user", None)
    return login(user)


def test_api_scan_then_submit_then_rounds(session, world, client, api):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    item = facility(session, manager, compound, name="1号灭火器")
    now_local = clock.to_local(clock.now_utc())
    start = (now_local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now_local + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    plan(session, manager, compound, [item], [staff], start=start, end=end,
         starts_on=clock.local_today() - dt.timedelta(days=1))
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
               "lng": LNG, "accuracy_m": 6, "scanned_at": clock.now_utc().isoformat(),
               "photos": [{"item": "photo", "data": base64.b64encode(jpeg()).decode()}]}
    created = client.post("/api/v1/inspections/records", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    record = created.json
    assert record["timeliness"] == "on_time" and record["flags"] == [] and record["passed"] is False
    assert len(record["work_order_ids"]) == 1
    again = client.post("/api/v1/inspections/records", json=payload, headers=headers)
    assert again.status_code == 200 and again.json["id"] == record["id"]

    rounds = client.get(f"/api/v1/compounds/{compound.id}/inspection-rounds?date={clock.local_today()}", headers=headers)
    assert rounds.status_code == 200
    today = [r for r in rounds.json if r["due_date"] == str(clock.local_today())]
    assert today[0]["counts"]["on_time"] == 1 and today[0]["items"][0]["status"] == "on_time"

    bad = client.get(f"/api/v1/compounds/{compound.id}/inspection-rounds?date=23-11-2026", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "date"


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
    assert refused.status_code == 422 and "is not a number" in refused.get_data(as_text=True)



def test_a_resident_scanning_sees_the_name_and_reports_a_problem(session, world, client, login):
    item = facility(session, world.user(session, "firm_manager"), world.compounds[0], name="4号灭火器")
    tok = token(session, item.id)
    login(world.user(session, "owner"))
    page = client.get(f"/q/{tok}").get_data(as_text=True)
    assert "4号灭火器" in page and "压力表读数" not in page
    report = client.post(f"/q/{tok}/report", data={"description": "灭火器不见了"})
    assert report.status_code == 200 and "report-done" in report.get_data(as_text=True)


def test_board_history_and_monthly_report(session, world, client, login, tmp_path):
    manager, staff = world.user(session, "firm_manager"), world.user(session, "firm_staff")
    compound = world.compounds[0]
    a = facility(session, manager, compound, name="东门道闸", kind="gate")
    b = facility(session, manager, compound, name="西门道闸", kind="gate", lat=LAT + 0.0005)
    now_local = clock.to_local(clock.now_utc())
    plan(session, manager, compound, [a, b], [staff], start=(now_local - dt.timedelta(hours=2)).time(),
         end=(now_local - dt.timedelta(minutes=1)).time(), late_minutes=0,
         starts_on=clock.local_today() - dt.timedelta(days=1))
    # The round of a window that just closed (made ahead, before it opened).
    service.create_rounds_ahead(session, now=clock.now_utc() - dt.timedelta(hours=3))
    gate = [{"item": "barrier", "value": "pass"}, {"item": "recognition", "value": "pass"}, {"item": "safety", "value": "pass"}]
    inspect(session, staff, a, answers=gate, photos=[], lat=LAT + 0.001, opened=clock.now_utc() - dt.timedelta(minutes=30))
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
