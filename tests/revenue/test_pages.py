"""The fund's pages: ledger, entry forms, disclosure page and PDF, office status."""
import io
import json

import pytest

from pm_platform.revenue import service
from tests.revenue.test_ledger import LAST_QUARTER, revenue, spend


def test_keeper_enters_income_and_expenditure_through_forms(session, world, login):
    cid = world.compounds[0].id
    client = login(world.user(session, "firm_manager"))
    response = client.post(f"/compounds/{cid}/fund/revenue", data={
        "source": "advertising", "description": "电梯广告 10月", "occurred_on": "2026-10-05",
        "gross": "1200.50", "cost": "200", "cost_justification": "广告屏电费"}, follow_redirects=True)
    assert response.status_code == 200 and "1000.50" in response.text
    response = client.post(f"/compounds/{cid}/fund/expenditure", data={
        "description": "修缮车棚", "occurred_on": "2026-10-06", "amount": "300", "decision_ref": "委员会决议 第5号",
        "attachment": (io.BytesIO(b"%PDF-1.4"), "决议.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert service.balance(session, cid) == 120050 - 20000 - 30000
    assert "700.50" in client.get(f"/compounds/{cid}/fund").text


def test_form_shows_an_error_and_writes_nothing(session, world, login):
    cid = world.compounds[0].id
    client = login(world.user(session, "firm_manager"))
    response = client.post(f"/compounds/{cid}/fund/revenue", data={
        "source": "parking", "description": "x", "occurred_on": "2026-10-05", "gross": "100", "cost": "300"})
    assert response.status_code == 200 and "成本不能超过总收入" in response.text
    assert "must not exceed" not in response.text
    assert service.balance(session, cid) == 0


def test_owner_reads_the_ledger_but_cannot_post(session, world, login):
    cid = world.compounds[0].id
    revenue(session, world.user(session, "firm_manager"), cid)
    session.commit()
    client = login(world.user(session, "owner"))
    assert "800.00" in client.get(f"/compounds/{cid}/fund").text
    assert client.get(f"/compounds/{cid}/fund/revenue").status_code == 403
    assert client.get(f"/compounds/{world.compounds[1].id}/fund").status_code == 404


def test_disclosure_page_pdf_publish_and_review(session, world, login):
    cid = world.compounds[0].id
    keeper = world.user(session, "firm_manager")
    revenue(session, keeper, cid)
    spend(session, keeper, cid)
    service.prepare_disclosure(session, cid, LAST_QUARTER)
    session.commit()
    client = login(keeper)
    page = client.get(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}")
    assert page.status_code == 200 and "500.00" in page.text    # closing balance 800 - 300
    pdf = client.get(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    client.post(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}/publish")
    disclosure = service.get_disclosure(session, keeper, cid, LAST_QUARTER)
    assert disclosure.published_at is not None and json.loads(disclosure.figures)["closing_fen"] == 50000
    committee = login(world.user(session, "committee"))
    reviewed = committee.post(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}/review")
    assert reviewed.status_code == 302, reviewed.text
    session.refresh(disclosure)
    assert disclosure.reviewed_at is not None


def test_office_status_page(session, world, login):
    revenue(session, world.user(session, "firm_manager"), world.compounds[0].id)
    session.commit()
    client = login(world.user(session, "community"))
    page = client.get("/fund/disclosure-status")
    assert page.status_code == 200 and world.compounds[0].name in page.text
    assert world.compounds[1].name not in page.text
    assert login(world.user(session, "owner")).get("/fund/disclosure-status").status_code == 403


def test_the_disclosure_page_and_pdf_list_each_cost_once_with_its_total(session, world, login, tmp_path):
    import datetime as dt
    import subprocess

    cid = world.compounds[0].id
    keeper = world.user(session, "firm_manager")
    start = service.quarter_bounds(LAST_QUARTER)[0]
    for month in range(3):   # one entry a month, each with the same reason for its cost
        revenue(session, keeper, cid, day=start + dt.timedelta(days=31 * month + 5))
    service.prepare_disclosure(session, cid, LAST_QUARTER)
    session.commit()
    client = login(keeper)
    page = client.get(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}").get_data(as_text=True)
    income = page.split('id="income"')[1].split("</table>")[0]
    assert income.count("保洁与设备电费") == 1 and "保洁与设备电费 600.00" in income
    path = tmp_path / "disclosure.pdf"
    path.write_bytes(client.get(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}.pdf").data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("保洁与设备电费") == 1 and "600.00" in text


def test_a_disclosure_published_with_one_reason_per_entry_shows_each_reason_once(session, world, login):
    from pm_platform.revenue.models import Disclosure

    cid = world.compounds[0].id
    keeper = world.user(session, "firm_manager")
    revenue(session, keeper, cid)
    disclosure = service.publish_disclosure(session, keeper, cid, LAST_QUARTER)
    figures = json.loads(disclosure.figures)   # as published before costs were grouped by reason
    for line in figures["income"]:
        line.pop("costs")
        line["justifications"] = ["保洁与设备电费"] * 3
    session.get(Disclosure, disclosure.id).figures = json.dumps(figures, ensure_ascii=False)
    session.commit()
    page = login(keeper).get(f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}").get_data(as_text=True)
    assert page.split('id="income"')[1].split("</table>")[0].count("保洁与设备电费") == 1


def test_a_published_quarter_offers_its_disclosure_not_a_new_draft(session, world, login):
    cid = world.compounds[0].id
    keeper = world.user(session, "firm_manager")
    revenue(session, keeper, cid)
    session.commit()
    client = login(keeper)
    listing = client.get(f"/compounds/{cid}/fund/disclosures").get_data(as_text=True)
    assert f"/compounds/{cid}/fund/disclosures/prepare" in listing           # nothing drafted yet: offered
    assert client.post(f"/compounds/{cid}/fund/disclosures/prepare").status_code == 302
    assert f"/compounds/{cid}/fund/disclosures/prepare" in client.get(f"/compounds/{cid}/fund/disclosures").get_data(
        as_text=True)                                                        # a draft may be refreshed
    service.publish_disclosure(session, keeper, cid, LAST_QUARTER)
    session.commit()
    listing = client.get(f"/compounds/{cid}/fund/disclosures").get_data(as_text=True)
    assert f"/compounds/{cid}/fund/disclosures/prepare" not in listing and "生成" not in listing
    offer = listing.split('id="last-published"')[1].split("</p>")[0]
    assert f"/compounds/{cid}/fund/disclosures/{LAST_QUARTER}.pdf" in offer and "查看公示" in offer
    # posted anyway (a page open since before publishing): refused with the reason, on the list
    r = client.post(f"/compounds/{cid}/fund/disclosures/prepare", follow_redirects=True)
    assert r.status_code == 200 and f"{LAST_QUARTER} 已向业主公示" in r.get_data(as_text=True)
    assert r.request.path == f"/compounds/{cid}/fund/disclosures"


def test_drafting_a_published_or_unfinished_quarter_is_refused(session, world):
    from pm_platform.core import clock
    from pm_platform.core.errors import Conflict, ValidationError

    cid = world.compounds[0].id
    keeper, owner = world.user(session, "firm_manager"), world.user(session, "owner")
    revenue(session, keeper, cid)
    assert not service.may_draft_disclosure(session, owner, cid, LAST_QUARTER)
    this_quarter = service.quarter_of(clock.local_today())
    assert not service.may_draft_disclosure(session, keeper, cid, this_quarter)
    with pytest.raises(ValidationError):
        service.draft_disclosure(session, keeper, cid, this_quarter)
    service.publish_disclosure(session, keeper, cid, LAST_QUARTER)
    with pytest.raises(Conflict, match="published"):
        service.draft_disclosure(session, keeper, cid, LAST_QUARTER)
    service.prepare_quarter_disclosures(session)   # the quarterly job still passes over a published quarter
