"""The scoring API as an outside client sees it."""
import base64
import datetime as dt

from pm_platform.scoring import service
from tests.scoring.test_cards import SPOT, hand_computed_inputs

MONTH = "2026-10"


def spot_payload(**overrides):
    items = {key: {"score": score} for key, score in SPOT.items()}
    items["fire_lanes"]["note"] = "车辆占用消防通道"
    items["fire_lanes"]["photos"] = [{"content_type": "image/png", "data_base64": base64.b64encode(b"\x89PNG-ish").decode()}]
    return {"checked_on": "2026-10-15", "note": "十月抽查", "items": items, **overrides}


def test_a_street_office_sees_only_its_own_compounds(session, world, figures, client, api):
    first, second = world.compounds
    hand_computed_inputs(figures, first.id)
    figures.set(second.id, billed_fen=100, paid_fen=100)
    service.compute_month(session, MONTH)
    session.commit()
    street = api(world.user(session, "street"))

    body = client.get(f"/api/v1/scorecards?month={MONTH}&scope=district:{world.district.id}", headers=street).json
    assert [c["compound_id"] for c in body["cards"]] == [first.id]
    # the hand-computed card without its spot checks: 57.21 of 80 → 71.51, less 12 → 59.51
    assert body["cards"][0]["total"] == "59.51" and body["cards"][0]["grade"] == "D"
    assert body["firms"] == [{"firm_id": world.firm.id, "firm": world.firm.name, "total": "59.51", "grade": "D",
                              "compounds": 1, "area_m2": "268.11"}]
    other = client.get(f"/api/v1/scorecards?month={MONTH}&scope=compound:{second.id}", headers=street)
    assert other.status_code == 404

    bureau = api(world.user(session, "bureau"))
    both = client.get(f"/api/v1/scorecards?month={MONTH}&scope=district:{world.district.id}", headers=bureau).json
    assert sorted(c["compound_id"] for c in both["cards"]) == sorted([first.id, second.id])
    second_card = next(c["id"] for c in both["cards"] if c["compound_id"] == second.id)
    assert client.get(f"/api/v1/scorecards/{second_card}", headers=street).status_code == 404


def test_a_card_lists_its_indicators_with_raw_figures(session, world, figures, client, api):
    first = world.compounds[0]
    hand_computed_inputs(figures, first.id)
    service.compute_month(session, MONTH)
    session.commit()
    headers = api(world.user(session, "community"))
    card_id = client.get(f"/api/v1/scorecards?month={MONTH}&scope=compound:{first.id}", headers=headers).json["cards"][0]["id"]
    card = client.get(f"/api/v1/scorecards/{card_id}", headers=headers).json
    lines = {line["key"]: line for line in card["lines"]}
    assert lines["fee_collection"] == {"key": "fee_collection", "kind": "indicator", "weight": 20,
                                       "numerator": 8500, "denominator": 10000, "points": "14.29"}
    assert lines["rebound"]["points"] == "-10.00" and lines["rebound"]["numerator"] == 12
    assert lines["spot_checks"]["denominator"] == 0 and lines["spot_checks"]["points"] == "0.00"
    assert card["published"] is False and [r["revision"] for r in card["revisions"]] == [1]


def test_bad_requests_are_clear_4xx(session, world, client, api):
    headers = api(world.user(session, "bureau"))
    assert client.get("/api/v1/scorecards?month=2026-13&scope=district:1", headers=headers).status_code == 422
    bad_scope = client.get("/api/v1/scorecards?month=2026-10&scope=city:1", headers=headers)
    assert bad_scope.status_code == 422 and bad_scope.json["error"]["field"] == "scope"
    assert client.get("/api/v1/scorecards?month=2026-10&scope=district:1").status_code == 401
    assert client.get("/api/v1/redblack?month=2026-10&scope=compound:1", headers=headers).status_code == 422


def test_spot_check_by_api(session, world, client, api):
    first = world.compounds[0]
    headers = api(world.user(session, "community"))
    response = client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=spot_payload(), headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["score"], body["max_score"], body["month"]) == (50, 60, "2026-10")
    assert {i["item"]: i["photos"] for i in body["items"]}["fire_lanes"] == 1

    missing = spot_payload()
    del missing["items"]["greenery"]
    response = client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=missing, headers=headers)
    assert response.status_code == 422 and "greenery" in response.json["error"]["message"]
    over = spot_payload()
    over["items"]["cleaning"]["score"] = 11
    assert client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=over, headers=headers).status_code == 422
    future = spot_payload(checked_on=(dt.date.today() + dt.timedelta(days=3)).isoformat())
    assert client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=future, headers=headers).status_code == 422
    owner = api(world.user(session, "owner"))
    assert client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=spot_payload(), headers=owner).status_code == 403
    elsewhere = api(world.user(session, "community", 1))
    assert client.post(f"/api/v1/compounds/{first.id}/spot-checks", json=spot_payload(), headers=elsewhere).status_code == 404


def test_redblack_preview_then_published(session, world, figures, client, api):
    first, second = world.compounds
    figures.set(first.id, billed_fen=100, paid_fen=10)
    figures.set(second.id, billed_fen=100, paid_fen=100)
    service.compute_month(session, MONTH)
    session.commit()
    headers = api(world.user(session, "bureau"))
    url = f"/api/v1/redblack?month={MONTH}&scope=district:{world.district.id}"
    preview = client.get(url, headers=headers).json
    assert preview["published"] is False
    assert {(e["board"], e["subject"], e["total"]) for e in preview["entries"]} == {
        ("red", "compound", "100.00"), ("black", "compound", "0.00"), ("black", "firm", "0.00")}

    for index, street in enumerate(world.streets):
        service.publish_month(session, world.user(session, "street", index), street.id, MONTH)
    from pm_platform.scoring import ranking
    ranking.publish_lists(session, world.user(session, "bureau"), world.district.id, MONTH)
    session.commit()
    published = client.get(url, headers=headers).json
    assert published["published"] is True and published["entries"] == preview["entries"]
