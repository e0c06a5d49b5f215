"""Are the pins in requirements*.txt on their series' latest patch release? (`make deps-check`)

For every `name==version` pin it asks the package index (PEP 503/691 "simple" API, the one
this workplace reaches; PyPI's per-release JSON API, which `pip-audit` needs, is not) for
the released versions, and lists newer releases in the same minor series (5.2.19 → 5.2.20)
and, for information, the newest release of all. It exits 1 when a package listed in
SECURITY_RELEVANT is behind its series' latest patch (their patch releases are where
security fixes land), 2 when the index could not answer for some package (fails closed:
an unknown is never reported as up to date), 0 otherwise.

Deliberately free of Django: it runs before the app is installed and needs only
`packaging` (a dependency of pip and pytest, so always present in the venv).

    python -m config.deps_check [--index-url URL] [requirements.txt ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

# The one list of packages whose patch releases must land (docs/SECURITY.md,
# "Dependencies"): a pin behind its series' latest patch fails CI. Names as PEP 503
# normalises them. kombu and Pillow arrive through Celery and WeasyPrint; they are pinned
# in requirements.txt so that this check (and the audit) sees them.
SECURITY_RELEVANT = frozenset(
    {
        "django",
        "weasyprint",
        "celery",
        "kombu",
        "psycopg",
        "pyyaml",
        "gunicorn",
        "whitenoise",
        "django-axes",
        "django-csp",
        "pillow",
        "sentry-sdk",
        "djangorestframework",
    }
)

DEFAULT_INDEX = "https://pypi.org/simple/"
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: Version
    source: str  # file it came from


@dataclass
class Finding:
    pin: Pin
    newer_in_series: list[Version] = field(default_factory=list)
    latest: Version | None = None
    error: str = ""

    @property
    def security(self) -> bool:
        return self.pin.name in SECURITY_RELEVANT

    @property
    def failing(self) -> bool:
        return self.security and bool(self.newer_in_series)


def pins_read(paths: Iterable[Path]) -> list[Pin]:
    """Every `name==version` pin of the files, following `-r other.txt` includes once."""
    seen_files: set[Path] = set()
    pins: dict[str, Pin] = {}

    def read(path: Path) -> None:
        path = path.resolve()
        if path in seen_files:
            return
        seen_files.add(path)
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith(("-r ", "--requirement ")):
                read(path.parent / line.split(maxsplit=1)[1])
                continue
            match = _PIN.match(line)
            if match:
                name = canonicalize_name(match.group(1))
                pins.setdefault(name, Pin(name, Version(match.group(3)), path.name))

    for path in paths:
        read(path)
    return sorted(pins.values(), key=lambda pin: pin.name)


class _Anchors(HTMLParser):
    """File names of a PEP 503 HTML page, without the yanked ones."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self._yanked = False
        self._in_a = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._in_a = True
            self._yanked = any(key == "data-yanked" for key, _ in attrs)

    def handle_data(self, data: str) -> None:
        if self._in_a and not self._yanked and data.strip():
            self.files.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_a = False


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def versions_fetch(name: str, *, index_url: str, timeout: float = 30) -> set[Version]:
    """The released (not yanked, not pre-release) versions of a project on the index."""
    url = index_url.rstrip("/") + f"/{name}/"
    request = urllib.request.Request(  # noqa: S310 - the index URL is the operator's
        url,
        headers={
            "Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1",
            "User-Agent": "ai-readiness deps-check",
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body = response.read()
        kind = response.headers.get_content_type()
    if kind == "application/vnd.pypi.simple.v1+json":
        data = json.loads(body)
        files = [f["filename"] for f in data.get("files", []) if not f.get("yanked")]
    else:
        parser = _Anchors()
        parser.feed(body.decode("utf-8", "replace"))
        files = parser.files
    versions = {v for v in map(_version_of, files) if v is not None}
    return {v for v in versions if not v.is_prerelease and not v.is_devrelease}


def _series(version: Version) -> tuple[int, int]:
    release = (*version.release, 0)
    return release[0], release[1]


def finding_for(pin: Pin, versions: set[Version]) -> Finding:
    newer = sorted(
        (v for v in versions if v > pin.version and _series(v) == _series(pin.version)),
        reverse=True,
    )
    return Finding(pin, newer, max(versions) if versions else None)


def check(pins: Sequence[Pin], *, index_url: str) -> list[Finding]:
    findings = []
    for pin in pins:
        try:
            versions = versions_fetch(pin.name, index_url=index_url)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            findings.append(Finding(pin, error=f"index did not answer: {exc}"))
            continue
        if not versions:
            findings.append(Finding(pin, error="no releases found on the index"))
            continue
        findings.append(finding_for(pin, versions))
    return findings


def report(findings: Sequence[Finding], out: object = sys.stdout) -> int:
    write = out.write  # type: ignore[attr-defined]
    header = f"{'package':28} {'pinned':12} {'newer in series':24} {'latest':10} note\n"
    write(header)
    write("-" * (len(header) + 10) + "\n")
    for item in findings:
        newer = ", ".join(map(str, item.newer_in_series[:3])) or "—"
        if len(item.newer_in_series) > 3:
            newer += ", …"
        note = ""
        if item.error:
            note = f"UNKNOWN: {item.error}"
        elif item.failing:
            note = f"SECURITY: update to {item.newer_in_series[0]}"
        elif item.newer_in_series:
            note = f"behind (update to {item.newer_in_series[0]})"
        elif item.security:
            note = "security-relevant, up to date"
        latest = str(item.latest) if item.latest else "?"
        write(f"{item.pin.name:28} {item.pin.version!s:12} {newer:24} {latest:10} {note}\n")
    failing = [f for f in findings if f.failing]
    unknown = [f for f in findings if f.error]
    write("\n")
    if failing:
        write(
            "FAIL: security-relevant packages behind their series' latest patch: "
            + ", ".join(f"{f.pin.name} {f.pin.version} → {f.newer_in_series[0]}" for f in failing)
            + "\n"
        )
    if unknown:
        write(
            "FAIL: could not check (index unreachable?): "
            + ", ".join(f.pin.name for f in unknown)
            + "\n"
        )
    if failing:
        return 1
    if unknown:
        return 2
    write(
        f"OK: {len(findings)} pins checked; every security-relevant pin is on its latest patch.\n"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument(
        "--index-url",
        default=os.environ.get("DEPS_CHECK_INDEX_URL") or DEFAULT_INDEX,
        help="a PEP 503 simple index (default: PyPI's, or $DEPS_CHECK_INDEX_URL)",
    )
    args = parser.parse_args(argv)
    files = args.files or sorted(Path.cwd().glob("requirements*.txt"))
    if not files:
        print("deps-check: no requirements*.txt here", file=sys.stderr)
        return 2
    return report(check(pins_read(files), index_url=args.index_url))


if __name__ == "__main__":
    sys.exit(main())
