"""Importing an owner roster: all-or-nothing, row-by-row errors, idempotent."""
import csv
import html
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from pm_platform.places.models import Owner, Ownership, Unit
from pm_platform.places.roster import COLUMNS
from tests.factories import id_number

HEADER = [c.zh for c in COLUMNS]


def row(building="1栋", entrance="1", floor="3", room="301", area="89.37", use="住宅", name="张三",
        phone="13800000000", id_no=None, cert="证0001", owner_type="个人", voter=""):
    return [building, entrance, floor, room, area, use, name, phone, id_no or id_number(), cert, owner_type, voter]


def as_csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(client, headers, compound_id, data, filename="roster.csv"):
    return client.post(f"/api/v1/compounds/{compound_id}/roster", headers=headers,
                       data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def units_in(session, compound_id):
    return session.scalar(select(func.count()).select_from(Unit).where(Unit.compound_id == compound_id))


def test_a_valid_roster_imports_once(world, session, client, api):
    compound = world.compounds[0]
    shared_owner = id_number()
    rows = [row(room="501", id_no=shared_owner, name="李四"), row(room="502", id_no=shared_owner, name="李四"),
            row(room="601", name="王五", voter="是"), row(room="601", name="赵六", voter="否"),
            row(building="车库", entrance="", floor="-1", room="P01", area="12.5", use="车位", id_no=shared_owner, name="李四")]
    headers = api(world.user(session, "community"))
    first = upload(client, headers, compound.id, as_csv(rows))
    assert first.status_code == 200, first.json
    assert first.json["units_created"] == 4 and first.json["owners_created"] == 3
    assert first.json["ownerships_created"] == 5
    li_si = session.scalar(select(Owner).where(Owner.name == "李四"))
    assert len(li_si.ownerships) == 3  # one owner of several units
    assert li_si.id_number_masked.count("*") == 8 and shared_owner not in li_si.id_number_masked
    voters = session.scalars(select(Ownership.is_voter).join(Unit).where(Unit.room == "601")).all()
    assert sorted(voters) == [False, True]

    again = upload(client, headers, compound.id, as_csv(rows))
    assert again.status_code == 200
    assert {k: v for k, v in again.json.items() if k != "rows"} == dict.fromkeys(
        ["units_created", "units_updated", "owners_created", "owners_updated", "ownerships_created",
         "ownerships_updated", "buildings_created"], 0)


def test_xlsx_with_english_headers_imports(world, session, client, api):
    workbook = openpyxl.Workbook()
    workbook.active.append([c.key for c in COLUMNS])
    workbook.active.append([*row(room="901")[:4], 89.37, *row()[5:]])  # area as a real number cell
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, api(world.user(session, "admin")), world.compounds[0].id, buffer.getvalue(), "名册.xlsx")
    assert response.status_code == 200, response.json
    assert response.json["units_created"] == 1
    assert session.scalar(select(Unit.area_cm2).where(Unit.room == "901")) == 8937


@pytest.mark.parametrize("bad_row, column", [
    (row(area="-5"), "area_m2"),
    (row(area="123456"), "area_m2"),
    (row(area="89.375"), "area_m2"),
    (row(floor="three"), "floor"),
    (row(use="仓库"), "use"),
    (row(id_no="110101199003071235"), "owner_id_number"),  # wrong check digit
    (row(name=""), "owner_name"),
    (row(voter="也许"), "is_voter"),
])
def test_one_bad_row_is_reported_and_nothing_is_written(world, session, client, api, bad_row, column):
    compound = world.compounds[0]
    before = units_in(session, compound.id)
    good = [row(room="701"), row(room="702")]
    response = upload(client, api(world.user(session, "community")), compound.id, as_csv(good + [bad_row]))
    assert response.status_code == 422
    problems = response.json["error"]["rows"]
    assert problems[0]["row"] == 4 and problems[0]["column"] == column  # header is row 1
    session.expire_all()
    assert units_in(session, compound.id) == before


def test_duplicate_rooms_and_voter_rules_are_reported(world, session, client, api):
    same = id_number()
    rows = [row(room="801", id_no=same), row(room="801", id_no=same),            # duplicate row
            row(room="802", area="80"), row(room="802", area="90", voter="是"),  # same room, other area
            row(room="803", voter="是"), row(room="803", voter="是")]            # two voters
    response = upload(client, api(world.user(session, "community")), world.compounds[0].id, as_csv(rows))
    assert response.status_code == 422
    found = {(p["row"], p["column"]) for p in response.json["error"]["rows"]}
    assert (3, "owner_id_number") in found and (5, "room") in found and (6, "is_voter") in found


@pytest.mark.parametrize("data, filename, message", [
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "roster.xlsx", "spreadsheet"),
    (as_csv([row()[:4] + row()[5:]], header=HEADER[:4] + HEADER[5:]), "roster.csv", "建筑面积"),
    (b"", "roster.csv", "empty"),
])
def test_files_that_are_not_rosters_are_refused(world, session, client, api, data, filename, message):
    response = upload(client, api(world.user(session, "community")), world.compounds[0].id, data, filename)
    assert response.status_code == 422
    assert message in response.json["error"]["message"]


def test_the_roster_page_shows_the_refusal_in_chinese(world, session, login):
    page = login(world.user(session, "community")).post(
        f"/compounds/{world.compounds[0].id}/roster", data={"file": (io.BytesIO(as_csv([])), "roster.csv")},
        content_type="multipart/form-data")
    assert '<p class="error" id="file-error">文件中没有可导入的行</p>' in page.text  # was "the file has no rows to import"


def test_the_roster_page_lists_bad_rows_in_chinese_and_the_api_in_english(world, session, login, client, api):
    compound = world.compounds[0]
    rows = as_csv([row(room="711"), row(room="712", floor="three"), row(room="713", voter="也许")])
    page = login(world.user(session, "community")).post(
        f"/compounds/{compound.id}/roster", data={"file": (io.BytesIO(rows), "roster.csv")},
        content_type="multipart/form-data")
    assert "发现 2 处问题，未导入任何数据" in page.text
    table = html.unescape(page.text[page.text.index('id="row-errors"'):])
    assert "须为整数,而不是 'three'" in table and "须为 是 或 否" in table and "must be" not in table
    answer = upload(client, api(world.user(session, "community")), compound.id, rows)
    assert answer.json["error"]["message"] == "2 problem(s) found; nothing was imported"
    assert [p["message"] for p in answer.json["error"]["rows"]] == ["must be a whole number, not 'three'",
                                                                   "must be 是 or 否"]


def test_huge_upload_is_refused_with_413(world, session, client, api):
    body = b"x" * (50 * 1024 * 1024)  # refused on its declared length, before it is parsed
    response = client.post(f"/api/v1/compounds/{world.compounds[0].id}/roster", data=body,
                           headers=api(world.user(session, "community")),
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"


def test_unknown_compound_and_wrong_role(world, session, client, api):
    data = as_csv([row()])
    assert upload(client, api(world.user(session, "community")), 999999, data).status_code == 404
    assert upload(client, api(world.user(session, "community", index=0)), world.compounds[1].id, data).status_code == 404
    assert upload(client, api(world.user(session, "owner")), world.compounds[0].id, data).status_code == 403


def test_template_download_is_an_xlsx_with_every_column(world, session, login):
    from pm_platform.core.sheets import read_table

    client = login(world.user(session, "community"))
    response = client.get("/roster-template.xlsx")
    assert response.status_code == 200
    assert read_table("t.xlsx", response.data, COLUMNS) == []  # header only: nothing imported by mistake
    example = openpyxl.load_workbook(io.BytesIO(response.data))["示例 Example"]
    assert [cell.value for cell in example[1]] == [c.label for c in COLUMNS]


def test_a_new_roster_can_move_the_vote_to_the_other_co_owner(world, session, client, api):
    wang, zhao = id_number(), id_number()
    headers = api(world.user(session, "community"))
    first = [row(room="611", name="王五", id_no=wang, voter="是"), row(room="611", name="赵六", id_no=zhao, voter="否")]
    assert upload(client, headers, world.compounds[0].id, as_csv(first)).status_code == 200
    swapped = [row(room="611", name="王五", id_no=wang, voter="否"), row(room="611", name="赵六", id_no=zhao, voter="是")]
    response = upload(client, headers, world.compounds[0].id, as_csv(swapped))
    assert response.status_code == 200 and response.json["ownerships_updated"] == 2
    session.expire_all()
    voter = session.scalar(select(Owner.name).join(Ownership).join(Unit)
                           .where(Unit.room == "611", Ownership.is_voter.is_(True)))
    assert voter == "赵六"
