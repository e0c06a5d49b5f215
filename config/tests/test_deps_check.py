"""`make deps-check` (config/deps_check.py) against a package index served on loopback.

The index is a real HTTP server in a thread with files laid out as PEP 503 says (and one
project answered in PEP 691 JSON, as PyPI answers), so the test exercises the same fetch
and parsing as against PyPI, without depending on the network. `.ci/run` runs the check
against the real index as well.
"""

from __future__ import annotations

import io
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config import deps_check

HTML = {
    "django": [
        "Django-5.2.19.tar.gz",
        "Django-5.2.19-py3-none-any.whl",
        "Django-5.2.20-py3-none-any.whl",
        "Django-5.2.21rc1-py3-none-any.whl",  # a pre-release is no update
        "Django-6.0-py3-none-any.whl",  # another series: listed as latest, never required
    ],
    "ruff": ["ruff-0.17.6.tar.gz", "ruff-0.17.7.tar.gz"],
}
JSON = {
    "pillow": [
        {"filename": "pillow-13.0.0.tar.gz"},
        {"filename": "pillow-13.0.1.tar.gz", "yanked": "broken wheel"},  # yanked: no update
    ],
}


class _Index(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[-1]
        if name in JSON and "application/vnd.pypi.simple.v1+json" in self.headers["Accept"]:
            body = json.dumps({"meta": {"api-version": "1.1"}, "files": JSON[name]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def index(tmp_path: Path):
    root = tmp_path / "simple"
    for name, files in HTML.items():
        (root / name).mkdir(parents=True)
        anchors = "".join(f'<a href="../../files/{f}">{f}</a>\n' for f in files)
        (root / name / "index.html").write_text(f"<html><body>{anchors}</body></html>")
    (root / "gunicorn").mkdir()
    (root / "gunicorn" / "index.html").write_text(
        '<a href="x" data-yanked="">gunicorn-27.0.2.tar.gz</a>'
        '<a href="y">gunicorn-27.0.1.tar.gz</a>'
    )

    def handler(*args, **kwargs):
        return _Index(*args, directory=str(tmp_path), **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def _run(tmp_path: Path, index_url: str, *lines: str) -> tuple[int, str]:
    req = tmp_path / "requirements.txt"
    req.write_text("\n".join(lines) + "\n")
    findings = deps_check.check(deps_check.pins_read([req]), index_url=index_url)
    out = io.StringIO()
    return deps_check.report(findings, out), out.getvalue()


def test_a_stale_security_pin_fails_and_names_the_patch(tmp_path, index):
    code, out = _run(tmp_path, index, "Django==5.2.19", "ruff==0.17.7")
    assert code == 1
    assert "django 5.2.19 → 5.2.20" in out
    assert "6.0" in out  # the newest release is shown for information
    assert "5.2.21rc1" not in out


def test_up_to_date_security_pins_pass_while_other_pins_are_only_listed(tmp_path, index):
    code, out = _run(tmp_path, index, "django==5.2.20", "ruff==0.17.6", "Pillow==13.0.0")
    assert code == 0, out
    ruff_line = next(line for line in out.splitlines() if line.startswith("ruff "))
    assert "0.17.7" in ruff_line and "behind" in ruff_line
    pillow_line = next(line for line in out.splitlines() if line.startswith("pillow "))
    assert "13.0.1" not in pillow_line  # yanked (and read from the PEP 691 JSON answer)


def test_a_stale_pin_in_an_included_file_with_extras_fails(tmp_path, index):
    (tmp_path / "requirements-base.txt").write_text("# base\ndjango[argon2]==5.2.19  # web\n")
    code, out = _run(tmp_path, index, "-r requirements-base.txt", "ruff==0.17.7")
    assert code == 1
    assert "django 5.2.19 → 5.2.20" in out


def test_a_yanked_patch_release_is_not_required(tmp_path, index):
    code, out = _run(tmp_path, index, "gunicorn==27.0.1")
    assert code == 0, out
    assert "27.0.2" not in out


def test_a_project_the_index_does_not_know_fails_closed(tmp_path, index):
    code, out = _run(tmp_path, index, "django==5.2.20", "no-such-project==1.0")
    assert code == 2
    assert "could not check" in out and "no-such-project" in out


def test_an_unreachable_index_fails_closed(tmp_path):
    code, out = _run(tmp_path, "http://127.0.0.1:9/simple/", "django==5.2.20")
    assert code == 2
    assert "UNKNOWN" in out


def test_the_security_list_names_the_packages_the_issue_requires():
    required = {"django", "weasyprint", "celery", "kombu", "psycopg", "pyyaml", "gunicorn"}
    required |= {"whitenoise", "django-axes", "django-csp", "pillow"}
    assert required <= deps_check.SECURITY_RELEVANT


def test_the_repository_pins_every_installed_security_relevant_transitive_package():
    root = Path(__file__).resolve().parents[2]
    pinned = {pin.name for pin in deps_check.pins_read(sorted(root.glob("requirements*.txt")))}
    # Celery brings kombu, WeasyPrint brings Pillow: pinned so the check sees them.
    assert {"kombu", "pillow", "celery", "weasyprint", "django"} <= pinned
