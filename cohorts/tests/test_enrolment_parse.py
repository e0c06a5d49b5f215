"""Reading an enrolment file: stock codes, labels and headers in either language,
encodings, empty rows, extra columns, duplicates. No database needed for most."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import normalise_stock_code
from cohorts.enrolment import EnrolmentFileError, parse, parse_stock_code, validate_row

HEADER = "stock_code,name_en,name_zh,industry,board,email\n"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def row(**kw: str):
    values = {
        "stock_code": "700",
        "name_en": "Victoria Harbour Tech Limited",
        "name_zh": "",
        "industry": "Information Technology",
        "board": "Main Board",
        "email": "cfo@vht.example",
    }
    return validate_row(values | kw)


@given(st.integers(min_value=0, max_value=99_999))
def test_every_way_files_write_a_stock_code_means_the_same_five_digits(n):
    expected = f"{n:05d}"
    forms = [
        str(n),
        f"{n:04d}",
        expected,
        f"{n:04d}.HK",
        f"{n:04d}.hk",
        f"{n:04d} HK",
        f" {n} ",
        f"{n:05d}".translate(FULL_WIDTH),
        f"HK:{n}",
    ]
    for form in forms:
        assert parse_stock_code(form) == expected, form


@given(st.text(max_size=20))
def test_anything_else_is_refused_with_value_error_and_never_reaches_the_record_malformed(text):
    try:
        code = parse_stock_code(text)
    except ValueError:
        return
    assert len(code) == 5 and code.isascii() and code.isdigit()


@pytest.mark.parametrize("raw", ["123456", "12a", "", "HK", "7 00", "0700.HKX", "-700", "٧٠٠"])
def test_not_stock_codes(raw):
    with pytest.raises(ValueError):
        parse_stock_code(raw)


def test_the_strict_normaliser_for_typed_codes_is_unchanged():
    assert normalise_stock_code("700") == "00700"
    with pytest.raises(ValueError):
        normalise_stock_code("0700.HK")


@pytest.mark.parametrize("ui", ["en", "zh-hant"])
@pytest.mark.parametrize(
    ("industry", "board", "expected"),
    [
        ("Information Technology", "Main Board", ("information_technology", "main")),
        ("資訊科技業", "主板", ("information_technology", "main")),
        ("information_technology", "gem", ("information_technology", "gem")),
        ("  properties & construction ", "創業板", ("properties_construction", "gem")),
        ("地產建築業", "創業板 (GEM)", ("properties_construction", "gem")),
        ("Ｆｉｎａｎｃｉａｌｓ", "Ｍａｉｎ　Ｂｏａｒｄ", ("financials", "main")),  # full-width
        ("CONSUMER STAPLES", "GEM", ("consumer_staples", "gem")),
    ],
)
def test_industry_and_board_labels_in_either_language_whatever_the_ui(
    ui, industry, board, expected
):
    with translation.override(ui):
        r = row(industry=industry, board=board)
    assert r.errors == []
    assert (r.values["industry"], r.values["board"]) == expected


def test_unknown_values_list_the_valid_ones_in_the_readers_language():
    with translation.override("en"):
        r = row(industry="Property", board="Moon")
    assert any(
        "Unknown industry “Property”" in e and "Properties & Construction" in e for e in r.errors
    )
    assert any("Main Board, GEM" in e for e in r.errors)
    with translation.override("zh-hant"):
        r = row(industry="Property")
    assert any("地產建築業" in e and "能源業" in e for e in r.errors)
    assert not any("properties_construction" in e for e in r.errors)


def test_headers_in_chinese_extra_columns_and_empty_rows():
    text = (
        "股份代號,英文名稱,中文名稱,行業,上市板塊,負責人電郵,聯絡人姓名,Phone\r\n"
        "0700.HK,Victoria Harbour Tech Limited,維港科技有限公司,資訊科技業,主板,"
        "cfo@vht.example,陳大文,1234\r\n"
        ",,,,,,,\r\n"
        "  ,, ,,,,,\r\n"
        "8123,Lantau Foods Limited,大嶼食品有限公司,必需性消費,創業板,lead@lantau.example,,\r\n"
    )
    parsed = parse(("\ufeff" + text).encode())
    assert [r.values["stock_code"] for r in parsed.rows] == ["00700", "08123"]
    assert all(r.ok for r in parsed.rows)
    assert [r.line for r in parsed.rows] == [2, 5]
    assert parsed.empty == 2
    assert parsed.unused == ["聯絡人姓名", "Phone"]
    assert parsed.encoding == "utf-8-sig"


def test_english_template_labels_and_codes_are_headers_too():
    parsed = parse(
        b"Stock code,English name,Chinese name,Industry,Board,Lead's e-mail\n"
        b"700,A Limited,,Energy,Main Board,a@a.example\n"
    )
    assert parsed.rows[0].ok and parsed.unused == []


def test_a_missing_column_is_named_and_the_expected_ones_listed():
    with pytest.raises(EnrolmentFileError) as exc:
        parse(b"stock_code,name_en\n1,x\n")
    assert "Industry" in str(exc.value) and "Lead's e-mail" in str(exc.value)
    with pytest.raises(EnrolmentFileError, match="appears twice"):
        parse(b"stock_code,code,name_en,industry,board,email\n")


def test_a_duplicate_names_the_first_line():
    parsed = parse(
        (
            HEADER
            + "700,A Limited,,Energy,Main Board,a@a.example\n"
            + ",,,,,\n"
            + "0700.HK,A again,,Energy,Main Board,b@a.example\n"
        ).encode()
    )
    first, second = parsed.rows
    assert first.ok
    assert second.errors == ["Same stock code as line 2: this line is not imported."]


def test_big5_is_read_and_said_and_undecodable_bytes_are_a_message():
    text = (
        HEADER
        + "700,Victoria Harbour Tech Limited,維港科技有限公司,資訊科技業,創業板,a@a.example\n"
    )
    parsed = parse(text.encode("big5"))
    assert parsed.rows[0].values["name_zh"] == "維港科技有限公司" and parsed.rows[0].ok
    assert parsed.encoding in ("big5hkscs", "cp950")
    assert "Big5" in parsed.encoding_label
    with pytest.raises(EnrolmentFileError, match="UTF-8 or Big5"):
        parse(HEADER.encode() + b"\xff\xfe\xfa\x80\x81\x00\xff\n")


def test_tab_separated_excel_text_is_read():
    parsed = parse(
        b"stock_code\tname_en\tname_zh\tindustry\tboard\temail\n"
        b"700\tA Limited\t\tEnergy\tMain Board\ta@a.example\n"
    )
    assert parsed.rows[0].ok


def test_excel_unicode_text_is_read_with_its_byte_order_mark():
    text = (
        "股份代號\t英文名稱\t中文名稱\t行業\t上市板塊\t負責人電郵\r\n"
        "700\tA Limited\t甲有限公司\t能源業\t主板\ta@a.example\r\n"
    )
    parsed = parse(text.encode("utf-16"))
    assert parsed.encoding == "utf-16" and parsed.rows[0].ok
    assert parsed.rows[0].values["name_zh"] == "甲有限公司"
