"""The label sheet PDF, looked at as images: every QR code decodes to its facility's live
token; bulk import of facilities from a spreadsheet."""
import io
import subprocess

import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pm_platform.core.errors import RowErrors
from pm_platform.inspections import service
from pm_platform.inspections.models import Facility
from tests.inspections.helpers import building, facility, token

BASE = "https://pm.example.cn"


def pdf_pages_as_images(pdf: bytes, tmp_path, dpi=150) -> list[Image.Image]:
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "page")], check=True)
    images = []
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as image:
            images.append(image.copy())
    return images


@pytest.fixture
def request_context(app):
    with app.test_request_context():  # PDFs render through Flask templates, as in a request
        yield


def test_label_sheet_qr_codes_decode_to_each_facility_token(session, world, tmp_path, request_context):
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    facilities = [facility(session, manager, compound, name=f"{n + 1}号灭火器", lat=31.23 + n * 1e-5) for n in range(26)]
    replaced = facilities[0]
    service.replace_label(session, manager, replaced.id, "污损")
    session.commit()

    pdf = service.label_sheet(session, manager, compound.id, None, BASE)
    pages = pdf_pages_as_images(pdf, tmp_path)
    assert len(pages) == 2  # 24 labels a page (3 × 8), 26 facilities
    assert abs(pages[0].width - 1240) <= 1 and abs(pages[0].height - 1754) <= 1  # A4 at 150 dpi
    found = [code.data.decode() for page in pages for code in decode(page)]
    expected = {f"{BASE}/q/{token(session, f.id)}" for f in facilities}
    assert len(found) == 26 and set(found) == expected
    first_page = {code.data.decode() for code in decode(pages[0])}
    assert len(first_page) == 24
    # 3 columns × 8 rows: the codes' positions fall into 3 distinct columns and 8 rows.
    rects = [code.rect for code in decode(pages[0])]
    assert len({round(r.left / 100) for r in rects}) == 3 and len({round(r.top / 100) for r in rects}) == 8

    chosen = service.label_sheet(session, manager, compound.id, [facilities[3].id], BASE)
    (tmp_path / "one").mkdir()
    codes = [c.data.decode() for page in pdf_pages_as_images(chosen, tmp_path / "one") for c in decode(page)]
    assert codes == [f"{BASE}/q/{token(session, facilities[3].id)}"]


def test_label_sheet_only_for_those_who_manage_the_compound(session, world):
    manager = world.user(session, "firm_manager")
    item = facility(session, manager, world.compounds[0])
    outsider = world.user(session, "community", index=1)
    from pm_platform.core.errors import NotFound
    with pytest.raises(NotFound):
        service.label_sheet(session, outsider, item.compound_id, None, BASE)


def _xlsx(header, rows) -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_facilities_from_xlsx_twice_changes_nothing_the_second_time(session, world):
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    building(session, compound, "2栋")
    session.commit()
    rows = [["灭火器", "2栋1层灭火器", "2栋", "1", "楼道", 31.23, 121.47, "2022改造", "某消防公司", "2027-06-30"],
            ["电梯", "2栋加装电梯", "2栋", "", "", 31.2301, 121.4701, "加装电梯", "某电梯公司", ""],
            ["drain", "东侧雨水井", "", "", "东门", "", "", "", "", ""]]
    result = service.import_facilities(session, manager, compound.id, "facilities.xlsx", _xlsx(
        [c.label for c in service.IMPORT_COLUMNS], rows))
    assert (result.created, result.updated) == (3, 0)
    lift = session.scalars(select(Facility).where(Facility.name == "2栋加装电梯")).one()
    assert lift.kind == "elevator" and lift.lat_e6 == 31230100 and lift.building.name == "2栋"
    assert len(token(session, lift.id)) >= 24
    again = service.import_facilities(session, manager, compound.id, "facilities.xlsx", _xlsx(
        [c.label for c in service.IMPORT_COLUMNS], rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_import_lists_every_bad_row_and_writes_nothing(session, world):
    manager = world.user(session, "firm_manager")
    compound = world.compounds[0]
    rows = [["灭火器", "好的一行", "", "", "", "", "", "", "", ""],
            ["飞机", "未知类型", "", "", "", "", "", "", "", ""],
            ["灭火器", "坐标不全", "", "", "", "31.2", "", "", "", ""],
            ["灭火器", "没有的楼", "99栋", "", "", "", "", "", "", ""],
            ["灭火器", "日期错", "", "", "", "", "", "", "", "明年"]]
    with pytest.raises(RowErrors) as error:
        service.import_facilities(session, manager, compound.id, "f.xlsx", _xlsx(
            [c.label for c in service.IMPORT_COLUMNS], rows))
    assert [e["row"] for e in error.value.rows] == [3, 4, 5, 6]
    assert session.scalar(select(Facility.id)) is None
