"""Every UI string has a Traditional Chinese translation, and the compiled catalogue is current."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# (置 is written the same in both scripts, so only 设 of 设置 is here.)
SIMPLIFIED_ONLY = set("数据业务发这们与个为对现实产应该术场组织险监会时间请设选择")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def test_catalogue_is_complete(catalogue):
    assert not catalogue.untranslated_entries()
    assert not catalogue.fuzzy_entries()
    assert len(catalogue.translated_entries()) >= 150


def test_placeholders_survive_translation(catalogue):
    for entry in catalogue.translated_entries():
        targets = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for target in targets:
            expected = sorted(PLACEHOLDER.findall(entry.msgid))
            assert sorted(PLACEHOLDER.findall(target)) == expected, entry.msgid


def test_translations_are_traditional_characters(catalogue):
    for entry in catalogue.translated_entries():
        text = entry.msgstr or " ".join(entry.msgstr_plural.values())
        assert not SIMPLIFIED_ONLY & set(text), (entry.msgid, text)


def test_compiled_catalogue_matches_the_source(catalogue):
    compiled = polib.mofile(str(MO))
    compiled_map = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in compiled}
    for entry in catalogue.translated_entries():
        expected = entry.msgstr or {int(k): v for k, v in entry.msgstr_plural.items()}
        got = compiled_map.get((entry.msgctxt, entry.msgid))
        if isinstance(got, dict):
            got = {int(k): v for k, v in got.items()}
        assert got == expected, f"run `make messages`: {entry.msgid!r} is stale in django.mo"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext not installed")
def test_every_translatable_string_in_the_code_is_in_the_catalogue(tmp_path, catalogue):
    """Extract afresh into a scratch copy; nothing may be missing from the committed .po."""
    scratch = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "staticfiles", "media", "test-artifacts", "*.sqlite3*"
    )
    shutil.copytree(ROOT, scratch, ignore=ignore)
    env = {"DEBUG": "true", "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    python = str(ROOT / ".venv" / "bin" / "python")
    result = subprocess.run(
        [python, "manage.py", "makemessages", "-l", "zh_Hant", "--no-obsolete"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(scratch / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"))
    missing = {e.msgid for e in fresh} - {e.msgid for e in catalogue if e.msgstr or e.msgstr_plural}
    assert not missing, f"untranslated, run `make messages` and translate: {sorted(missing)[:10]}"


def test_a_ui_string_renders_in_chinese():
    with translation.override("zh-hant"):
        assert translation.gettext("Save and continue") != "Save and continue"


def test_the_reader_is_addressed_as_nin_and_accounts_are_zhang(catalogue):
    """House style: 您, never 你; 賬 (賬戶), not 帳. Also e-mails, which no crawl reads."""
    for entry in catalogue.translated_entries():
        targets = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for target in targets:
            assert "你" not in target and "帳" not in target, (entry.msgid, target)
