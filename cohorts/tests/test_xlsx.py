"""The streaming XLSX writer (cohorts.xlsx): valid package, values read back as written."""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from cohorts import exports, xlsx

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def excel_text(value):
    """What Excel shows for a text read by openpyxl, which keeps the _xHHHH_ escapes."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def check_package(path):
    """A sound ZIP whose every part is well-formed XML; returns the sheet's XML root."""
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        assert set(names) == {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
        }
        # Our own output, not untrusted input.
        parts = {name: ElementTree.fromstring(package.read(name)) for name in names}  # noqa: S314
    return parts["xl/worksheets/sheet1.xml"]


def write(tmp_path, rows, sheet="answers"):
    path = tmp_path / "out.xlsx"
    xlsx.write_workbook(str(path), rows, sheet)
    check_package(path)
    return path


def test_round_trip(tmp_path):
    hostile = "a&b<c>d\"e'f"
    rows = [
        ["text", "number", "flag", "gap", "after gap"],
        ["港交所股份代號 中文", 42, True, None, "x"],
        ["  leading", -3.25, False, None, None],
        ["trailing\n", 1e-05, None, "", hostile],
        ["\tboth ", 12345678901234, None, None, "multi\nline\r\nnote\rwith breaks"],
        [" ", 0, 0.1 + 0.2, None, "tab\tinside"],
    ]
    path = write(tmp_path, rows)
    sheet = openpyxl.load_workbook(path).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values == rows
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet["C2"].data_type == "b" and sheet["B2"].data_type == "n"
    # Read-only mode (as the app's tests and users' scripts use it) reads the same.
    book = openpyxl.load_workbook(path, read_only=True)
    assert [row[0] for row in book.active.iter_rows(values_only=True)] == [r[0] for r in rows]


def test_no_cell_for_none_and_whitespace_preserved_in_xml(tmp_path):
    path = write(tmp_path, [["h1", "h2", "h3"], [None, " x ", None], ["a", None, "c"]])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<row r="2"><c r="B2" t="inlineStr"><is><t xml:space="preserve"> x </t>' in xml
    assert 'r="A2"' not in xml and 'r="C2"' not in xml and 'r="B3"' not in xml
    assert '<c r="A1" s="1" t="inlineStr">' in xml


def test_hostile_text_never_breaks_the_file(tmp_path):
    rows = [
        ["value"],
        ["nul\x00 and \x01\x02\x08\x0b\x0c\x0e\x1f controls"],
        ["lone \ud800 surrogate"],
        ["\ud800"],
        ["non-characters \ufffe\uffff"],
        ["_x0041_ looks like an Excel escape, _x005F_ too, _x00zz_ does not"],
        ["_x003D_HYPERLINK()"],
        ["a" * 40_000],
        ["😀" * 20_000],
        ["<script>&amp;</script>]]>"],
    ]
    path = write(tmp_path, rows)
    values = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
    assert values[1] == "nul and  controls"
    assert values[2] == "lone \ufffd surrogate" and values[3] == "\ufffd"
    assert values[4] == "non-characters "
    # openpyxl keeps the escape of the escape; Excel decodes it back to the original.
    assert values[5].startswith("_x005F_x0041_")
    assert excel_text(values[5]) == rows[5][0]
    assert excel_text(values[6]) == "_x003D_HYPERLINK()"  # not "=HYPERLINK()"
    assert values[7] == "a" * 32_767
    assert values[8] == "😀" * 16_383  # Excel counts UTF-16 units: 2 per emoji
    assert values[9] == rows[9][0]


def test_other_values(tmp_path):
    class Status(str):
        pass

    rows = [
        ["h"] * 7,
        [
            math.nan,
            math.inf,
            -math.inf,
            Decimal("2.50"),
            Decimal("sNaN"),
            date(1899, 12, 31),
            Status("submitted"),
        ],
    ]
    path = write(tmp_path, rows)
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[2]] == [
        "#NUM!",
        "#DIV/0!",
        "#DIV/0!",
        2.5,
        "#NUM!",
        "1899-12-31",  # before Excel's dates: text
        "submitted",
    ]
    assert [c.data_type for c in sheet[2]][:3] == ["e", "e", "e"]


def test_no_rows(tmp_path):
    path = write(tmp_path, iter([]))
    assert list(openpyxl.load_workbook(path).active.iter_rows(values_only=True)) == []
    root = check_package(path)
    assert root.find("m:sheetData", NS) is not None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("answers", "answers"),
        ('[a]:b*c?d/e\\f<&">', 'abcdef<&">'),
        ("'quoted'", "quoted"),
        ("x" * 40, "x" * 31),
        ("tab\tnew\nline\x00", "tabnewline"),
        ("[]:*?/\\", "Sheet1"),
        ("", "Sheet1"),
        ("history", "Sheet1"),
        ("\ud800", "\ufffd"),
    ],
)
def test_sheet_name(tmp_path, name, expected):
    path = write(tmp_path, [["h"]], sheet=name)
    assert openpyxl.load_workbook(path).sheetnames == [expected]


def test_column_letters():
    for index in (0, 25, 26, 51, 701, 702, 16_383):
        assert xlsx.column_letter(index) == get_column_letter(index + 1)


def test_wide_and_ragged_rows(tmp_path):
    rows = [["h"], list(range(30)), ["short"]]
    path = write(tmp_path, rows)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["AD2"].value == 29 and sheet["A3"].value == "short" and sheet["B3"].value is None


def test_too_many_rows_leaves_an_empty_file(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    path = tmp_path / "big.xlsx"
    with pytest.raises(ValueError, match="rows"):
        xlsx.write_workbook(str(path), [["h"]] * 4)
    assert path.read_bytes() == b""
    xlsx.write_workbook(str(path), [["h"]] * 3)
    assert len(list(openpyxl.load_workbook(path).active.iter_rows())) == 3


def test_a_failing_row_source_leaves_an_empty_file(tmp_path):
    def rows():
        yield ["h"]
        raise RuntimeError("database went away")

    path = tmp_path / "x.xlsx"
    with pytest.raises(RuntimeError):
        xlsx.write_workbook(str(path), rows())
    assert path.read_bytes() == b""


def test_writes_to_a_file_object():
    buffer = io.BytesIO()
    assert xlsx.write_workbook(buffer, [["h"], [1]]) == 2
    buffer.seek(0)
    assert list(openpyxl.load_workbook(buffer).active.values) == [("h",), (1,)]


FORMULA_LIKE = ["=Harbour", "=1+2", "+x", "@a", "-1", '=HYPERLINK("http://evil")', "plain"]


def test_formula_like_text_is_text_without_an_apostrophe(tmp_path):
    """An inline string is never a formula, so it needs no apostrophe to show."""
    handle = exports.xlsx_tempfile(iter([["h"] * 7, FORMULA_LIKE]), sheet="summary")
    with handle:
        book = openpyxl.load_workbook(handle)
        xml = zipfile.ZipFile(handle).read("xl/worksheets/sheet1.xml").decode()
    assert book.sheetnames == ["summary"]
    (cells,) = book.active.iter_rows(min_row=2)
    assert [c.value for c in cells] == FORMULA_LIKE
    assert all(c.data_type == "s" for c in cells)
    assert "<f>" not in xml and 't="inlineStr"><is><t>=Harbour</t>' in xml


def test_sized_frozen_and_filtered_for_read_only_readers(tmp_path):
    rows = [["code", "name", "score"], ["00700", "=Harbour", 71.5], ["00005", "中文", None]]
    path = write(tmp_path, rows)
    # openpyxl's read-only mode (what pandas.read_excel uses) sizes the sheet from the
    # <dimension> element: without it max_row is None and this raises.
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet.calculate_dimension() == "A1:C3"
    assert (sheet.max_row, sheet.max_column) == (3, 3)
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == rows
    book = openpyxl.load_workbook(path)
    assert book.active.freeze_panes == "A2"
    assert book.active.auto_filter.ref == "A1:C3"
    # Excel's own name for the filtered range.
    xml = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
    assert '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">' in xml
    assert "&apos;answers&apos;!$A$1:$C$3</definedName>" in xml
    widths = {k: d.width for k, d in book.active.column_dimensions.items()}
    assert widths["A"] >= xlsx.MIN_WIDTH and widths["B"] >= len("=Harbour")


def test_header_only_and_headerless_sheets(tmp_path):
    path = write(tmp_path, [["only", "a", "header"]])
    sheet = openpyxl.load_workbook(path).active
    assert sheet.auto_filter.ref == "A1:C1" and sheet.freeze_panes == "A2"
    path = tmp_path / "plain.xlsx"
    xlsx.write_workbook(str(path), [[1, 2], [3, 4]], header=False)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.auto_filter.ref is None and sheet.freeze_panes is None
    assert not sheet["A1"].font.b


def test_dates_are_date_cells(tmp_path):
    rows = [
        ["date", "at"],
        [date(2026, 6, 30), datetime(2026, 5, 4, 22, 46)],
        [date(1900, 3, 1), datetime(2026, 5, 4, 0, 0, 30)],
    ]
    path = write(tmp_path, rows)
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A2"].value == datetime(2026, 6, 30)
    assert sheet["B2"].value == datetime(2026, 5, 4, 22, 46)
    assert sheet["A3"].value == datetime(1900, 3, 1)
    assert sheet["B3"].value == datetime(2026, 5, 4, 0, 0, 30)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="A2" s="2"><v>46203</v></c>' in xml  # Excel's serial for 2026-06-30


def test_aware_datetimes_in_the_given_zone(tmp_path):
    at = datetime(2026, 5, 4, 15, 30, tzinfo=UTC)
    path = tmp_path / "tz.xlsx"
    xlsx.write_workbook(str(path), [["at"], [at]], tz=ZoneInfo("Asia/Hong_Kong"))
    assert openpyxl.load_workbook(path).active["A2"].value == datetime(2026, 5, 4, 23, 30)
    xlsx.write_workbook(str(path), [["at"], [at]])  # no zone given: its own wall-clock time
    assert openpyxl.load_workbook(path).active["A2"].value == datetime(2026, 5, 4, 15, 30)
