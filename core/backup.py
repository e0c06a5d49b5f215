"""Backups that restore: one archive of the database and the stored files, and its restore.

An archive (`ai-readiness-<UTC time>.tar`, mode 0600: it holds every company's answers) has:

- `database.dump`: `pg_dump --format=custom` of the whole database (consistent: one
  snapshot transaction), restored with `pg_restore --single-transaction`, so a failed
  restore leaves the target empty;
- `media/…`: every file under the default storage's root (`MEDIA_ROOT`: report PDFs, bulk
  ZIPs), copied after the dump. A report whose file was written between the two is still
  listed as not rendered in the dump and is re-rendered on request; no row points at a
  file the archive lacks unless it was deleted mid-backup (the restore names such files);
- `manifest.json`: app version, Django migration heads, creation time, PostgreSQL and
  pg_dump versions, and every other member's size and SHA-256.

Next to it, `<archive>.sha256` (sha256sum format) holds the archive's own checksum, to keep
elsewhere: the manifest detects damage, a checksum stored apart also deliberate changes.

The restore refuses a damaged or altered archive (unreadable tar, missing/extra/unsafe
members, a checksum that differs, a sidecar that differs), a database that has any table,
a non-empty storage root, a pg_restore older than the pg_dump that wrote the archive and a
server older than the one it came from, each with a `BackupError` saying what to do.

Generic on purpose (core imports no app): tables are read through Django's introspection.
Only PostgreSQL: the SQLite quick-start is a throwaway demo (`make run` rebuilds it), and
a copy of `db.sqlite3` while nothing runs is its backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.db.migrations.loader import MigrationLoader

FORMAT = "ai-readiness-backup"
FORMAT_VERSION = 1
DUMP = "database.dump"
MANIFEST = "manifest.json"
MEDIA = "media"
NAME = re.compile(r"^ai-readiness-\d{8}T\d{6}Z\.tar$")
_CHUNK = 1 << 20


class BackupError(Exception):
    """A refusal or failure, with a message for the operator (no traceback)."""


@dataclass(frozen=True)
class Restored:
    tables: int
    files: int
    manifest: dict[str, Any]


# -- shared --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(
            "Backups are made of PostgreSQL only; this is the SQLite quick-start, a demo that "
            "`make run` rebuilds. To keep it anyway, stop the server and copy db.sqlite3 "
            "and the media folder. (README, 'Backups'.)"
        )


def media_root() -> Path:
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        raise BackupError(
            "The default storage is not a local folder: back its files up with the object "
            "store's own tools; this command covers MEDIA_ROOT only."
        )
    return Path(storage.location)


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _pg_args() -> list[str]:
    db = connection.settings_dict
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return [*args, "-d", str(db["NAME"])]


def _tool(tool: str) -> tuple[str, int, str]:
    """The tool's path, major version and version line."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"{tool} is not installed: install the PostgreSQL client of the server's major "
            "version (Debian: postgresql-client-15)."
        )
    out = subprocess.run(  # noqa: S603 - a resolved path, fixed arguments
        [path, "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise BackupError(f"could not read the version of {tool}: {out.strip()}")
    return path, int(match.group(1)), out.strip()


def _server_major() -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def migration_heads() -> dict[str, list[str]]:
    """Per app, the latest applied migration(s) in this database."""
    loader = MigrationLoader(connection)
    applied = set(loader.applied_migrations or {})
    heads: dict[str, list[str]] = {}
    for app, name in applied:
        node = loader.graph.node_map.get((app, name))
        # A head has no applied successor in its own app (another app's migration may
        # depend on it and still leave it the head of this one).
        if node is None or not any(
            child.key in applied and child.key[0] == app for child in node.children
        ):
            heads.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(heads.items())}


def app_version() -> str:
    """APP_VERSION (set at deploy), else `git describe`, else a VERSION file, else unknown."""
    if os.environ.get("APP_VERSION"):
        return os.environ["APP_VERSION"]
    base = Path(settings.BASE_DIR)
    git = shutil.which("git")
    if git and (base / ".git").exists():
        result = subprocess.run(  # noqa: S603 - a resolved path, fixed arguments
            [git, "-C", str(base), "describe", "--always", "--tags", "--dirty"],
            capture_output=True,
            text=True,
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    version_file = base / "VERSION"
    if version_file.is_file():
        return version_file.read_text().strip()
    return "unknown"


# -- backup --------------------------------------------------------------------------------


def _media_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def backup_create(*, directory: Path, keep: int = 0) -> Path:
    """Write one archive into `directory`; then delete all but the `keep` newest (0: none)."""
    _require_postgresql()
    pg_dump, dump_major, dump_version = _tool("pg_dump")
    server_major = _server_major()
    if dump_major < server_major:
        raise BackupError(
            f"pg_dump {dump_major} cannot dump a PostgreSQL {server_major} server: install "
            f"postgresql-client-{server_major}."
        )
    root = media_root()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: owner only
    created = datetime.now(UTC)
    name = f"ai-readiness-{created:%Y%m%dT%H%M%SZ}.tar"
    target = directory / name
    if target.exists():
        raise BackupError(f"{target} already exists; wait a second and run it again.")

    with tempfile.TemporaryDirectory(prefix="backup-", dir=directory) as scratch:
        work = Path(scratch)
        dump = work / DUMP
        result = subprocess.run(  # noqa: S603 - a resolved path; arguments from settings
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges",
             "--file", str(dump), *_pg_args()],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        files = [{"path": DUMP, "size": dump.stat().st_size, "sha256": _sha256(dump)}]
        media = [
            (path, f"{MEDIA}/{path.relative_to(root).as_posix()}") for path in _media_files(root)
        ]
        for path, arcname in media:
            files.append({"path": arcname, "size": path.stat().st_size, "sha256": _sha256(path)})
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "app_version": app_version(),
            "created_at": created.isoformat(),
            "database": {
                "vendor": "postgresql",
                "server_major": server_major,
                "pg_dump": dump_version,
                "pg_dump_major": dump_major,
            },
            "migrations": migration_heads(),
            "files": files,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = work / (name + ".part")
        with tarfile.open(partial, "w") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=DUMP)
            for path, arcname in media:
                tar.add(path, arcname=arcname, recursive=False)
        partial.chmod(0o600)
        partial.replace(target)  # same file system: the archive appears whole or not at all
    sidecar = directory / (name + ".sha256")
    sidecar.write_text(f"{_sha256(target)}  {name}\n")
    sidecar.chmod(0o600)
    if keep > 0:
        retention_apply(directory=directory, keep=keep)
    return target


def retention_apply(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest archives this command wrote (by their name's time)."""
    archives = sorted(p for p in directory.iterdir() if NAME.match(p.name))
    removed = archives[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink()
        Path(str(path) + ".sha256").unlink(missing_ok=True)
    return removed


# -- verify and restore ------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and name == path.as_posix()
        and (name in (MANIFEST, DUMP) or (path.parts[0] == MEDIA and len(path.parts) > 1))
    )


def archive_verify(archive: Path, scratch: Path) -> dict[str, Any]:
    """Unpack into `scratch` and check everything; the manifest, or BackupError."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file.")
    sidecar = Path(str(archive) + ".sha256")
    if sidecar.is_file():
        expected = sidecar.read_text().split()[:1]
        if expected != [_sha256(archive)]:
            raise BackupError(
                f"{archive.name} does not match its checksum file {sidecar.name}: the archive "
                "was damaged or changed after it was written. Restore another one."
            )
    try:
        with tarfile.open(archive, "r:") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            bad = [m.name for m in members if not m.isfile() or not _safe_member(m.name)]
            if bad:
                raise BackupError(
                    f"{archive.name} is not one of our archives: unexpected entries "
                    f"{', '.join(sorted(bad)[:5])}. Nothing was restored."
                )
            if len(set(names)) != len(names):
                raise BackupError(f"{archive.name} lists an entry twice. Nothing was restored.")
            tar.extractall(scratch, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            f"{archive.name} is damaged (not a readable archive: {exc}). Nothing was restored."
        ) from exc
    try:
        manifest = json.loads((scratch / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(
            f"{archive.name} has no readable manifest. Nothing was restored."
        ) from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{archive.name} is not an archive of this application's format.")
    listed = {f["path"]: f for f in manifest.get("files", [])}
    present = set(names) - {MANIFEST}
    if DUMP not in listed:
        raise BackupError(f"{archive.name}: the manifest lists no database dump.")
    if present != set(listed):
        missing = sorted(set(listed) - present)
        extra = sorted(present - set(listed))
        raise BackupError(
            f"{archive.name} does not match its manifest (missing: {missing[:5]}, not listed: "
            f"{extra[:5]}). Nothing was restored."
        )
    damaged = [
        path
        for path, entry in listed.items()
        if (scratch / path).stat().st_size != entry["size"]
        or _sha256(scratch / path) != entry["sha256"]
    ]
    if damaged:
        raise BackupError(
            f"{archive.name} is damaged: checksum differs for {', '.join(sorted(damaged)[:5])}. "
            "Nothing was restored."
        )
    return manifest


def _refuse_non_empty_target(root: Path) -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty ({len(tables)} "
            "tables). Restore only into an empty database: create a new one (createdb) and "
            "point DATABASE_URL at it. Nothing was restored."
        )
    if root.exists() and any(root.iterdir()):
        raise BackupError(
            f"The storage folder {root} is not empty. Restore only into an empty MEDIA_ROOT. "
            "Nothing was restored."
        )


def backup_restore(*, archive: Path) -> Restored:
    _require_postgresql()
    root = media_root()
    pg_restore, restore_major, _ = _tool("pg_restore")
    server_major = _server_major()
    with tempfile.TemporaryDirectory(prefix="restore-") as scratch:
        work = Path(scratch)
        # The archive first: a damaged one is reported as such whatever the target holds.
        manifest = archive_verify(archive, work)
        _refuse_non_empty_target(root)
        source = manifest["database"]
        if restore_major < int(source["pg_dump_major"]):
            raise BackupError(
                f"pg_restore {restore_major} cannot read a dump written by pg_dump "
                f"{source['pg_dump_major']}: install postgresql-client-{source['pg_dump_major']}."
            )
        if server_major < int(source["server_major"]):
            raise BackupError(
                f"The archive comes from PostgreSQL {source['server_major']}; this server is "
                f"{server_major}. Restore into PostgreSQL {source['server_major']} or newer."
            )
        loader = MigrationLoader(None, ignore_no_migrations=True)
        # A squashed migration is recorded together with the migrations it replaces, which
        # are not nodes of the graph (django-otp-webauthn ships one): those are known too.
        known = set(loader.graph.nodes) | {
            old for squashed in loader.replacements.values() for old in squashed.replaces
        }
        unknown = [
            f"{app}.{name}"
            for app, names in manifest.get("migrations", {}).items()
            for name in names
            if (app, name) not in known
        ]
        if unknown:
            raise BackupError(
                "The archive was made by a newer version of the application (migrations "
                f"{', '.join(unknown[:5])} are unknown here; archive version "
                f"{manifest.get('app_version')}). Deploy that version first. Nothing was restored."
            )
        connection.close()  # pg_restore needs no session of ours holding locks
        result = subprocess.run(  # noqa: S603 - a resolved path; arguments from settings
            [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner",
             "--no-privileges", *_pg_args(), str(work / DUMP)],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(
                f"pg_restore failed, the database was left as it was: {result.stderr.strip()}"
            )
        media_dir = work / MEDIA
        count = 0
        if media_dir.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            for path in sorted(media_dir.rglob("*")):
                if path.is_file():
                    target = root / path.relative_to(media_dir)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
                    count += 1
    return Restored(
        tables=len(connection.introspection.table_names()), files=count, manifest=manifest
    )
