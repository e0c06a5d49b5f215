"""The streaming XLSX writer (cohorts.xlsx): valid package, values read back as written."""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime
from decimal import Decimal
from xml.etree import ElementTree

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
            datetime(2026, 5, 4, 22, 46, 59),
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
        "2026-05-04 22:46",
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


def test_export_helpers_keep_formulas_neutralised():
    rows = [["h"], [exports._cell(v) for v in ("=1+2", "+x", "@a", "-1", "plain")]]
    handle = exports.xlsx_tempfile(iter(rows), sheet="summary")
    with handle:
        book = openpyxl.load_workbook(handle)
    assert book.sheetnames == ["summary"]
    (cells,) = book.active.iter_rows(min_row=2)
    assert [c.value for c in cells] == ["'=1+2", "'+x", "'@a", "'-1", "plain"]
    assert all(c.data_type == "s" for c in cells)
