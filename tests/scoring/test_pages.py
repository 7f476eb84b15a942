"""The score pages: boards with drill-down, spot checks on a form, lists, rewards, PDFs."""
import datetime as dt
import io
import re
from html.parser import HTMLParser

from flask_babel import refresh
from openpyxl import load_workbook

from pm_platform.fees import service as fees_service
from pm_platform.inspections import service as inspections_service
from pm_platform.scoring import rewards, service
from pm_platform.workorders import figures as workorders_figures
from tests.scoring.test_cards import SPOT, hand_computed_inputs

MONTH = "2026-10"


def setup_month(session, world, figures):
    first, second = world.compounds
    hand_computed_inputs(figures, first.id)
    figures.set(second.id, billed_fen=100, paid_fen=100, due_items=5, on_time=5)
    service.compute_month(session, MONTH)
    session.commit()


def test_district_board_drills_down_to_a_card_line(session, world, figures, login):
    setup_month(session, world, figures)
    client = login(world.user(session, "bureau"))
    page = client.get(f"/scores/district/{world.district.id}?month={MONTH}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "街道1" in html and "街道2" in html and "<svg" in html
    # the district's average of 59.51 and 100.00 is 79.755 → 79.76; fee collection averages
    # 14.29 and 20.00 over the two cards that measured it → 17.145 → 17.15
    assert "79.76" in html and "17.15" in html
    street = client.get(f"/scores/street/{world.streets[0].id}?month={MONTH}").get_data(as_text=True)
    assert "社区1" in street
    community = client.get(f"/scores/community/{world.communities[0].id}?month={MONTH}").get_data(as_text=True)
    assert world.compounds[0].name in community and "56.88" not in community and "59.51" in community
    compound = client.get(f"/scores/compound/{world.compounds[0].id}?month={MONTH}").get_data(as_text=True)
    assert "59.51" in compound and "实收 85.00 元 / 应收 100.00 元" in compound
    card = session.scalars(service.scoped_cards(session, world.user(session, "admin"), MONTH)
                           .where(service.Scorecard.compound_id == world.compounds[0].id)).one()
    records = client.get(f"/scores/card/{card.id}/spot_checks").get_data(as_text=True)
    assert "0 / 0" in records or "0.00" in records
    assert client.get(f"/scores/card/{card.id}/no_such_line").status_code == 404


def test_a_street_office_board_shows_only_its_own_compounds(session, world, figures, login):
    setup_month(session, world, figures)
    client = login(world.user(session, "street"))
    assert client.get("/scores/").headers["Location"].endswith(f"/scores/street/{world.streets[0].id}")
    other = client.get(f"/scores/street/{world.streets[1].id}?month={MONTH}")
    assert other.status_code == 404
    district = client.get(f"/scores/district/{world.district.id}?month={MONTH}").get_data(as_text=True)
    assert "街道1" in district and "街道2" not in district
    assert client.get(f"/scores/compound/{world.compounds[1].id}?month={MONTH}").status_code == 404


def test_spot_check_form_on_a_phone(session, world, login):
    client = login(world.user(session, "community"))
    url = f"/scores/compound/{world.compounds[0].id}/spot-check"
    assert client.get(url).status_code == 200
    data = {"checked_on": "2026-10-15", "note": "抽查"}
    for key, score in SPOT.items():
        data[f"{key}-score"] = str(score)
        data[f"{key}-note"] = ""
    data["fire_lanes-photos"] = [(io.BytesIO(b"\x89PNG\r\n"), "lane.png", "image/png")]
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    bad = dict(data, **{"cleaning-score": "12"})
    bad.pop("fire_lanes-photos")
    response = client.post(url, data=bad)
    assert response.status_code == 200 and "error" in response.get_data(as_text=True)


def test_pdfs_and_the_rewards_sheet(session, world, figures, login):
    setup_month(session, world, figures)
    bureau = world.user(session, "bureau")
    for index, street in enumerate(world.streets):
        service.publish_month(session, world.user(session, "street", index), street.id, MONTH)
    rewards.set_fund(session, bureau, world.district.id, "2026-H2", 10_000_00)
    session.commit()
    client = login(bureau)
    assert client.post(f"/scores/lists/{world.district.id}?month={MONTH}").status_code == 302
    for url in (f"/scores/district/{world.district.id}?month={MONTH}&format=pdf",
                f"/scores/lists/{world.district.id}?month={MONTH}&format=pdf",
                f"/scores/rewards/{world.district.id}?half=2026-H2&format=pdf",
                f"/scores/compound/{world.compounds[0].id}/dossier.pdf?month={MONTH}"):
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), url
    sheet = client.get(f"/scores/rewards/{world.district.id}?half=2026-H2&format=xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    # only the second compound (100 points) earns its 15,000; scaled down to the 10,000 fund
    assert rows[-1][-2:] == ("15000.00", "10000.00")


def test_publish_then_correct_a_card_from_the_pages(session, world, figures, login):
    setup_month(session, world, figures)
    first = world.compounds[0]
    street = login(world.user(session, "street"))
    board = street.get(f"/scores/street/{first.street_id}?month={MONTH}").get_data(as_text=True)
    assert "发布 2026-10" in board
    assert street.post(f"/scores/street/{first.street_id}/publish", data={"month": MONTH}).status_code == 302
    assert "已发布(已冻结)" in street.get(f"/scores/street/{first.street_id}?month={MONTH}").get_data(as_text=True)

    hand = dict(billed_fen=10000, paid_fen=10000, due_items=50, on_time=45, resolutions_due=20, resolved_on_time=19,
                satisfied=6, basically_satisfied=2, rated=10, follow_ups=4, closed_not_fixed=1, rebounds=12, disclosure=True)
    figures.set(first.id, **hand)
    response = street.post(f"/scores/compound/{first.id}/revise", data={"month": MONTH, "reason": "补录十月缴费"})
    assert response.status_code == 302
    page = street.get(f"/scores/compound/{first.id}?month={MONTH}").get_data(as_text=True)
    assert "补录十月缴费" in page and "已被更正" in page  # the published revision stays, marked replaced
    again = street.post(f"/scores/compound/{first.id}/revise", data={"month": MONTH, "reason": "再次"})
    assert again.status_code == 409 and "按现有记录计算的评分卡与已发布的相同,无需更正" in again.get_data(as_text=True)


def test_the_bureau_edits_the_scheme_from_a_month(session, world, login):
    client = login(world.user(session, "bureau"))
    url = f"/scores/scheme/{world.district.id}"
    form = client.get(url + "?month=2026-12").get_data(as_text=True)
    assert "物业费收缴率" in form
    data = {"effective_month": "2026-12"}
    weights = {"fee_collection": 25, "inspection_completion": 20, "workorders_on_time": 15, "satisfaction": 10,
               "spot_checks": 20, "disclosure_on_time": 5, "really_fixed": 5}
    for key, weight in weights.items():
        data.update({f"i_{key}-weight": weight, f"i_{key}-floor": 60, f"i_{key}-target": 95})
    for key, per, cap in (("rebound", 1, 10), ("closed_not_fixed", 2, ""), ("safety_incident", 20, "")):
        data.update({f"d_{key}-per": per, f"d_{key}-cap": cap})
    assert client.post(url + "?month=2026-12", data=data).status_code == 302
    from pm_platform.scoring import service as scoring
    scheme_id, definition = scoring.scheme_for(session, world.district.id, "2027-01")
    assert scheme_id and {i["key"]: i["weight"] for i in definition["indicators"]} == weights
    assert scoring.scheme_for(session, world.district.id, "2026-11")[0] is None  # earlier months keep the default

    data["i_satisfaction-weight"] = 11  # 101 in all
    page = client.post(url + "?month=2026-12", data=data).get_data(as_text=True)
    assert '<p class="error">各项分值合计须为 100</p>' in page  # the service's refusal, in the bureau's language
    assert login(world.user(session, "street")).get(url).status_code == 404


def test_the_firm_board_opens_for_the_firm_and_for_the_offices(session, world, figures, login):
    """The "Scores" menu item lands the firm's manager and staff on their firm's board (it
    answered 500: the view passed the month twice to render_template)."""
    setup_month(session, world, figures)
    for role in ("firm_manager", "firm_staff"):
        client = login(world.user(session, role))
        landing = client.get("/scores/")
        assert landing.headers["Location"].endswith(f"/scores/firm/{world.firm.id}")
        page = client.get(f"/scores/firm/{world.firm.id}?month={MONTH}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and world.firm.name in html and world.compounds[0].name in html
        assert "59.51" in html  # the firm's one compound, its score
    bureau = login(world.user(session, "bureau"))
    assert bureau.get(f"/scores/firm/{world.firm.id}?month={MONTH}").status_code == 200


def record_rows(html: str) -> list[tuple[str, str, str, str]]:
    """The (number, record, status, time) cells of a card line's record table."""
    table = html.split('<table id="records">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)


def test_a_lines_records_read_in_words_with_units_and_shanghai_time(session, world, figures, login, monkeypatch):
    """The drill-down showed the domains' codes (paid, on_time, missed, closed, ev_charging),
    times in UTC and a fee figure in bare fen (8500 / 10000)."""
    setup_month(session, world, figures)
    card = session.scalars(service.scoped_cards(session, world.user(session, "admin"), MONTH)
                           .where(service.Scorecard.compound_id == world.compounds[0].id)).one()
    evening = dt.datetime(2026, 10, 5, 17, 30, tzinfo=dt.timezone.utc)  # 01:30 on the 6th in Shanghai
    due = dt.date(2026, 10, 15)
    monkeypatch.setattr(fees_service, "collection_records", lambda s, c, m: [
        {"id": 1, "label": "1栋1单元101 物业服务费 2026-10", "status": "paid", "at": due, "billed_fen": 100, "paid_fen": 100},
        {"id": 2, "label": "1栋1单元102 物业服务费 2026-10", "status": "partial", "at": due, "billed_fen": 100, "paid_fen": 50},
        {"id": 3, "label": "1栋1单元201 物业服务费 2026-10", "status": "unpaid", "at": due, "billed_fen": 100, "paid_fen": 0}])
    monkeypatch.setattr(inspections_service, "inspection_records", lambda s, c, m: [  # SQLite gives naive UTC
        {"id": 4, "label": "2026-10-06 1栋灭火器", "status": "on_time", "at": evening.replace(tzinfo=None)},
        {"id": 5, "label": "2026-10-06 2栋消火栓", "status": "missed", "at": evening}])
    monkeypatch.setattr(workorders_figures, "workorder_records", lambda s, c, m: [
        {"id": 6, "label": "#6 ev_charging", "status": "closed", "at": evening, "category": "ev_charging"}])
    client = login(world.user(session, "street"))
    url = f"/scores/card/{card.id}"

    fees_page = client.get(f"{url}/fee_collection").get_data(as_text=True)
    assert "实收 85.00 元 / 应收 100.00 元" in fees_page and "8500" not in fees_page and "<th>日期</th>" in fees_page
    assert [row[2:] for row in record_rows(fees_page)] == [("已缴", "2026-10-15"), ("部分缴纳", "2026-10-15"),
                                                          ("未缴", "2026-10-15")]
    inspections_page = client.get(f"{url}/inspection_completion").get_data(as_text=True)
    assert "按时完成 45 项 / 应巡检 50 项" in inspections_page and "<th>时间</th>" in inspections_page
    assert [row[2:] for row in record_rows(inspections_page)] == [("按时完成", "2026-10-06 01:30"),
                                                                 ("漏检", "2026-10-06 01:30")]
    orders_page = client.get(f"{url}/workorders_on_time").get_data(as_text=True)
    assert "按期办结 19 单 / 应办结 20 单" in orders_page
    assert record_rows(orders_page) == [("6", "#6 充电桩", "已办结", "2026-10-06 01:30")]
    assert "满意 7.8 单 / 已评价 10 单" in client.get(f"{url}/satisfaction").get_data(as_text=True)
    assert "次数:12" in client.get(f"{url}/rebound").get_data(as_text=True)

    refresh()  # the requests share the test's app context, where Flask-Babel keeps the locale it chose
    english = client.get(f"{url}/fee_collection?lang=en").get_data(as_text=True)
    assert "85.00 yuan paid of 100.00 yuan billed" in english
    assert [row[2] for row in record_rows(english)] == ["Paid", "Partly paid", "Unpaid"]
    english = client.get(f"{url}/inspection_completion").get_data(as_text=True)
    assert [row[2] for row in record_rows(english)] == ["done on time", "missed"]
    english = client.get(f"{url}/workorders_on_time").get_data(as_text=True)
    assert record_rows(english)[0][1:3] == ("#6 EV charging", "Closed")


class FormControls(HTMLParser):
    """The form controls of a page a person fills in, and the ids its <label for> name."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled_ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self.labelled_ids.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(attrs)


def test_every_input_of_the_scheme_form_has_a_name_a_screen_reader_reads(session, world, login):
    """27 inputs of the scheme table had no label (an axe-core critical violation)."""
    html = login(world.user(session, "bureau")).get(f"/scores/scheme/{world.district.id}?month=2026-12").text
    page = FormControls()
    page.feed(html)
    assert len(page.controls) == 1 + 7 * 3 + 3 * 2
    unlabelled = [c.get("name") for c in page.controls
                  if c.get("id") not in page.labelled_ids and not c.get("aria-label")]
    assert unlabelled == []
    named = {c["name"]: c.get("aria-label") for c in page.controls}
    assert named["i_fee_collection-weight"] == "物业费收缴率 · 分值"
    assert named["d_rebound-cap"].startswith("问题反弹 · ")


def test_a_scheme_figure_out_of_range_is_named_beside_its_input(session, world, login):
    client = login(world.user(session, "bureau"))
    url = f"/scores/scheme/{world.district.id}?month=2026-12"
    data = {"effective_month": "2026-12"}
    for key in ("fee_collection", "inspection_completion", "workorders_on_time", "satisfaction", "spot_checks",
                "disclosure_on_time", "really_fixed"):
        data.update({f"i_{key}-weight": 10, f"i_{key}-floor": 60, f"i_{key}-target": 95})
    for key in ("rebound", "closed_not_fixed", "safety_incident"):
        data.update({f"d_{key}-per": 1, f"d_{key}-cap": ""})
    data["i_satisfaction-weight"] = 200
    page = client.post(url, data=data)
    assert page.status_code == 200
    cell = page.text.split('name="i_satisfaction-weight"', 1)[1].split("</td>", 1)[0]
    assert 'value="200"' in cell and 'class="error"' in cell


def test_a_board_offers_the_red_and_black_lists_only_to_those_who_may_open_them(session, world, figures, login):
    """The firm's manager sees the district board of the firm's compounds; the lists link led to a 404."""
    setup_month(session, world, figures)
    lists = f"/scores/lists/{world.district.id}"
    manager = login(world.user(session, "firm_manager"))
    board = manager.get(f"/scores/district/{world.district.id}?month={MONTH}").get_data(as_text=True)
    assert manager.get(f"{lists}?month={MONTH}").status_code == 404 and lists not in board
    bureau = login(world.user(session, "bureau"))
    board = bureau.get(f"/scores/district/{world.district.id}?month={MONTH}").get_data(as_text=True)
    assert lists in board and bureau.get(f"{lists}?month={MONTH}").status_code == 200
