"""Read produced PDFs back with poppler-utils (installed by .ci/run and the Dockerfile)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _run(tool: str, pdf: bytes | Path, tmp_path: Path) -> str:
    if not shutil.which(tool):
        pytest.fail("poppler-utils is required (apt-get install poppler-utils)")
    if isinstance(pdf, bytes):
        path = tmp_path / f"{tool}.pdf"
        path.write_bytes(pdf)
    else:
        path = pdf
    args = [tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdftotext(pdf: bytes | Path, tmp_path: Path) -> str:
    """The PDF's text (bytes are written to tmp_path first)."""
    return _run("pdftotext", pdf, tmp_path)


def pdffonts(pdf: bytes | Path, tmp_path: Path) -> str:
    """pdffonts' table of the PDF's fonts."""
    return _run("pdffonts", pdf, tmp_path)
