"""Views stay thin: no function in a `views.py` (or a `views/` package) runs over 40 lines.

A view validates, asks the access policy, calls one service and renders or redirects;
anything longer hides a workflow that belongs in a service, a presenter, a form or a
module of its own (see ARCHITECTURE.md, "Rules the code keeps").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_BODY_LINES = 40
# Third-party code lives in virtualenvs, including the one `make bench` builds under the
# git-ignored bench/.work/ for django-survey-and-report.
SKIP = {".venv", "node_modules", ".git", "tests", ".work", "site-packages", "staticfiles"}


def view_modules() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if SKIP & set(parts):
            continue
        if path.name == "views.py" or "views" in parts[:-1]:
            found.append(path)
    return sorted(found)


def long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    too_long = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.body[0].lineno + 1
            if length > MAX_BODY_LINES:
                name = f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
                too_long.append(f"{name} ({length} lines)")
    return too_long


def test_the_check_finds_the_views():
    names = {str(p.relative_to(ROOT)) for p in view_modules()}
    assert {"assessments/views.py", "cohorts/views.py", "accounts/views.py"} <= names


def test_no_view_function_is_longer_than_40_lines():
    too_long = [f for path in view_modules() for f in long_functions(path)]
    assert too_long == [], "split these (a service, presenter, form method or helper):\n" + (
        "\n".join(too_long)
    )
