"""A small streaming XLSX writer: one worksheet, flat memory, no dependencies.

Why not XlsxWriter: even in its constant-memory mode it spends ~9 µs of Python per cell
(a method call per cell, escaping regexes, a format lookup), which for the 2 million
cells of a market-wide answers export is most of the export's time. This module writes
the same minimal Office Open XML (ECMA-376) package directly: one string per row, built
with f-strings; per text cell, one character-class search picks the fast path (about
0.5 µs a cell in all, ~1 s of CPU for the 150,800 x 13 answers sheet).

The package (a ZIP file) holds only the parts Excel, LibreOffice and openpyxl need:

    [Content_Types].xml          content type of every part
    _rels/.rels                  -> xl/workbook.xml
    xl/workbook.xml              one <sheet>
    xl/_rels/workbook.xml.rels   -> worksheets/sheet1.xml, styles.xml
    xl/styles.xml                style 0 = default, style 1 = bold (the header row)
    xl/worksheets/sheet1.xml     the rows, streamed into the ZIP entry as they come

No docProps (optional in the standard, Excel does not ask for them), no theme, no
shared-strings table: text is written as inline strings (`t="inlineStr"`), so nothing
has to be kept in memory. The worksheet has no <dimension> element either (it is
optional, and must come before the rows, which are not counted yet at that point);
openpyxl in read-only mode therefore does not pad rows whose last cells are empty and
only knows the row count after reading them (`ws.calculate_dimension(force=True)`).

Values: str -> inline string (an empty string is an empty text cell, as XlsxWriter
wrote it), int/float -> number, bool -> boolean, None -> no cell. NaN and infinities,
which a number cell cannot hold, become the error values #NUM! and #DIV/0! (as
XlsxWriter's `nan_inf_to_errors` option writes them). Anything else is written as its
str(). Nothing is ever written as a formula: text cells that look like one stay text
(neutralising them for other programs is the caller's job, see cohorts.exports).

Text is made safe for XML and for Excel:
* characters XML 1.0 does not allow (C0 controls other than tab, LF and CR, U+FFFE,
  U+FFFF) are removed; lone surrogates (only possible in a Python str, not in UTF-8)
  become U+FFFD;
* a cell is cut to Excel's limit of 32,767 characters (counted in UTF-16 units, as
  Excel counts them, so a string of emoji is cut at 16,383);
* &, < and > are escaped; CR is written as the character reference &#13;, because an
  XML parser turns a literal CR (and CR LF) into LF;
* a literal "_xHHHH_" in the text is written as "_x005F_xHHHH_": Excel decodes
  _xHHHH_ in cell text to the character U+HHHH, so "_x003D_cmd" would otherwise show
  up as "=cmd" and undo the formula neutralisation. (openpyxl does not decode these
  escapes, so it reads such a rare string back with the _x005F_ prefix.)
* xml:space="preserve" is set when the text starts or ends with whitespace, or Excel
  would drop that whitespace.

ZIP: members are deflated at COMPRESSLEVEL (measured on the 150,000-row answers export,
see the comment there). The file is written through a seekable handle, so zipfile fills
in each member's sizes in its local header afterwards and writes no data descriptors.
ZIP64 is not forced on the worksheet member: Python's zipfile then writes a ZIP64
extra field in the local header only, which the central directory does not repeat, and
Excel is known to be strict about ZIP64 layouts. Without it, one worksheet can hold up
to 2 GiB of XML (zipfile's limit) -- about 20 times the 150,000-row answers export, and
more than Excel's 1,048,576 rows of such data; beyond that zipfile raises RuntimeError.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

# Excel's limits (https://support.microsoft.com/office/excel-specifications-and-limits).
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
MAX_SHEET_NAME = 31

# zlib level for every member, measured (CPU seconds to deflate, resulting size) on the
# 104 MB sheet of the 150,800-row market answers export:
#   level 1: 0.27 s, 12.1 MB   3: 0.38 s, 10.8 MB   5: 0.59 s, 9.6 MB
#   level 6 (zlib's default, what XlsxWriter used): 0.98 s, 9.4 MB   9: 6.0 s, 9.0 MB
# 5 is within 3 % of the default's size for 60 % of its time; the whole export (query,
# rows, XML, ZIP) takes ~5 s, so going lower would save 0.2-0.3 s for a 12-25 % bigger file.
COMPRESSLEVEL = 5

# Rows are encoded and handed to the compressor in batches of this many, so neither the
# per-row write overhead nor the batch's size (a few hundred KB) matters.
ROWS_PER_WRITE = 500

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_CONTENT_TYPES = (
    _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
    '.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
    "</Types>"
)

_ROOT_RELS = (
    _XML_DECL + f'<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

_WORKBOOK_RELS = (
    _XML_DECL + f'<Relationships xmlns="{_NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_NS_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)

# Style index 0: the default (Calibri 11); 1: the same in bold, for the header row.
# A stylesheet needs at least the two fills Excel reserves (none, gray125) and a border.
_STYLES = (
    _XML_DECL + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_SHEET_START = (
    _XML_DECL + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
    "<sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"

# Per text cell, one search of this character class plus `"_x" in text` and a length
# test decide between the fast path (write the text as it is, the case of almost every
# cell) and _text(): something to escape, remove or replace, a possible "_xHHHH_" to
# protect, or too long. (A single regex with a "|_x[0-9A-Fa-f]{4}_" alternative is about
# twice as slow as the character class alone.)
_needs_work = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]").search
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EXCEL_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
# Characters Excel refuses in a sheet name, and every control character.
_NOT_IN_SHEET_NAME = re.compile("[][:*?/\\\\\x00-\x1f\x7f]")
_XML_WHITESPACE = " \t\n\r"
# A str of at most this many code points is at most MAX_CELL_CHARS UTF-16 units long.
_SURELY_SHORT = MAX_CELL_CHARS // 2


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA", ..."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _utf16_cut(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units (Excel's way of counting)."""
    if len(text) * 2 <= limit:
        return text
    text = text[:limit]
    # Characters outside the BMP count twice. Dropping ceil(excess / 2) characters from
    # the end never drops more than needed (each is at most 2 units), so repeat until it
    # fits; the cut never splits a character (a str holds whole code points).
    while (excess := len(text.encode("utf-16-le", "surrogatepass")) // 2 - limit) > 0:
        text = text[: -((excess + 1) // 2)]
    return text


def clean_text(text: str, limit: int = MAX_CELL_CHARS) -> str:
    """`text` as Excel will show it: no XML-illegal characters, no lone surrogates, at
    most `limit` UTF-16 units. Not yet escaped for XML (see _text)."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    return _utf16_cut(text, limit)


def _text(text: str) -> str:
    """The slow path: cleaned, cut, then escaped for Excel (_xHHHH_) and XML."""
    text = clean_text(text)
    text = _EXCEL_ESCAPE.sub(r"_x005F\g<0>", text)
    return text.translate(_XML_ESCAPES)


def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: without []:*?/\\ and control characters, not
    starting or ending with an apostrophe, at most 31 characters, never empty (then
    "Sheet1") nor the reserved "History". Not escaped for XML."""
    name = clean_text(_NOT_IN_SHEET_NAME.sub("", name), limit=10_000)
    name = _utf16_cut(name.strip().strip("'"), MAX_SHEET_NAME).strip().strip("'")
    if not name or name.lower() == "history":
        return "Sheet1"
    return name


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _other(value: Any) -> tuple[str, str]:
    """(t attribute, cell body) for a value that is not exactly a str, int or float:
    NaN and infinities, subclasses (IntEnum, numpy floats, str enums), Decimal, dates."""
    if isinstance(value, bool):
        return ' t="b"', f"<v>{value:d}</v>"
    if isinstance(value, int):
        return "", f"<v>{int(value)}</v>"
    if isinstance(value, (float, Decimal)):
        if isinstance(value, Decimal) and value.is_nan():  # float() refuses a signaling NaN
            return ' t="e"', "<v>#NUM!</v>"
        number = float(value)
        if math.isnan(number):
            return ' t="e"', "<v>#NUM!</v>"
        if math.isinf(number):
            return ' t="e"', "<v>#DIV/0!</v>"
        return "", f"<v>{number!r}</v>"
    if isinstance(value, datetime):
        text = value.isoformat(" ")[:16]
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    if _needs_work(text) or "_x" in text or len(text) > _SURELY_SHORT:
        text = _text(text)
    if text and (text[0] in _XML_WHITESPACE or text[-1] in _XML_WHITESPACE):
        return ' t="inlineStr"', f'<is><t xml:space="preserve">{text}</t></is>'
    return ' t="inlineStr"', f"<is><t>{text}</t></is>"


def _row(number: int, values: Sequence[Any], columns: list[str], style: str) -> str:
    """One <row> element. `columns` holds the letters of at least len(values) columns;
    `style` is "" or ' s="1"'. The common types are handled inline, without a call."""
    cells: list[str] = []
    append = cells.append
    for column, value in zip(columns, values, strict=False):  # columns may be longer
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if _needs_work(value) or "_x" in value or len(value) > _SURELY_SHORT:
                value = _text(value)
            if value and (value[0] in _XML_WHITESPACE or value[-1] in _XML_WHITESPACE):
                append(
                    f'<c r="{column}{number}"{style} t="inlineStr">'
                    f'<is><t xml:space="preserve">{value}</t></is></c>'
                )
            else:
                append(f'<c r="{column}{number}"{style} t="inlineStr"><is><t>{value}</t></is></c>')
        elif kind is int:
            append(f'<c r="{column}{number}"{style}><v>{value}</v></c>')
        elif kind is float and value - value == 0:  # finite (inf - inf and NaN are NaN)
            append(f'<c r="{column}{number}"{style}><v>{value!r}</v></c>')
        elif kind is bool:
            append(f'<c r="{column}{number}"{style} t="b"><v>{value:d}</v></c>')
        else:
            kind_attr, body = _other(value)
            append(f'<c r="{column}{number}"{style}{kind_attr}>{body}</c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_workbook(
    path_or_file: str | IO[bytes],
    rows: Iterable[Sequence[Any]],
    sheet: str = "Sheet1",
    *,
    bold_header: bool = True,
    compresslevel: int = COMPRESSLEVEL,
) -> int:
    """Write `rows` (sequences of cell values; the first one, the header, in bold unless
    `bold_header` is False) as a one-sheet XLSX workbook. Returns the number of rows.

    Memory stays flat: rows are consumed one by one and the sheet is compressed into the
    ZIP file as it is written. Raises ValueError past Excel's 1,048,576 rows or 16,384
    columns. If anything fails half-way, a file given by path is left empty, not as a
    workbook that opens with part of the rows.
    """
    if isinstance(path_or_file, str):
        with open(path_or_file, "wb") as handle:
            try:
                return _write(handle, rows, sheet, bold_header, compresslevel)
            except BaseException:
                handle.seek(0)
                handle.truncate()
                raise
    return _write(path_or_file, rows, sheet, bold_header, compresslevel)


def _write(
    handle: IO[bytes],
    rows: Iterable[Sequence[Any]],
    sheet: str,
    bold_header: bool,
    compresslevel: int,
) -> int:
    workbook = (
        _XML_DECL + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
        "<bookViews><workbookView/></bookViews><sheets>"
        f'<sheet name="{_attribute(sheet_title(sheet))}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    count = 0
    with zipfile.ZipFile(
        handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    ) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(_SHEET_START.encode())
            columns: list[str] = []
            batch: list[str] = []
            style = ' s="1"' if bold_header else ""
            for values in rows:
                count += 1
                if count > MAX_ROWS:
                    raise ValueError(f"more than Excel's {MAX_ROWS:,} rows")
                if len(values) > len(columns):
                    if len(values) > MAX_COLUMNS:
                        raise ValueError(f"more than Excel's {MAX_COLUMNS:,} columns")
                    columns = [column_letter(i) for i in range(len(values))]
                batch.append(_row(count, values, columns, style))
                style = ""
                if len(batch) >= ROWS_PER_WRITE:
                    # Every lone surrogate was replaced; "replace" is only a safety net.
                    out.write("".join(batch).encode("utf-8", "replace"))
                    batch.clear()
            batch.append(_SHEET_END)
            out.write("".join(batch).encode("utf-8", "replace"))
    return count
