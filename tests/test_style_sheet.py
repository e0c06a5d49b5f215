"""One Hong Kong voice: no term the style sheet forbids in any Traditional Chinese text.

The terms, their preferred forms and the reasons live in
assessments/frameworks/style_terms.yaml (people read STYLE.md beside it). Checked here:
the zh-hant texts of every framework file not exempted there (loaded versions never
change), every msgstr of the UI catalogue and the Chinese in every template (pages,
e-mails, reports).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polib
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ROOT / "assessments" / "frameworks"
TERMS = FRAMEWORKS / "style_terms.yaml"
CATALOGUE = ROOT / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
TEMPLATES = ROOT / "templates"
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Term:
    forbidden: str
    preferred: str
    reason: str
    regex: re.Pattern[str]


@cache
def _sheet() -> dict[str, Any]:
    return yaml.safe_load(TERMS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _terms() -> tuple[Term, ...]:
    return tuple(
        Term(
            forbidden=t["forbidden"],
            preferred=t["preferred"],
            reason=t["reason"],
            regex=re.compile(t.get("pattern") or re.escape(t["forbidden"])),
        )
        for t in _sheet()["terms"]
    )


def violations(text: str) -> list[str]:
    """What the style sheet says about one Chinese text (empty: it follows the sheet)."""
    for name in _sheet()["allowed_names"]:
        text = text.replace(name, "")
    return [
        f"“{t.forbidden}” in “…{text[max(m.start() - 12, 0) : m.end() + 12]}…”: "
        f"write {t.preferred} ({t.reason})"
        for t in _terms()
        for m in [t.regex.search(text)]
        if m
    ]


def _zh_values(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh-hant" and isinstance(value, str):
                yield where, value
            else:
                yield from _zh_values(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _zh_values(value, f"{where}[{i}]")


def _exempt() -> set[str]:
    return {e["file"] for e in _sheet()["exempt_files"]}


def framework_texts() -> Iterator[tuple[str, str]]:
    for path in sorted(FRAMEWORKS.glob("v*.yaml")):
        if path.name not in _exempt():
            yield from _zh_values(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)


def catalogue_texts() -> Iterator[tuple[str, str]]:
    for entry in polib.pofile(str(CATALOGUE)):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                yield f"django.po: {entry.msgid[:60]!r}", text


def template_texts() -> Iterator[tuple[str, str]]:
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix in {".html", ".txt"}:
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CJK.search(line):
                    yield f"{path.relative_to(ROOT)}:{n}", line


SOURCES = {
    "framework": framework_texts,
    "catalogue": catalogue_texts,
    "templates": template_texts,
}


@pytest.mark.parametrize("source", SOURCES)
def test_no_forbidden_term_in_any_traditional_chinese_text(source):
    found = [f"{where}: {v}" for where, text in SOURCES[source]() for v in violations(text)]
    assert not found, "\n".join(found)


def test_only_loaded_versions_are_exempt_and_each_says_why():
    exempt = _sheet()["exempt_files"]
    assert {e["file"] for e in exempt} == {"v1.yaml", "v2.yaml"}
    assert all(e["reason"].strip() for e in exempt)
    assert any(FRAMEWORKS.glob("v*.yaml")) and set(_exempt()) < {
        p.name for p in FRAMEWORKS.glob("v*.yaml")
    }, "a newer framework version is checked"


def test_every_term_states_what_to_write_instead_and_why():
    assert len(_terms()) >= 15
    for term in _terms():
        assert term.preferred.strip() and term.reason.strip(), term.forbidden


@pytest.mark.parametrize(
    "text, term",
    [
        ("請你提交評估。", "你"),
        ("提升數據質量", "質量"),
        ("收集客戶反饋", "反饋"),
        ("電郵與任何帳戶不符", "帳"),
        ("雲端平臺", "平臺"),
        ("加強信息披露", "信息"),
        ("擴展應用場景", "場景"),
        ("以人工智能賦能員工", "賦能"),
        ("打通數據", "打通"),
        ("全鏈條管理", "全鏈條"),
        ("保障客戶隱私", "隱私"),
        ("港交所的要求", "港交所"),
        ("AI工具", "AI"),
        ("強項: 數據", "half-width"),
        ("收入增長…(13)", "half-width"),
    ],
)
def test_the_check_catches_each_kind_of_slip(text, term):
    assert any(f"“{term}" in v for v in violations(text)), violations(text)


@pytest.mark.parametrize(
    "text",
    [
        "請您提交AI就緒度評估。",
        "參考NIST AI RMF及ISO/IEC 42001。",
        "人工智能已嵌入核心流程（該維度得分達50分或以上）。",
        "第%(n)s級，%(name)s",
        "賬戶已存在",
    ],
)
def test_the_check_lets_good_hong_kong_text_through(text):
    assert violations(text) == []
