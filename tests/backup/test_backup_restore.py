"""Backups that restore (core/backup.py, `manage.py backup` / `restore`), on PostgreSQL.

The round trip: seed (submitted assessments, a rendered report file, a logged-in session),
back up, drop the schema and the storage, restore, then compare every table's row count,
the report file's checksum and the results page's HTML. The refusals: a damaged, altered
or foreign archive, a non-empty database, the SQLite quick-start.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments.tests.factories import IssuerFactory
from core import backup
from reports import services as report_services
from reports.models import Report, ReportStatus
from reports.tests.conftest import submit_synthetic

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("the backup tests need PostgreSQL; CI must provide it (.ci/run)")
        pytest.skip("the backup tests need PostgreSQL: set DATABASE_URL=postgres://…")
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed (postgresql-client)")


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalogue names
            counts[table] = cursor.fetchone()[0]
    return counts


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def page_html(client: Client, assessment) -> str:
    response = client.get(reverse("reports:results", args=[assessment.pk]))
    assert response.status_code == 200
    # The form's CSRF token is masked afresh on every render; nothing else may differ.
    return CSRF.sub('name="csrfmiddlewaretoken" value="…"', response.content.decode())


def run_backup(directory: Path) -> Path:
    out = io.StringIO()
    call_command("backup", dir=str(directory), stdout=out)
    written = re.search(r"Backup written: (\S+\.tar)", out.getvalue())
    assert written, out.getvalue()
    archive = Path(written.group(1))
    assert archive.is_file() and backup.NAME.match(archive.name)
    return archive


def rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of the archive with its members passed through change(name, bytes)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as dst:
        for member in src.getmembers():
            extracted = src.extractfile(member)
            assert extracted is not None
            data = extracted.read()
            for name, content in change(member.name, data):
                info = tarfile.TarInfo(name)
                info.size = len(content)
                dst.addfile(info, io.BytesIO(content))
    return target


def refused(archive: Path, *expected: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("restore", str(archive))
    for text in expected:
        assert text in str(caught.value), str(caught.value)


def test_backup_drop_restore_gives_back_every_row_file_and_page(
    postgres, framework, media, eager, tmp_path
):
    peers = [submit_synthetic(IssuerFactory(), framework, seed=n) for n in range(2)]
    snapshot = submit_synthetic(IssuerFactory(), framework, seed=7, note="備註：試點項目 pilot")
    assessment = snapshot.assessment
    lead = assessment.submitted_by
    report = report_services.report_request(assessment=assessment, language="zh-hant", user=lead)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    report_file = Path(media) / report.file.name
    file_checksum = sha256(report_file)
    assert file_checksum == report.checksum

    client = Client()
    client.force_login(lead)
    html_before = page_html(client, assessment)
    assert html_before == page_html(client, assessment)  # the page is deterministic
    counts_before = table_counts()
    assert counts_before["reports_report"] == 1 and counts_before["django_session"] >= 1
    assert len(peers) == 2

    archive = run_backup(tmp_path / "backups")
    assert archive.stat().st_mode & 0o077 == 0  # only the owner may read it
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["app_version"] and manifest["app_version"] != "unknown"
    assert manifest["created_at"].endswith("+00:00")
    assert "reports" in manifest["migrations"] and "assessments" in manifest["migrations"]
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    assert listed[f"media/{report.file.name}"] == file_checksum
    assert "database.dump" in listed
    assert manifest["database"]["pg_dump_major"] >= manifest["database"]["server_major"]

    # Into a non-empty database: refused, nothing touched.
    refused(archive, "is not empty", "Nothing was restored")
    assert table_counts() == counts_before

    # Drop everything, then restore.
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        shutil.rmtree(media)
        assert connection.introspection.table_names() == []
        out = io.StringIO()
        call_command("restore", str(archive), stdout=out)
        assert "Restored" in out.getvalue()
    finally:
        if not connection.introspection.table_names():  # leave later tests a schema
            call_command("migrate", verbosity=0)
    ContentType.objects.clear_cache()

    assert table_counts() == counts_before
    assert sha256(report_file) == file_checksum
    assert Report.objects.get(pk=report.pk).checksum == file_checksum
    # The same session cookie works: sessions came back too.
    assert page_html(client, assessment) == html_before
    download = client.get(reverse("reports:download", args=[assessment.pk, "zh-hant"]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == file_checksum


@pytest.fixture
def archive(postgres, framework, media, tmp_path):
    submit_synthetic(IssuerFactory(), framework, seed=3)
    (Path(media) / "reports").mkdir(parents=True)
    (Path(media) / "reports" / "r.pdf").write_bytes(b"%PDF-1.7 not really")
    return run_backup(tmp_path / "backups")


def test_a_damaged_or_altered_archive_is_refused_before_anything_changes(archive, tmp_path):
    counts = table_counts()
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()

    truncated = elsewhere / "truncated.tar"
    data = archive.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    refused(truncated, "damaged")

    garbage = elsewhere / "garbage.tar"
    garbage.write_bytes(os.urandom(4096))
    refused(garbage, "damaged")

    def flip_dump(name, content):
        if name == "database.dump":
            content = content[:100] + bytes([content[100] ^ 1]) + content[101:]
        yield name, content

    refused(
        rewrite(archive, elsewhere / "flipped.tar", flip_dump), "checksum differs", "database.dump"
    )

    def drop_file(name, content):
        if name != "media/reports/r.pdf":
            yield name, content

    refused(rewrite(archive, elsewhere / "missing.tar", drop_file), "does not match its manifest")

    def add_escape(name, content):
        yield name, content
        if name == "manifest.json":
            yield "../../etc/cron.d/evil", b"* * * * * root sh"

    refused(rewrite(archive, elsewhere / "escape.tar", add_escape), "unexpected entries")
    assert not (tmp_path.parent / "etc").exists()

    def foreign(name, content):
        if name == "manifest.json":
            content = json.dumps({**json.loads(content), "format": "other"}).encode()
        yield name, content

    refused(rewrite(archive, elsewhere / "foreign.tar", foreign), "not an archive of this")

    # Changed after it was written, with the manifest recomputed: the sidecar notices.
    sidecar = Path(str(archive) + ".sha256")
    assert sidecar.read_text().split()[0] == sha256(archive)
    with archive.open("r+b") as f:
        f.seek(-1, os.SEEK_END)
        f.write(b"\x01")
    refused(archive, "does not match its checksum file")

    refused(tmp_path / "no-such.tar", "no such file")
    assert table_counts() == counts


def test_the_command_line_says_why_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not an archive")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(bad)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert ("damaged" in result.stderr) or ("SQLite" in result.stderr), result.stderr


def test_the_sqlite_quick_start_is_refused_with_what_to_do_instead(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    for command in (["backup", "--dir", str(tmp_path)], ["restore", str(tmp_path / "x.tar")]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert "SQLite" in result.stderr and "db.sqlite3" in result.stderr


def test_retention_keeps_the_newest_archives_and_their_checksums(tmp_path):
    names = [f"ai-readiness-2026120{d}T020000Z.tar" for d in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    (tmp_path / "notes.txt").write_text("not ours")
    removed = backup.retention_apply(directory=tmp_path, keep=2)
    assert [p.name for p in removed] == names[:3]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([*names[3:], *(f"{n}.sha256" for n in names[3:]), "notes.txt"])
