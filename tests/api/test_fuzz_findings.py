"""Inputs the schemathesis fuzz (tests/api/test_fuzz.py) found answered wrongly, kept as plain cases."""
from __future__ import annotations

import datetime as dt

from pm_platform.committees import service as committees
from pm_platform.core import clock


def test_multipart_part_with_an_unreadable_name_is_not_a_500(client, api, world, session):
    """A part named with a raw CR has no name werkzeug can read (its key is None): the NUL-byte
    check of every request (core/routing.py) failed on it with a TypeError, a 500 on any form
    page or upload, signed in or not."""
    body = b'--B\r\nContent-Disposition: form-data; name="\r"\r\n\r\nv\r\n--B--\r\n'
    headers = api(world.user(session, "firm_manager"))
    answer = client.post(f"/api/v1/compounds/{world.compounds[0].id}/roster", data=body, headers=headers,
                         content_type="multipart/form-data; boundary=B")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "file"
    assert client.post("/login", data=body, content_type="multipart/form-data; boundary=B").status_code == 200


def test_id_beyond_range_with_another_method_is_404_not_405(client, api, world, session):
    """werkzeug checks methods before converters: POST to /compounds/2147483648/units (an address
    that takes only GET) answered 405, naming methods for an address that does not exist."""
    headers = api(world.user(session, "firm_manager"))
    for path in ("/api/v1/compounds/2147483648/units", "/api/v1/parking-lots/95532959932/tariffs"):
        answer = client.put(path, json={}, headers=headers)
        assert answer.status_code == 404, path
        assert answer.get_json()["error"]["code"] == "not_found"
    answer = client.post(f"/api/v1/compounds/{world.compounds[0].id}/units", json={}, headers=headers)
    assert answer.status_code == 405   # a real address: still 405, with what it takes
    assert "GET" in answer.headers["Allow"]


def test_unsupported_methods_answer_405_with_allow(client):
    """The error handler built a new answer and dropped werkzeug's Allow header."""
    for method in ("TRACE", "DELETE", "PATCH"):
        answer = client.open("/api/v1/compounds", method=method)
        assert answer.status_code == 405, method
        assert {"GET", "POST"} <= set(answer.headers["Allow"].split(", "))
        assert answer.get_json()["error"]["code"] == "method_not_allowed"
    page = client.open("/login", method="TRACE")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_motion_times_carry_their_utc_offset(client, api, world, session):
    """The document says date-time (RFC 3339, offset required); SQLite's naive UTC was written
    as "2026-12-06T08:24:16.526526", a time a client reads as its own local time."""
    committee = world.user(session, "committee")
    now = clock.now_utc()
    motion = committees.create_motion(session, committee, world.compounds[0].id, title="通过管理规约", body="全文",
                                      category="covenant", opens_at=now - dt.timedelta(minutes=1),
                                      closes_at=now + dt.timedelta(days=3))
    session.commit()
    body = client.get(f"/api/v1/motions/{motion.id}", headers=api(committee)).get_json()
    for name in ("opens_at", "closes_at"):
        moment = dt.datetime.fromisoformat(body[name])
        assert moment.utcoffset() == dt.timedelta(0), body[name]
    assert abs(dt.datetime.fromisoformat(body["opens_at"]) - (now - dt.timedelta(minutes=1))) < dt.timedelta(seconds=1)


def test_rate_limited_id_check_answers_the_declared_429(client, api, world, session):
    """The 429 of the ID check (10 an hour) was not in the document; it is, with the error body
    and how long to wait."""
    from pm_platform.extensions import limiter

    headers = api(world.user(session, "owner"))
    limiter.reset()
    try:
        answers = [client.post("/api/v1/me/ownership-verifications", headers=headers,
                               json={"id_number": "110101198001010011", "certificate_no": "X"}) for _ in range(11)]
    finally:
        limiter.reset()
    assert answers[-1].status_code == 429
    error = answers[-1].get_json()["error"]
    assert error["retry_after"] >= 1 and answers[-1].headers["Retry-After"] == str(error["retry_after"])
    document = client.get("/api/openapi.json").get_json()
    declared = document["paths"]["/api/v1/me/ownership-verifications"]["post"]["responses"]["429"]
    assert declared["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def _open_motion(session, world):
    committee = world.user(session, "committee")
    now = clock.now_utc()
    motion = committees.create_motion(session, committee, world.compounds[0].id, title="通过管理规约", body="全文",
                                      category="covenant", opens_at=now - dt.timedelta(minutes=1),
                                      closes_at=now + dt.timedelta(days=3))
    committees.open_motion(session, committee, motion.id)
    session.commit()
    return committee, motion


def test_numbers_beyond_the_database_integer_are_a_422_naming_the_field(client, api, world, session):
    """An id or amount beyond ±2**31-1 in a body or a query reached the database and overflowed
    (SQLite: "Python int too large to convert", PostgreSQL: integer out of range): a 500."""
    manager = api(world.user(session, "firm_manager"))
    answer = client.post("/api/v1/payments", headers=manager, json={
        "channel": "pos", "amount_fen": 429, "unit_id": 32355114996568731648, "reference": "Gas"})
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "unit_id"
    answer = client.post("/api/v1/payments", headers=manager, json={
        "channel": "pos", "amount_fen": 429, "unit_id": world.units[world.compounds[0].id][0].id,
        "bill_ids": [9978, 3830533149430567665664]})
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "bill_ids"
    answer = client.get("/api/v1/workorders?compound_id=4027460680029291028809254306840576&status=new",
                        headers=manager)
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "compound_id"
    committee, motion = _open_motion(session, world)
    owner = api(world.user(session, "owner"))
    answer = client.post(f"/api/v1/motions/{motion.id}/ballots", headers=owner, json={
        "choice": "agree", "proxy_id": -717140971888046483804520448})
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "proxy_id"
    document = client.get("/api/openapi.json").get_json()
    assert document["components"]["schemas"]["PaymentIn"]["properties"]["unit_id"]["maximum"] == 2**31 - 1


def test_paper_ballot_unit_beyond_the_integer_is_not_found(client, api, world, session):
    """The paper-ballot upload reads unit_id from the form itself: the same overflow, a 500."""
    import io

    committee, motion = _open_motion(session, world)
    answer = client.post(f"/api/v1/motions/{motion.id}/paper-ballots", headers=api(committee),
                         data={"unit_id": str(2**70), "choice": "agree", "scan": (io.BytesIO(b"scan"), "scan.jpg")},
                         content_type="multipart/form-data")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["field"] == "unit_id"


def test_nul_byte_in_a_json_string_is_a_400(client, api, world, session):
    """"\\u0000" in a JSON string reached PostgreSQL, whose text cannot hold it: a 500 (the
    NUL-byte rule covered paths, queries and forms, not JSON bodies)."""
    compound = world.compounds[0].id
    owner = api(world.user(session, "owner"))
    answer = client.post("/api/v1/workorders", headers=owner,
                         json={"compound_id": compound, "category": "water", "description": "a\u0000b"})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_request"
    manager = api(world.user(session, "firm_manager"))
    answer = client.post(f"/api/v1/compounds/{compound}/locker-contracts", headers=manager, json={
        "operator": "丰巢", "monthly_rent_fen": 1, "commission_fen": 0, "starts_on": "2026-01-01",
        "nested": [{"\u0000": 1}]})
    assert answer.status_code == 400
    answer = client.post("/api/v1/workorders", headers=owner,
                         json={"compound_id": compound, "category": "water", "description": "漏水"})
    assert answer.status_code == 201


def test_payment_callback_bad_signature_is_a_declared_401(client):
    """The callback is public (no token), so the document declared no 401, but a missing or
    wrong signature answers 401 bad_signature: an undeclared status."""
    answer = client.post("/api/v1/payments/callbacks/sandbox", json={"order_no": "X"})
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "bad_signature"
    document = client.get("/api/openapi.json").get_json()
    callback = document["paths"]["/api/v1/payments/callbacks/{provider}"]["post"]
    assert callback["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert callback["security"] == []
