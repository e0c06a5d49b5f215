"""A small streaming XLSX writer: one worksheet, flat memory, no dependencies.

Why not XlsxWriter: even in its constant-memory mode it spends ~9 µs of Python per cell
(a method call per cell, escaping regexes, a format lookup), which for the 2.4 million
cells of a market-wide answers export is most of the export's time: measured again with
the same rows and features (bench/xlsx_writers.py, docs/PERFORMANCE.md), 18.7 s of CPU
against 5.7 s for the whole export with this module, over the 10 s target on its own.
(It also writes a string that starts with "<r>" and ends with "</r>" as raw XML.) This
module writes the same minimal Office Open XML (ECMA-376) package directly: one string
per row, built with f-strings; per text cell, one character-class search picks the fast
path (about 0.5 µs a cell in all).

The package (a ZIP file) holds only the parts Excel, LibreOffice and openpyxl need:

    [Content_Types].xml          content type of every part
    _rels/.rels                  -> xl/workbook.xml
    xl/workbook.xml              one <sheet>
    xl/_rels/workbook.xml.rels   -> worksheets/sheet1.xml, styles.xml
    xl/styles.xml                0 default, 1 bold (header), 2 date, 3 date and time
    xl/worksheets/sheet1.xml     the rows (with dimension, frozen header, filter)

No docProps (optional in the standard, Excel does not ask for them), no theme, no
shared-strings table: text is written as inline strings (`t="inlineStr"`), so nothing
has to be kept in memory.

The worksheet is what a person following up a list needs and what read-only readers
need to size it: a <dimension> element (openpyxl's `read_only=True`, which pandas uses,
takes the sheet's size from it), the header row frozen (a <pane>) and an <autoFilter>
over header and data (with the `_xlnm._FilterDatabase` name Excel itself writes), and
column widths guessed from the header and the first rows (a date in a column of the
default width shows as "########"). The dimension comes before the rows in the XML but
is known only after them, so the rows are streamed into a temporary file first and
copied into the ZIP entry behind the head (disk, not memory: ~100 MB for the
market-wide answers export, which page cache makes a ~0.1 s copy).

Values: str -> inline string (an empty string is an empty text cell, as XlsxWriter
wrote it), int/float -> number, bool -> boolean, None -> no cell, date -> a date cell
(a serial number styled yyyy-mm-dd), datetime -> a date-time cell (yyyy-mm-dd hh:mm) in
the wall-clock time of `tz` if it is aware and `tz` is given, else in its own (Excel has
no time zones). NaN and infinities, which a number cell cannot hold, become the
error values #NUM! and #DIV/0! (as XlsxWriter's `nan_inf_to_errors` option writes them).
Anything else is written as its str(). Nothing is ever written as a formula: a text cell
is text whatever it starts with, so "=Harbour" reads back as "=Harbour" with no
apostrophe to show (CSV has no cell types: cohorts.exports neutralises formulas there).

Text is made safe for XML and for Excel:
* characters XML 1.0 does not allow (C0 controls other than tab, LF and CR, U+FFFE,
  U+FFFF) are removed; lone surrogates (only possible in a Python str, not in UTF-8)
  become U+FFFD;
* a cell is cut to Excel's limit of 32,767 characters (counted in UTF-16 units, as
  Excel counts them, so a string of emoji is cut at 16,383);
* &, < and > are escaped; CR is written as the character reference &#13;, because an
  XML parser turns a literal CR (and CR LF) into LF;
* a literal "_xHHHH_" in the text is written as "_x005F_xHHHH_": Excel decodes
  _xHHHH_ in cell text to the character U+HHHH, so text must not be able to spell
  characters it does not hold (a control character, say). (openpyxl does not decode these
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
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, tzinfo
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

# Style index 0: the default (Calibri 11); 1: the same in bold, for the header row;
# 2: a date, 3: a date and time (ISO order, the same in every locale; Excel's built-in
# date format 14 follows the reader's regional settings, m/d/yyyy in the US).
# A stylesheet needs at least the two fills Excel reserves (none, gray125) and a border.
STYLE_DATE = ' s="2"'
STYLE_DATETIME = ' s="3"'
_STYLES = (
    _XML_DECL + f'<styleSheet xmlns="{_NS_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_SHEET_START = _XML_DECL + f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
_VIEW = '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
# The first row stays in view while scrolling (View > Freeze Panes > Freeze Top Row).
_VIEW_FROZEN_HEADER = (
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
)

# Day 0 of Excel's 1900 date system, as the serial numbers from 1 March 1900 on count
# (Excel's phantom 29 February 1900 makes earlier serials one off: those dates are
# written as text).
_EPOCH = datetime(1899, 12, 30)
_FIRST_SERIAL_DATE = date(1900, 3, 1)
# Column widths (in characters of the default font) are guessed from this many rows.
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH = 8.0
MAX_WIDTH = 60.0
_DATE_WIDTH = 11.0
_DATETIME_WIDTH = 17.0

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


def _serial(value: date) -> float | None:
    """Excel's serial number of a date or datetime (days since _EPOCH), None before
    1 March 1900 or past Excel's last day, 9999-12-31 (only year 9999 is Python's too)."""
    if isinstance(value, datetime):
        if value.date() < _FIRST_SERIAL_DATE:
            return None
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400
    if value < _FIRST_SERIAL_DATE:
        return None
    return float((value - _EPOCH.date()).days)


def _other(value: Any, style: str = "", tz: tzinfo | None = None) -> tuple[str, str]:
    """(style and t attributes, cell body) for a value that is not exactly a str, int or
    float: NaN and infinities, subclasses (IntEnum, numpy floats, str enums), Decimal,
    dates. `style` is the row's (the header's bold); a date without one gets its own."""
    if isinstance(value, date):
        if tz is not None and isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(tz)
        serial = _serial(value)
        if serial is not None:
            if not style:
                style = STYLE_DATETIME if isinstance(value, datetime) else STYLE_DATE
            return style, f"<v>{serial!r}</v>" if serial % 1 else f"<v>{serial:.0f}</v>"
    if isinstance(value, bool):
        return style + ' t="b"', f"<v>{value:d}</v>"
    if isinstance(value, int):
        return style, f"<v>{int(value)}</v>"
    if isinstance(value, (float, Decimal)):
        if isinstance(value, Decimal) and value.is_nan():  # float() refuses a signaling NaN
            return style + ' t="e"', "<v>#NUM!</v>"
        number = float(value)
        if math.isnan(number):
            return style + ' t="e"', "<v>#NUM!</v>"
        if math.isinf(number):
            return style + ' t="e"', "<v>#DIV/0!</v>"
        return style, f"<v>{number!r}</v>"
    if isinstance(value, datetime):
        text = value.isoformat(" ")[:16]
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    if _needs_work(text) or "_x" in text or len(text) > _SURELY_SHORT:
        text = _text(text)
    if text and (text[0] in _XML_WHITESPACE or text[-1] in _XML_WHITESPACE):
        return style + ' t="inlineStr"', f'<is><t xml:space="preserve">{text}</t></is>'
    return style + ' t="inlineStr"', f"<is><t>{text}</t></is>"


def _row(
    number: int, values: Sequence[Any], columns: list[str], style: str, tz: tzinfo | None
) -> str:
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
            attributes, body = _other(value, style, tz)
            append(f'<c r="{column}{number}"{attributes}>{body}</c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _width(value: Any) -> float:
    """About how many characters of the default font `value` takes (East Asian
    characters count twice; a multi-line text by its longest line)."""
    if isinstance(value, datetime):
        return _DATETIME_WIDTH
    if isinstance(value, date):
        return _DATE_WIDTH
    if isinstance(value, str):
        line = max(value.split("\n"), key=len) if "\n" in value else value
        return len(line) + sum(1 for ch in line if ch >= "\u2e80")
    if value is None:
        return 0.0
    return len(str(value)) + 1.0


def _cols(widths: list[float]) -> str:
    if not widths:
        return ""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{max(MIN_WIDTH, min(MAX_WIDTH, w)):.1f}" '
        'customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    return f"<cols>{cols}</cols>"


def write_workbook(
    path_or_file: str | IO[bytes],
    rows: Iterable[Sequence[Any]],
    sheet: str = "Sheet1",
    *,
    header: bool = True,
    tz: tzinfo | None = None,
    compresslevel: int = COMPRESSLEVEL,
) -> int:
    """Write `rows` (sequences of cell values) as a one-sheet XLSX workbook. Returns the
    number of rows. With `header` (the default) the first row is the header: bold,
    frozen, and the autofilter covers it and every row below. Aware datetimes are
    written in `tz`'s wall-clock time when it is given.

    Memory stays flat: rows are consumed one by one and written to a temporary file,
    then compressed into the ZIP file behind the sheet's head (see the module's
    docstring). Raises ValueError past Excel's 1,048,576 rows or 16,384 columns. If
    anything fails half-way, a file given by path is left empty, not as a workbook that
    opens with part of the rows.
    """
    if isinstance(path_or_file, str):
        with open(path_or_file, "wb") as handle:
            try:
                return _write(handle, rows, sheet, header, tz, compresslevel)
            except BaseException:
                handle.seek(0)
                handle.truncate()
                raise
    return _write(path_or_file, rows, sheet, header, tz, compresslevel)


def _sheet_rows(
    rows: Iterable[Sequence[Any]], body: IO[bytes], header: bool, tz: tzinfo | None
) -> tuple[int, int, list[float]]:
    """The <row> elements of `rows`, written to `body`; returns (rows, columns, widths)."""
    count = 0
    columns: list[str] = []
    widths: list[float] = []
    batch: list[str] = []
    style = ' s="1"' if header else ""
    for values in rows:
        count += 1
        if count > MAX_ROWS:
            raise ValueError(f"more than Excel's {MAX_ROWS:,} rows")
        if len(values) > len(columns):
            if len(values) > MAX_COLUMNS:
                raise ValueError(f"more than Excel's {MAX_COLUMNS:,} columns")
            columns = [column_letter(i) for i in range(len(values))]
            widths += [0.0] * (len(values) - len(widths))
        if count <= WIDTH_SAMPLE_ROWS:
            # The header's filter button takes about two characters.
            extra = 2.0 if style else 0.0
            for i, value in enumerate(values):
                widths[i] = max(widths[i], _width(value) + extra)
        batch.append(_row(count, values, columns, style, tz))
        style = ""
        if len(batch) >= ROWS_PER_WRITE:
            # Every lone surrogate was replaced; "replace" is only a safety net.
            body.write("".join(batch).encode("utf-8", "replace"))
            batch.clear()
    body.write("".join(batch).encode("utf-8", "replace"))
    return count, len(columns), widths


def _write(
    handle: IO[bytes],
    rows: Iterable[Sequence[Any]],
    sheet: str,
    header: bool,
    tz: tzinfo | None,
    compresslevel: int,
) -> int:
    title = sheet_title(sheet)
    with tempfile.TemporaryFile() as body:
        count, width, widths = _sheet_rows(rows, body, header, tz)
        last = f"{column_letter(max(width, 1) - 1)}{max(count, 1)}"
        filtered = header and count > 0 and width > 0
        head = (
            _SHEET_START
            + f'<dimension ref="{"A1" if last == "A1" else "A1:" + last}"/>'
            + (_VIEW_FROZEN_HEADER if filtered else _VIEW)
            + _cols(widths)
            + "<sheetData>"
        )
        tail = "</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if filtered else "")
        tail += "</worksheet>"
        # The name Excel gives a sheet's filter range; it finds the filter without it,
        # some other readers look for it.
        quoted = "'" + title.replace("'", "''") + "'"
        names = (
            "<definedNames>"
            '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{_attribute(quoted)}!$A$1:${last.rstrip('0123456789')}${max(count, 1)}"
            "</definedName></definedNames>"
            if filtered
            else ""
        )
        workbook = (
            _XML_DECL + f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
            "<bookViews><workbookView/></bookViews><sheets>"
            f'<sheet name="{_attribute(title)}" sheetId="1" r:id="rId1"/>'
            f"</sheets>{names}</workbook>"
        )
        body.seek(0)
        with zipfile.ZipFile(
            handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        ) as package:
            package.writestr("[Content_Types].xml", _CONTENT_TYPES)
            package.writestr("_rels/.rels", _ROOT_RELS)
            package.writestr("xl/workbook.xml", workbook)
            package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
            package.writestr("xl/styles.xml", _STYLES)
            with package.open("xl/worksheets/sheet1.xml", "w") as out:
                out.write(head.encode())
                shutil.copyfileobj(body, out, 1 << 20)
                out.write(tail.encode())
    return count
