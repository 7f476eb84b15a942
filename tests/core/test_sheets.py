import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from pm_platform.core.errors import ValidationError
from pm_platform.core.qr import qr_png
from pm_platform.core.sheets import Column, read_table, template_xlsx, write_csv, write_xlsx

COLUMNS = [
    Column("building", "楼栋"),
    Column("room", "房号"),
    Column("area_m2", "建筑面积", "area (m²)"),
    Column("phone", "联系电话", required=False),
]


def xlsx(*rows) -> bytes:
    """A workbook as Excel users make it (normal mode, cells typed as numbers)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def invalid(filename: str, data: bytes, **kw) -> str:
    with pytest.raises(ValidationError) as caught:
        read_table(filename, data, COLUMNS, **kw)
    assert caught.value.field == "file"
    return caught.value.message


def test_xlsx_round_trip():
    rows = [["1栋", "301", 89.37, "13800000000"],
            ["2栋", 12, Decimal("120.50"), None]]
    data = write_xlsx("花名册", COLUMNS, rows)
    expected = [
        (2, {"building": "1栋", "room": "301", "area_m2": "89.37", "phone": "13800000000"}),
        (3, {"building": "2栋", "room": "12", "area_m2": "120.5", "phone": ""}),
    ]
    assert read_table("export.xlsx", data, COLUMNS) == expected
    assert read_table("export.csv", data, COLUMNS) == expected  # the content decides, not the name


def test_xlsx_export_looks_right_in_excel():
    moment = dt.datetime(2026, 1, 31, 17, 30, tzinfo=dt.timezone.utc)
    data = write_xlsx("账单 2026/01", [("缴费时间", "paid at"), ("备注", "note")],
                      [[moment, "=HYPERLINK(\"http://evil\")"], [None, "#N/A"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "账单 2026-01"  # "/" is not allowed in sheet names
    assert [cell.value for cell in sheet[1]] == ["缴费时间 / paid at", "备注 / note"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet["A2"].value == dt.datetime(2026, 2, 1, 1, 30)  # Asia/Shanghai wall time
    # user text never becomes a live formula or an error value
    assert (sheet["B2"].value, sheet["B2"].data_type) == ('=HYPERLINK("http://evil")', "s")
    assert (sheet["B3"].value, sheet["B3"].data_type) == ("#N/A", "s")


@pytest.mark.parametrize("stored, shown", [
    ("12", "12"),
    ("1.2E1", "12"),
    ("89.37", "89.37"),
    ("89.370000000000005", "89.37"),  # Excel writes 17 significant digits
    ("0.30000000000000004", "0.3"),  # a cached formula result, =0.1+0.2
    ("1E-3", "0.001"),
    ("1.10101199003071E+17", "110101199003071000"),  # an ID number typed into a number cell
])
def test_xlsx_numbers_read_as_excel_shows_them(stored, shown):
    # openpyxl writes short numbers, so put the text Excel would store straight into the sheet XML.
    original = xlsx(["楼栋", "房号", "建筑面积"], ["1栋", "301", 4242.5])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>4242.5</v>" in content
                content = content.replace(b"<v>4242.5</v>", f"<v>{stored}</v>".encode())
            target.writestr(item, content)
    [(_, row)] = read_table("a.xlsx", buffer.getvalue(), COLUMNS)
    assert row["area_m2"] == shown


def test_xlsx_dates_read_as_iso_text():
    data = xlsx(["楼栋", "房号", "建筑面积"],
                [dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 8, 5), "1"])
    [(_, row)] = read_table("a.xlsx", data, COLUMNS)
    assert (row["building"], row["room"]) == ("2026-03-01", "2026-03-01 08:05:00")


def test_empty_rows_are_skipped_and_row_numbers_are_the_sheets():
    data = xlsx(["楼栋", "房号", "建筑面积"],
                ["1栋", "101", "50"],
                [],
                ["  ", None, ""],
                ["1栋", "102", "60"],
                [None],
                ["1栋", " 103 ", "70"])
    table = read_table("a.xlsx", data, COLUMNS)
    assert [(number, row["room"]) for number, row in table] == [(2, "101"), (5, "102"), (7, "103")]


CSV_TEXT = "楼栋,房号,建筑面积,联系电话\r\n1栋,301,89.37,\r\n\r\n2栋,302,\"90\",139\r\n"
CSV_ROWS = [(2, {"building": "1栋", "room": "301", "area_m2": "89.37", "phone": ""}),
            (4, {"building": "2栋", "room": "302", "area_m2": "90", "phone": "139"})]


@pytest.mark.parametrize("data", [
    CSV_TEXT.encode("utf-8-sig"),
    CSV_TEXT.encode("utf-8"),
    CSV_TEXT.encode("gb18030"),  # what Excel on Chinese Windows saves as "CSV (逗号分隔)"
], ids=["utf8-bom", "utf8", "gb18030"])
def test_csv_encodings(data):
    assert read_table("花名册.CSV", data, COLUMNS) == CSV_ROWS


def test_csv_round_trip_with_bom():
    data = write_csv(COLUMNS, [["1栋", "301", Decimal("89.37"), None]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == "楼栋 / building,房号 / room,建筑面积 / area (m²),联系电话 / phone"
    assert read_table("export.csv", data, COLUMNS) == [
        (2, {"building": "1栋", "room": "301", "area_m2": "89.37", "phone": ""})]


def test_csv_export_defuses_formulas():
    data = write_csv([("备注", "note"), ("金额", "amount")], [["=1+2", -5], ["@SUM(A1)", Decimal("-1.50")]])
    assert data.decode("utf-8-sig").splitlines()[1:] == ["'=1+2,-5", "'@SUM(A1),-1.50"]


@pytest.mark.parametrize("header, row", [
    (["楼栋", "房号", "建筑面积"], ["1栋", "301", "89.37"]),
    (["building", "room", "area (m²)"], ["1栋", "301", "89.37"]),
    ([" Building ", "ROOM", "area_m2"], ["1栋", "301", "89.37"]),
    # full-width slash and letters from a Chinese IME, ² typed as 2
    (["楼栋 / building", "房号／ｒｏｏｍ", "建筑面积 / Area (m2)"], ["1栋", "301", "89.37"]),
    (["房号", "联系电话", "area_m2", "楼栋"], ["301", "139", "89.37", "1栋"]),  # any order
])
def test_headers_in_chinese_or_english(header, row):
    [(number, result)] = read_table("a.xlsx", xlsx(header, row), COLUMNS)
    assert number == 2
    assert (result["building"], result["room"], result["area_m2"]) == ("1栋", "301", "89.37")
    assert result["phone"] == ("139" if "联系电话" in header else "")


def test_missing_columns_are_named_in_both_languages():
    message = invalid("a.csv", "楼栋,联系电话\n1栋,139\n".encode())
    assert message == "missing column(s): 房号 / room, 建筑面积 / area (m²)"


def test_unknown_and_repeated_columns():
    assert "unknown column(s): 备注" in invalid("a.csv", "楼栋,房号,建筑面积,备注\n".encode())
    assert "repeated column(s): building" in invalid("a.csv", "楼栋,房号,建筑面积,building\n".encode())


def test_a_misspelt_header_is_named_with_the_columns_expected():
    # also a missing column, but the unknown name and the expected list are what the user needs
    assert invalid("a.csv", "楼栋,房间号,建筑面积\n".encode()) == (
        "unknown column(s): 房间号 (expected: 楼栋 / building, 房号 / room, 建筑面积 / area (m²), 联系电话 / phone)")


def test_value_under_no_header():
    assert "row 3: column D" in invalid("a.csv", "楼栋,房号,建筑面积\n1,2,3\n1,2,3,4\n".encode())


def test_too_many_rows():
    data = ("楼栋,房号,建筑面积\n" + "1栋,1,1\n" * 3).encode()
    assert len(read_table("a.csv", data, COLUMNS, max_rows=3)) == 3
    assert "more than 2 rows" in invalid("a.csv", data, max_rows=2)


def test_header_only_is_no_rows_and_nothing_is_empty():
    assert read_table("a.csv", "楼栋,房号,建筑面积\n".encode(), COLUMNS) == []
    assert invalid("a.csv", b"") == "the file is empty"
    assert invalid("a.csv", "\ufeff\r\n , ,\r\n".encode()) == "the file is empty"
    assert invalid("a.xlsx", xlsx()) == "the file is empty"


@pytest.mark.parametrize("filename, data, expected", [
    ("roster.xlsx", qr_png("x"), "not a spreadsheet"),  # a PNG renamed .xlsx
    ("roster.csv", qr_png("x"), "not a valid .csv"),
    ("roster.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4, "not a valid .xlsx"),
    ("roster.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), ".xls"),
    ("roster.pdf", b"%PDF-1.7\n", "not a spreadsheet"),
    ("roster.csv", "楼栋,房号".encode("utf-16"), "not a valid .csv"),
])
def test_not_a_spreadsheet(filename, data, expected):
    assert expected in invalid(filename, data)


def test_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not a valid .xlsx" in invalid("roster.xlsx", buffer.getvalue())


def test_template_has_an_empty_import_sheet_and_an_example_sheet():
    data = template_xlsx(COLUMNS, [["1栋", "301", "89.37", "13800000000"]])
    workbook = load_workbook(io.BytesIO(data))
    imports, example = workbook.worksheets
    assert (imports.title, example.title) == ("导入 Import", "示例 Example")
    assert [cell.value for cell in imports[1]] == [c.label for c in COLUMNS]
    assert imports.max_row == 1
    assert [c.comment.text for c in imports[1]] == ["必填 Required"] * 3 + ["选填 Optional"]
    # typed IDs and phone numbers stay text instead of turning into 1.38E+10
    assert all(imports.column_dimensions[letter].number_format == "@" for letter in "ABCD")
    assert [cell.value for cell in example[2]] == ["1栋", "301", "89.37", "13800000000"]
    # the unfilled template reads as a file with no rows, never as the example rows
    assert read_table("template.xlsx", data, COLUMNS) == []
