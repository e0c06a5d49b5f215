"""`devdata` exists only in development: installed with DEBUG on, in the test settings and
in the benchmarks' settings, never under production settings; no production module
imports it."""

from __future__ import annotations

import ast
import secrets
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from config.tests.test_settings_and_health import run_fresh

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("seed_demo", "generate_market", "demo_totp")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "ai-readiness.example.org",
}
_INSTALLED = (
    "import django; django.setup(); from django.apps import apps; "
    "print(apps.is_installed('devdata'))"
)


def test_production_settings_do_not_install_devdata():
    result = run_fresh("-c", _INSTALLED, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]


@pytest.mark.parametrize("command", COMMANDS)
def test_production_does_not_know_the_commands(command):
    result = run_fresh("manage.py", command, "--help", **PRODUCTION)
    assert result.returncode != 0
    assert f"Unknown command: '{command}'" in result.stderr


def test_development_installs_devdata_and_its_commands():
    result = run_fresh("-c", _INSTALLED, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]
    listed = run_fresh("manage.py", "help", "--commands", DEBUG="true")
    assert listed.returncode == 0, listed.stderr
    assert set(COMMANDS) <= set(listed.stdout.split())


def test_benchmark_settings_install_devdata_with_debug_off():
    script = "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'bench.settings'; " + _INSTALLED
    result = run_fresh("-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]


def test_test_settings_install_devdata_with_debug_off():
    assert settings.DEBUG is False
    assert apps.is_installed("devdata")


def _production_modules() -> list[Path]:
    """Every module of the apps and config, tests excepted (they may use devdata)."""
    packages = [p.parent for p in ROOT.glob("*/__init__.py")]
    skip = {"devdata", "bench", "tests"}
    return [
        path
        for package in packages
        if package.name not in skip
        for path in package.rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts and path.name != "conftest.py"
    ]


def _imports_devdata(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "devdata" or name.startswith("devdata.") for name in names):
            return True
    return False


def test_no_production_module_imports_devdata():
    modules = _production_modules()
    assert any(p.match("assessments/services.py") for p in modules)
    offenders = [str(p.relative_to(ROOT)) for p in modules if _imports_devdata(p)]
    assert offenders == []
