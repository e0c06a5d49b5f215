"""What every benchmark shares: the environment of the processes under test, starting and
stopping gunicorn and Celery, CPU accounting, the machine's description, tables, and
rewriting a marked section of a Markdown file.

Nothing here imports Django: the orchestrator stays a plain process, and everything that
needs the ORM runs in a child process with the benchmark's own environment.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.metadata
import json
import os
import platform
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"  # git-ignored: logs, collected static files, throwaway venvs
LOGS = WORK / "logs"
PY = sys.executable
PERFORMANCE_MD = ROOT / "docs" / "PERFORMANCE.md"
SECURITY_MD = ROOT / "docs" / "SECURITY.md"

# The PostgreSQL server (without a database name) and Redis server used by the benchmarks.
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
# Benchmarks only ever create, migrate and fill databases with these prefixes.
OWN_DB_PREFIXES = ("ai_readiness_bench", "h_bench")
OWN_REDIS_DBS = (8, 9)
PORTS = range(18000, 19000)

# Test-grade secret for a loopback-only server that lives for one benchmark.
BENCH_SECRET_KEY = "bench-only-secret-key-never-used-outside-the-loopback-benchmarks"  # noqa: S105


class BenchError(RuntimeError):
    """A benchmark could not run (set-up failed, a server did not start, ...)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Environment of the processes under test


def db_url(name: str) -> str:
    if not name.startswith(OWN_DB_PREFIXES):
        raise BenchError(f"refusing to use database {name!r}: not a benchmark database")
    return f"{PG_URL}/{name}"


def app_env(
    *,
    db: str,
    redis_db: int,
    settings: str = "config.settings",
    debug: bool = False,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of gunicorn, Celery and management commands for one benchmark.

    DEBUG is off for everything that is measured (as in production: no query log,
    manifest static files); the seeding commands that refuse to run without DEBUG get
    `debug=True`. Cookies are not marked Secure and nothing redirects to HTTPS because the
    benchmark talks plain HTTP on the loopback interface, as a reverse proxy would.
    """
    if redis_db not in OWN_REDIS_DBS:
        raise BenchError(f"refusing Redis database {redis_db}: benchmarks use {OWN_REDIS_DBS}")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=db_url(db),
        CELERY_BROKER_URL=f"{REDIS_URL}/{redis_db}",
        DEBUG="true" if debug else "false",
        SECRET_KEY=BENCH_SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=str(WORK / "static"),
        MEDIA_ROOT=str(WORK / "media" / db),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    if extra:
        env.update(extra)
    return env


def pg_connect(database: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(f"{PG_URL}/{database}", autocommit=True, connect_timeout=5)


def db_ensure(name: str) -> bool:
    """Create the benchmark database if it is missing; True if it was created."""
    db_url(name)  # refuses a name that is not ours
    with pg_connect() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def db_drop(name: str) -> None:
    db_url(name)
    with pg_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_version() -> str:
    with pg_connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def redis_command(db: int, *args: str) -> str:
    if db not in OWN_REDIS_DBS:
        raise BenchError(f"refusing Redis database {db}")
    parts = urlsplit(REDIS_URL)
    out = subprocess.run(
        [
            "redis-cli",
            *("-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379)),
            *("-n", str(db), *args),
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"redis-cli {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def redis_flush(db: int) -> None:
    """Empty one of the benchmarks' own Redis databases (queued tasks of an earlier run)."""
    redis_command(db, "FLUSHDB")


def run(
    cmd: Sequence[str],
    *,
    env: dict[str, str],
    timeout: float,
    what: str,
    cwd: Path = ROOT,
    quiet: bool = True,
) -> str:
    """Run a command to completion (bounded by `timeout`); its stdout, or BenchError."""
    try:
        out = subprocess.run(
            list(cmd),
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what}: still running after {timeout:.0f} s, stopped") from exc
    if out.returncode != 0:
        tail = "\n".join((out.stderr or out.stdout).strip().splitlines()[-15:])
        raise BenchError(f"{what} failed (exit {out.returncode}):\n{tail}")
    if not quiet and out.stdout.strip():
        print(out.stdout.rstrip(), file=sys.stderr)
    return out.stdout


def run_json(
    cmd: Sequence[str], *, env: dict[str, str], timeout: float, what: str, cwd: Path = ROOT
) -> Any:
    """Run a child that prints one JSON document on its last line of output."""
    stdout = run(cmd, env=env, timeout=timeout, what=what, cwd=cwd)
    lines = stdout.strip().splitlines()
    if not lines:
        raise BenchError(f"{what}: no output")
    return json.loads(lines[-1])


def manage(args: Sequence[str], *, env: dict[str, str], timeout: float = 600) -> str:
    return run(
        [PY, "manage.py", *args], env=env, timeout=timeout, what=f"manage.py {' '.join(args)}"
    )


def collectstatic(env: dict[str, str]) -> None:
    """Manifest static files, as production serves them (templates need the manifest)."""
    manage(["collectstatic", "--no-input", "-v0"], env=env, timeout=300)


def services_check() -> None:
    """PostgreSQL and Redis must be up on the loopback interface (as .ci/run starts them)."""
    try:
        with pg_connect() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure: say what to do
        raise BenchError(
            f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__}: {exc}). Start it "
            "(see .ci/run) or set BENCH_PG_URL."
        ) from exc
    try:
        pong = redis_command(OWN_REDIS_DBS[0], "PING")
    except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
        pong = str(exc)
    if pong != "PONG":
        raise BenchError(
            f"Redis is not reachable at {REDIS_URL} ({pong}); start it (see .ci/run) or set "
            "BENCH_REDIS_URL. redis-cli comes with Debian's redis-tools."
        )


def prepare_database(db: str, redis_db: int) -> None:
    """Create (if needed) and migrate a benchmark database, collect static files, empty
    the benchmark's Redis database."""
    services_check()
    created = db_ensure(db)
    log(f"database {db}: {'created' if created else 'exists'}; migrating")
    env = app_env(db=db, redis_db=redis_db)
    manage(["migrate", "--no-input", "-v0"], env=env, timeout=600)
    manage(["load_framework"], env=env, timeout=120)
    collectstatic(env)
    redis_flush(redis_db)


# ---------------------------------------------------------------------------------------
# Processes under test


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def http_status(port: int, path: str, timeout: float = 5) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


@dataclass
class CpuMeter:
    """CPU used during a measurement, in cores (1.0 = one core busy all the time)."""

    server_pids: list[int] = field(default_factory=list)
    wall: float = 0.0
    server_cores: float = 0.0
    client_cores: float = 0.0
    machine_busy: float = 0.0  # fraction of all cores, whoever used them

    @contextlib.contextmanager
    def measure(self) -> Iterator[CpuMeter]:
        started = time.perf_counter()
        server0 = sum(process_cpu_seconds(p) for p in self.server_pids)
        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        client0 = self_usage.ru_utime + self_usage.ru_stime
        busy0, total0 = machine_cpu_jiffies()
        yield self
        self.wall = time.perf_counter() - started
        server1 = sum(process_cpu_seconds(p) for p in self.server_pids)
        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        client1 = self_usage.ru_utime + self_usage.ru_stime
        busy1, total1 = machine_cpu_jiffies()
        if self.wall > 0:
            self.server_cores = (server1 - server0) / self.wall
            self.client_cores = (client1 - client0) / self.wall
        self.machine_busy = (busy1 - busy0) / max(1, total1 - total0)


class Gunicorn:
    """A gunicorn master on the loopback interface, stopped on exit (context manager).

    Default: 2 sync workers, as the performance issue asks: one process per core, since a
    request holds a process while Python runs and threads would only take turns on the
    GIL. The Dockerfile's CMD runs sync workers too (WEB_CONCURRENCY, default 3).
    """

    def __init__(
        self,
        name: str,
        *,
        port: int,
        env: dict[str, str],
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 4,
        python: str = PY,
        app: str = "config.wsgi:application",
        cwd: Path = ROOT,
        ready_path: str = "/healthz",
    ) -> None:
        if port not in PORTS:
            raise BenchError(f"port {port} is outside the benchmarks' range 18000-18999")
        self.name, self.port, self.env, self.cwd = name, port, env, cwd
        self.ready_path = ready_path
        self.cmd = [
            python,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(LOGS / f"{name}-access.log"),
            "--error-logfile",
            str(LOGS / f"{name}-error.log"),
        ]
        if worker_class == "gthread":
            self.cmd += ["--threads", str(threads)]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children_of(self.proc.pid) if self.proc else []

    def __enter__(self) -> Gunicorn:
        LOGS.mkdir(parents=True, exist_ok=True)
        if not port_free(self.port):
            raise BenchError(f"port {self.port} is already in use; stop what listens there")
        for suffix in ("access", "error"):
            (LOGS / f"{self.name}-{suffix}.log").unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            self.cmd,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"gunicorn ({self.name}) exited with {self.proc.returncode}:\n"
                    + _tail(LOGS / f"{self.name}-error.log")
                )
            status = http_status(self.port, self.ready_path)
            if status is not None and status < 500:
                break
            time.sleep(0.3)
        else:
            self.__exit__(None, None, None)
            raise BenchError(f"gunicorn ({self.name}) did not answer {self.ready_path} in 60 s")
        # Both workers import the app lazily: a few requests make them ready.
        for _ in range(10):
            http_status(self.port, self.ready_path)
        log(f"gunicorn {self.name}: {self.base} (pid {self.proc.pid}, {self.worker_pids()})")
        return self

    def __exit__(self, *exc: object) -> None:
        stop_process(self.proc, grace=15)
        self.proc = None


class CeleryWorker:
    """One Celery worker (prefork pool with `concurrency` children), stopped on exit."""

    def __init__(self, name: str, *, env: dict[str, str], concurrency: int) -> None:
        self.name, self.env, self.concurrency = name, env, concurrency
        self.logfile = LOGS / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CeleryWorker:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.logfile.unlink(missing_ok=True)
        cmd = [
            PY,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{self.name}@%h",
            "--loglevel",
            "INFO",
            "--logfile",
            str(self.logfile),
        ]
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"celery worker exited:\n{_tail(self.logfile)}")
            if " ready." in _tail(self.logfile, 200):
                log(f"celery {self.name}: ready, {self.concurrency} child process(es)")
                return self
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise BenchError(f"celery worker {self.name} not ready in 90 s:\n{_tail(self.logfile)}")

    def __exit__(self, *exc: object) -> None:
        stop_process(self.proc, grace=30)
        self.proc = None


def stop_process(proc: subprocess.Popen[bytes] | None, *, grace: float) -> None:
    """SIGTERM the process group we started, then SIGKILL it after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# Machine, results, documents


def machine_info() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    try:
        pg = postgres_version()
    except Exception as exc:  # noqa: BLE001 - a description only
        pg = f"? ({type(exc).__name__})"
    redis = "?"
    with contextlib.suppress(Exception):
        for line in redis_command(9, "INFO", "server").splitlines():
            if line.startswith("redis_version:"):
                redis = line.split(":", 1)[1].strip()
    return {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cores": str(os.cpu_count()),
        "ram": ram,
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": pg,
        "redis": redis,
        "django": _version("Django"),
        "gunicorn": _version("gunicorn"),
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def machine_line(info: dict[str, str]) -> str:
    return (
        f"Run on {info['date']}: {info['cores']} cores, {info['ram']} RAM, {info['cpu']}; "
        f"Python {info['python']}, PostgreSQL {info['postgresql']}, Redis {info['redis']}, "
        f"Django {info['django']}, gunicorn {info['gunicorn']}."
    )


@dataclass
class Row:
    """One line of the results table."""

    area: str
    figure: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("met" if self.ok else "**NOT met**")


def table_markdown(rows: Sequence[Row]) -> str:
    lines = ["| area | figure | value | target | |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        cells = [r.area, r.figure, r.value, r.target, r.verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def table_text(rows: Sequence[Row]) -> str:
    cols = [
        [r.area for r in rows],
        [r.figure for r in rows],
        [r.value for r in rows],
        [r.target for r in rows],
        [r.verdict.replace("*", "") for r in rows],
    ]
    heads = ["area", "figure", "value", "target", ""]
    widths = [max([len(h), *(len(c) for c in col)]) for h, col in zip(heads, cols, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for i in range(len(rows)):
        out.append("  ".join(col[i].ljust(w) for col, w in zip(cols, widths, strict=True)).rstrip())
    return "\n".join(out)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def replace_marked(text: str, marker: str, body: str) -> str | None:
    """Replace what lies between `<!-- marker:start -->` and `<!-- marker:end -->`."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        return None
    return text[: i + len(start)] + "\n" + body.strip() + "\n" + text[j:]


def write_marked_section(path: Path, marker: str, body: str, *, heading: str) -> None:
    """Rewrite the marked section of `path`; append it under `heading` if it is missing."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new = replace_marked(text, marker, body)
    if new is None:
        new = (
            text.rstrip()
            + f"\n\n{heading}\n\n<!-- {marker}:start -->\n{body.strip()}\n<!-- {marker}:end -->\n"
        )
    path.write_text(new, encoding="utf-8")


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def write_under_heading(path: Path, title: str, marker: str, body: str) -> bool:
    """Fill the section under the existing heading `title` (e.g. "Load") of `path`.

    Only that section changes: the text between the heading and the next heading of the
    same or a higher level is replaced by the marked body (later runs replace just the
    marked part). False if the file or the heading does not exist.
    """
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    new = replace_marked(text, marker, body)
    if new is not None:
        path.write_text(new, encoding="utf-8")
        return True
    lines = text.splitlines(keepends=True)
    headings: list[tuple[int, int, str]] = []  # (line, level, title), outside code fences
    fenced = False
    for n, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (m := _HEADING.match(line.rstrip("\n"))):
            headings.append((n, len(m.group(1)), m.group(2)))
    for i, (n, level, name) in enumerate(headings):
        if not re.match(rf"{re.escape(title)}\b", name, re.IGNORECASE):
            continue
        end = next((k for k, lv, _ in headings[i + 1 :] if lv <= level), len(lines))
        section = f"\n<!-- {marker}:start -->\n{body.strip()}\n<!-- {marker}:end -->\n\n"
        lines[n + 1 : end] = [section]
        path.write_text("".join(lines).rstrip() + "\n", encoding="utf-8")
        return True
    return False
