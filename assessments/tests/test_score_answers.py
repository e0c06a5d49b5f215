"""`manage.py score_answers`: answers from a file, scores as JSON, clear errors (exit 2)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from assessments import selectors
from assessments.framework import Framework, ItemDef
from assessments.models import FrameworkVersion

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, content: Any, raw: bool = False) -> str:
    path = tmp_path / "answers.json"
    path.write_text(content if raw else json.dumps(content), encoding="utf-8")
    return str(path)


def _run(path: str, *args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("score_answers", "--answers", path, *args, stdout=out)
    return json.loads(out.getvalue())


def _level_answer(item: ItemDef, level: int) -> Any:
    if item.kind == "maturity":
        return level
    for option in item.options:
        if option.score == (level - 1) * 25:
            return option.code
    return "dont_know"


@pytest.fixture
def fw2(framework, framework_v2) -> Framework:
    """Both shipped versions loaded, v2 last: the default."""
    return selectors.framework_of(framework_v2)


def test_dont_know_everywhere_but_governance_at_five_has_no_overall_and_is_provisional(
    fw2, tmp_path
):
    answers = {
        i.code: 5 if i.shift_code == "governance" and i.kind == "maturity" else "dont_know"
        for i in fw2.iter_items()
    }
    out = _run(_write(tmp_path, answers))
    assert out["framework"] == fw2.version == "2026.2"
    assert out["overall"] is None and out["level"] is None
    assert out["provisional"] is True
    shifts = {s["code"]: s for s in out["shifts"]}
    assert shifts["governance"]["score"] == 100 and shifts["governance"]["level"] == 5
    assert shifts["governance"]["completeness"] == 1
    assert shifts["profit"]["score"] is None and shifts["profit"]["completeness"] == 0
    assert {"code", "score", "level", "completeness"} <= set(out["dimensions"][0])


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_all_answers_at_level_l_give_level_l(fw2, tmp_path, level):
    answers = {i.code: _level_answer(i, level) for i in fw2.iter_items() if i.scored}
    out = _run(_write(tmp_path, answers))
    assert out["level"] == level and out["overall"] == (level - 1) * 25
    assert all(s["level"] == level for s in out["shifts"])
    assert all(d["level"] in (level, None) for d in out["dimensions"])


def test_the_rules_one_version_scores_as_it_always_did(fw2, tmp_path):
    v1 = selectors.framework_of(FrameworkVersion.objects.get(version="2026.1"))
    answers = {i.code: _level_answer(i, 4) for i in v1.iter_items() if i.kind == "maturity"}
    answers.update({i.code: "production" for i in v1.iter_items() if i.value_chain_stage})
    out = _run(_write(tmp_path, answers), "--framework", "2026.1")
    assert out["scoring_rules"] == 1
    value_chain = next(d for d in out["dimensions"] if d["code"] == "profit.value_chain")
    assert value_chain["score"] == 70 and value_chain["level"] == 4  # rules 1, unchanged


def test_not_applicable_where_the_framework_allows_it(fw2, tmp_path):
    answers = {i.code: _level_answer(i, 3) for i in fw2.iter_items() if i.scored}
    answers["profit.value_chain.rnd"] = "na"
    out = _run(_write(tmp_path, answers))
    assert out["level"] == 3 and out["provisional"] is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ('{"profit.nothing.q1": 3}', "profit.nothing.q1: not an item of framework 2026.2"),
        ('{"governance.oversight.board": 6}', "governance.oversight.board (maturity): expects a"),
        ('{"governance.oversight.board": "3"}', "governance.oversight.board (maturity)"),
        ('{"governance.oversight.board": true}', "governance.oversight.board (maturity)"),
        ('{"governance.oversight.board": "na"}', 'governance.oversight.board: "na" is not'),
        ('{"profit.value_chain.rnd": "lots"}', 'expects one of "none", "pilot"'),
        ('{"profit.value_chain.rnd": 3}', "profit.value_chain.rnd (choice)"),
        ('{"profit.cost_structure.ai_spend": "much"}', "expects a number from 0 to 100"),
        ('{"profit.cost_structure.ai_spend": 250}', "profit.cost_structure.ai_spend (figure)"),
        ('{"profit.cost_structure.ai_spend": "na"}', '"na" is not allowed'),
    ],
)
def test_a_bad_file_gets_a_clear_error_naming_the_item(fw2, tmp_path, content, message):
    with pytest.raises(CommandError, match=re.escape(message)) as exc:
        _run(_write(tmp_path, content, raw=True))
    assert exc.value.returncode == 2


def test_every_bad_entry_is_listed_at_once(fw2, tmp_path):
    path = _write(tmp_path, {"a.b.c": 1, "governance.oversight.board": 0})
    with pytest.raises(CommandError) as exc:
        _run(path)
    assert "a.b.c" in str(exc.value) and "governance.oversight.board" in str(exc.value)


def test_a_missing_file_and_an_unknown_version(fw2, tmp_path):
    with pytest.raises(CommandError, match="no such file") as exc:
        _run(str(tmp_path / "missing.json"))
    assert exc.value.returncode == 2
    path = _write(tmp_path, {})
    with pytest.raises(CommandError, match=re.escape("'1999.1' is not loaded")) as exc:
        _run(path, "--framework", "1999.1")
    assert exc.value.returncode == 2


def test_no_framework_loaded(tmp_path):
    with pytest.raises(CommandError, match="No framework is loaded"):
        _run(_write(tmp_path, {}))


def test_from_the_shell_an_error_is_one_line_and_exit_code_2(tmp_path):
    """Through manage.py as an analyst runs it: a message on stderr, never a traceback.
    (A bad file fails before any query, so the child needs no database.)"""
    path = _write(tmp_path, "{broken", raw=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    done = subprocess.run(
        [sys.executable, "manage.py", "score_answers", "--answers", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "not JSON" in done.stderr
