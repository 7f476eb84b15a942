"""The API contract: fee items, billing runs, bills, arrears, collection rate."""
import pytest

from pm_platform.fees import service


def test_fee_items_are_listed_and_created_as_the_contract_says(session, fees, client, api):
    headers = api(fees.manager)
    created = client.post(f"/api/v1/compounds/{fees.compound.id}/fee-items", headers=headers, json={
        "name": "商铺物业费", "kind": "per_area", "rate_fen": 350, "applies_to": "commercial", "cycle": "quarterly",
        "due_day": 10, "from_period": "2026-10"})
    assert created.status_code == 201
    item = created.json
    assert (item["kind"], item["applies_to"], item["cycle"], item["due_day"]) == ("per_area", "commercial", "quarterly", 10)
    assert item["rates"] == [{"from_period": "2026-10", "rate_fen": 350}]
    listed = client.get(f"/api/v1/compounds/{fees.compound.id}/fee-items", headers=headers)
    assert [i["name"] for i in listed.json] == ["物业服务费", "垃圾处理费", "商铺物业费"]
    again = client.post(f"/api/v1/compounds/{fees.compound.id}/fee-items", headers=headers, json={
        "name": "商铺物业费", "kind": "fixed", "rate_fen": 1, "from_period": "2026-10"})
    assert again.status_code == 409


@pytest.mark.parametrize("body, field", [
    ({"kind": "per_room"}, "kind"), ({"rate_fen": -1}, "rate_fen"), ({"rate_fen": 1.2}, "rate_fen"),
    ({"from_period": "2026-13"}, "from_period"), ({"due_day": 0}, "due_day"), ({"applies_to": "shops"}, "applies_to"),
])
def test_bad_fee_items_get_422_with_the_field(session, fees, client, api, body, field):
    data = {"name": "x", "kind": "fixed", "rate_fen": 100, "from_period": "2026-01"} | body
    response = client.post(f"/api/v1/compounds/{fees.compound.id}/fee-items", headers=api(fees.manager), json=data)
    assert response.status_code == 422 and response.json["error"]["field"] == field


def test_a_billing_run_over_the_api_returns_its_id_and_counts(session, fees, client, api):
    headers = api(fees.manager)
    response = client.post(f"/api/v1/compounds/{fees.compound.id}/billing-runs", headers=headers,
                           json={"period": "2026-11"})
    assert response.status_code == 202 and response.json["id"]
    # no Redis in tests: the job ran when the request's outbox row was relayed
    run = client.get(f"/api/v1/billing-runs/{response.json['id']}", headers=headers).json
    assert (run["status"], run["bills_created"], run["period"]) == ("done", 6, "2026-11")
    second = client.post(f"/api/v1/compounds/{fees.compound.id}/billing-runs", headers=headers, json={"period": "2026-11"})
    assert client.get(f"/api/v1/billing-runs/{second.json['id']}", headers=headers).json["bills_created"] == 0
    bills = client.get(f"/api/v1/units/{fees.units[0].id}/bills", headers=headers).json
    assert sorted(b["amount_fen"] for b in bills) == [1000, 10724]
    for period in ("2026/11", "2026-1", "", None):
        bad = client.post(f"/api/v1/compounds/{fees.compound.id}/billing-runs", headers=headers, json={"period": period})
        assert bad.status_code == 422 and bad.json["error"]["field"] == "period"


def test_runs_and_fee_items_of_another_compound_are_404(session, fees, client, api):
    other = fees.world.compounds[1].id
    headers = api(fees.manager)
    assert client.get(f"/api/v1/compounds/{other}/fee-items", headers=headers).status_code == 404
    assert client.post(f"/api/v1/compounds/{other}/billing-runs", headers=headers, json={"period": "2026-11"}).status_code == 404
    assert client.get(f"/api/v1/compounds/{other}/arrears", headers=headers).status_code == 404
    assert client.get(f"/api/v1/compounds/{other}/collection-rate?period=2026-11", headers=headers).status_code == 404
    assert client.get(f"/api/v1/compounds/{fees.compound.id}/fee-items").status_code == 401


def test_arrears_over_the_api_by_aging_bucket(session, fees, client, api):
    for item in (fees.property_fee, fees.garbage_fee):  # the same rates, from a year earlier
        service.set_fee_rate(session, fees.manager, item.id, service.rate_for(item, "2026-01"), "2025-01")
    fees.bill(session, "2025-06", "2026-01", "2026-06", "2026-09", "2026-11")
    response = client.get(f"/api/v1/compounds/{fees.compound.id}/arrears?as_of=2026-12-01", headers=api(fees.clerk))
    assert response.status_code == 200
    data = response.json
    month = 3 * 11724  # three units, 117.24 yuan each per month
    # days overdue on 2026-12-01: Nov 11–16, Sep 72–77, Jun 164–169, Jan 285–290, 2025-06 529–534
    assert data["buckets"] == {"d0_30": month, "d31_90": month, "d91_180": month, "d181_365": month, "over_365": month}
    assert data["total"] == 5 * month and data["late_fee"] == 0 and len(data["units"]) == 3
    assert data["units"][0]["total"] == 5 * 11724
    bad = client.get(f"/api/v1/compounds/{fees.compound.id}/arrears?as_of=2026-13-01", headers=api(fees.clerk))
    assert bad.status_code == 422


def test_bills_due_on_or_after_the_date_are_not_arrears(session, fees):
    fees.bill(session, "2026-11")
    import datetime as dt
    report = service.arrears_aging(session, fees.clerk, fees.compound.id, dt.date(2026, 11, 15))
    assert report.total == 0  # the property fee is due that day, the garbage fee on the 20th
    report = service.arrears_aging(session, fees.clerk, fees.compound.id, dt.date(2026, 11, 16))
    assert report.total == 3 * 10724


def test_late_fee_is_off_by_default_and_capped_at_the_principal(session, fees):
    import datetime as dt
    fees.bill(session, "2026-01")
    report = service.arrears_aging(session, fees.clerk, fees.compound.id, dt.date(2026, 3, 1))
    assert report.late_fee == 0
    service.set_late_fee(session, fees.manager, fees.compound.id, 5)  # 0.05% a day
    report = service.arrears_aging(session, fees.clerk, fees.compound.id, dt.date(2026, 3, 1))
    # property fee 107.24 due 01-15: 45 days × 5/10000 → 2.413 → 2.41; garbage 10.00 due 01-20: 40 days → 0.20
    assert report.units[0].late_fee == 241 + 20
    assert service.late_fee_fen(10724, 10_000, 5) == 10724  # never more than the principal
    with pytest.raises(Exception):
        service.set_late_fee(session, fees.manager, fees.compound.id, -1)


def test_collection_rate_over_the_api_month_and_year_to_date(session, fees, client, api):
    fees.bill(session, "2026-10", "2026-11")
    service.record_payment(session, fees.clerk, fees.units[0].id, 2 * 11724, "cash")  # pays Oct and Nov of unit 0
    session.commit()
    data = client.get(f"/api/v1/compounds/{fees.compound.id}/collection-rate?period=2026-11", headers=api(fees.clerk)).json
    assert (data["billed_fen"], data["paid_fen"]) == (3 * 11724, 11724)
    assert data["rate"] == pytest.approx(1 / 3)
    assert (data["ytd_billed_fen"], data["ytd_paid_fen"]) == (6 * 11724, 2 * 11724)
    assert client.get(f"/api/v1/compounds/{fees.compound.id}/collection-rate?period=nov",
                      headers=api(fees.clerk)).status_code == 422


def test_collection_figures_for_scoring_have_an_entry_for_every_compound(session, fees):
    fees.bill(session, "2026-11")
    ids = [c.id for c in fees.world.compounds] + [999999]
    figures = service.collection_figures(session, ids, "2026-11")
    assert set(figures) == set(ids)
    assert (figures[fees.compound.id].billed_fen, figures[fees.compound.id].paid_fen) == (3 * 11724, 0)
    assert figures[999999].billed_fen == 0 and figures[999999].rate is None
    records = service.collection_records(session, fees.compound.id, "2026-11")
    assert len(records) == 6 and {"id", "label", "status", "at"} <= set(records[0])
    assert records[0]["status"] == "unpaid" and "物业服务费" in " ".join(r["label"] for r in records)


def test_waived_money_is_not_counted_as_billed(session, fees):
    fees.bill(session, "2026-11")
    waiver = service.request_waiver(session, fees.clerk, fees.units[0].id, percent=100, from_period="2026-11",
                                    to_period="2026-11", reason="低保户")
    service.decide_waiver(session, fees.world.user(session, "community"), waiver.id, approve=True)
    figures = service.collection_figures(session, [fees.compound.id], "2026-11")[fees.compound.id]
    assert figures.billed_fen == 2 * 11724
    assert service.unit_owing_fen(session, fees.units[0].id) == 0


@pytest.mark.parametrize("body, field", [
    ({"from_period": "0000-08"}, "from_period"), ({"from_period": "9999-01"}, "from_period"),
    ({"rate_fen": 9 * 10**16}, "rate_fen"), ({"rate_fen": 10**6 + 1}, "rate_fen"),
])
def test_absurd_fee_items_are_refused(client, session, fees, api, body, field):
    """Fuzzing as admin once created a fee item dated 0000-08 at 9×10¹⁶ fen."""
    from sqlalchemy import func, select

    from pm_platform.fees.models import FeeItem
    before = session.scalar(select(func.count()).select_from(FeeItem))
    answer = client.post(f"/api/v1/compounds/{fees.compound.id}/fee-items", headers=api(fees.manager),
                         json={"name": "荒唐收费", "kind": "per_area", "rate_fen": 120, "from_period": "2026-11", **body})
    assert answer.status_code == 422 and answer.json["error"]["field"] == field
    assert session.scalar(select(func.count()).select_from(FeeItem)) == before
