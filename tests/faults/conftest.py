"""Real processes for the fault tests: the app (gunicorn), Celery workers, a private Redis
and a private PostgreSQL cluster, each started and stopped by the test that needs it.

Nothing here touches the shared services: every Redis and PostgreSQL a test stops or kills
is its own, on a free port, in a temporary directory. The app and the workers read the
test database pytest-django created (tests run with transaction=True, so what the test
writes is committed and visible to them), except in the PostgreSQL restart test, which
copies that database into its private cluster.
"""

from __future__ import annotations

import contextlib
import glob
import html.parser
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
# Short, so a killed worker's report comes back within the test; see docs (Faults).
VISIBILITY_TIMEOUT = 10


def need(condition: bool, why: str) -> None:
    """Skip locally without a service; in CI a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why}; CI must provide it (.ci/run)")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


# -- processes ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    def signal_group(self, sig: int) -> None:
        """Signal the whole process group (a worker's children die with it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        self.signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        if self.popen.poll() is not None:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(text[-lines:])


class PrivateRedis:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: Proc | None = None

    def start(self) -> None:
        cmd = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.stack.dir),
        ]  # fmt: skip
        self.proc = self.stack.spawn("redis", cmd)
        wait_for(self.ping, timeout=10, what="the private redis-server")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.stop()
        assert not self.ping()

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:  # noqa: BLE001 - any failure means "not up"
            return False

    def client(self) -> Any:
        import redis

        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=2)


def _postgres_bindir() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(initdb).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PrivatePostgres:
    """A throwaway cluster this test may stop and start: the shared one on 5432 is not ours."""

    def __init__(self, stack: Stack) -> None:
        bindir = _postgres_bindir()
        need(bindir is not None, "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        assert bindir is not None
        self.bin = bindir
        self.stack = stack
        self.port = free_port()
        # Outside pytest's tmp_path: the cluster belongs to the postgres user, which cannot
        # enter root's private temporary directories.
        self.dir = Path(tempfile.mkdtemp(prefix="h_fault_pg_"))
        self.data = self.dir / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, user="postgres", group="postgres")
        self.running = False

    def _run(self, *args: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *args], check=True, capture_output=True, timeout=timeout, cwd=self.dir
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        # "fast": what a service restart does: sessions are cut, committed data stays.
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.running = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def copy_database(self, source: dict[str, Any], name: str) -> None:
        """Copy the test database (as the test left it, committed) into this cluster."""
        env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
        target = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        subprocess.run([str(self.bin / "createdb"), *target, name], check=True, capture_output=True)
        cmd = [
            str(self.bin / "pg_dump"), "--no-owner", "--no-privileges",
            "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432),
            "-U", source["USER"], source["NAME"],
        ]  # fmt: skip
        dump = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
        restore = subprocess.run(
            [str(self.bin / "psql"), *target, "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
            stdin=dump.stdout,
            capture_output=True,
            timeout=120,
        )
        assert dump.stdout is not None
        dump.stdout.close()
        assert dump.wait(timeout=120) == 0, "pg_dump failed"
        assert restore.returncode == 0, restore.stderr.decode(errors="replace")

    def cleanup(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class App:
    url: str
    proc: Proc


@dataclass
class Stack:
    """Everything one test starts; torn down (and its logs printed) after the test."""

    dir: Path
    database: dict[str, Any]
    media: Path
    procs: list[Proc] = field(default_factory=list)
    clusters: list[PrivatePostgres] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        db = self.database
        user = urllib.parse.quote(db["USER"] or "")
        password = urllib.parse.quote(db["PASSWORD"] or "")
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def env(self, *, database_url: str | None, broker_url: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DEBUG": "false",
            "DATABASE_URL": database_url or self.database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "MEDIA_ROOT": str(self.media),
            # Long-lived connections, so a database restart leaves stale ones behind.
            "CONN_MAX_AGE": "600",
            # Plain HTTP on loopback: cookies must not be Secure-only.
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_SSL_REDIRECT": "false",
            "PYTHONUNBUFFERED": "1",
            # A heartbeat every 2 s, stale after 10 s, so the readiness test is quick
            # (production: 15 s and 60 s; config/health.py).
            "HEARTBEAT_SECONDS": "2",
            "HEARTBEAT_MAX_AGE": "10",
            "LOG_FORMAT": "json",
        }

    def spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> Proc:
        log = self.dir / f"{name}-{len(self.procs)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, for killpg
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def redis(self) -> PrivateRedis:
        need(shutil.which("redis-server") is not None, "redis-server is not installed")
        server = PrivateRedis(self)
        server.start()
        return server

    def postgres(self) -> PrivatePostgres:
        cluster = PrivatePostgres(self)
        self.clusters.append(cluster)
        cluster.init()
        cluster.start()
        return cluster

    def app(self, *, broker_url: str = "", database_url: str | None = None) -> App:
        """The site under gunicorn (threads: concurrent requests, one connection each)."""
        port = free_port()
        cmd = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
            "--timeout", "60", "--graceful-timeout", "2",
        ]  # fmt: skip
        proc = self.spawn(
            "app", cmd, env=self.env(database_url=database_url, broker_url=broker_url)
        )
        app = App(f"http://127.0.0.1:{port}", proc)

        def answers() -> bool:
            assert proc.popen.poll() is None, f"the app exited:\n{proc.tail()}"
            try:
                urllib.request.urlopen(app.url + "/healthz", timeout=5).close()  # noqa: S310
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False
            return True

        wait_for(answers, timeout=30, what="the app to answer", every=0.2)
        return app

    def worker(self, *, broker_url: str, name: str) -> Proc:
        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool", "solo", "--concurrency", "1",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO", "-n", f"{name}@%h",
        ]  # fmt: skip
        return self.spawn(
            f"worker-{name}", cmd, env=self.env(database_url=None, broker_url=broker_url)
        )

    def beat(self, *, broker_url: str) -> Proc:
        cmd = [
            sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(self.dir / "celerybeat-schedule"),
        ]  # fmt: skip
        return self.spawn("beat", cmd, env=self.env(database_url=None, broker_url=broker_url))

    def teardown(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(timeout=5)
        for cluster in self.clusters:
            cluster.cleanup()
        # Shown by pytest only when the test failed.
        for proc in self.procs:
            print(f"----- {proc.name} ({proc.log.name}) -----\n{proc.tail()}")


@pytest.fixture
def stack(transactional_db, media, tmp_path) -> Iterator[Stack]:
    from django.db import connection

    need(
        connection.vendor == "postgresql",
        "the fault tests need PostgreSQL: set DATABASE_URL=postgres://…",
    )
    logs = tmp_path / "stack"
    logs.mkdir()
    media.mkdir(parents=True, exist_ok=True)
    stack = Stack(dir=logs, database=dict(connection.settings_dict), media=media)
    try:
        yield stack
    finally:
        stack.teardown()


# -- a small browser ---------------------------------------------------------------------


@dataclass
class Page:
    status: int
    url: str
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies, CSRF and forms over real HTTP, as a person's browser sends them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self,
        path: str,
        data: list[tuple[str, str]] | dict[str, str] | None = None,
        *,
        follow: bool = False,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Page:
        url = urllib.parse.urljoin(self.base, path)
        body = None
        if data is not None:
            pairs = list(data.items()) if isinstance(data, dict) else list(data)
            if not any(k == "csrfmiddlewaretoken" for k, _ in pairs):
                pairs.append(("csrfmiddlewaretoken", self.csrf()))
            body = urllib.parse.urlencode(pairs).encode()
        req = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(req, timeout=timeout) as response:
                page = Page(response.status, url, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            page = Page(exc.code, url, exc.headers, exc.read())
        if follow and page.status in (301, 302, 303) and page.location:
            return self.request(page.location, follow=True, timeout=timeout)
        return page

    def get(self, path: str, **kwargs: Any) -> Page:
        return self.request(path, **kwargs)

    def post(self, path: str, data: list[tuple[str, str]] | dict[str, str], **kw: Any) -> Page:
        return self.request(path, data, **kw)

    def csrf(self) -> str:
        for cookie in self.cookies:
            if cookie.name == "csrftoken":
                return cookie.value or ""
        return ""

    def login(self, email: str, password: str) -> None:
        self.get("/accounts/login/")
        page = self.post("/accounts/login/", {"username": email, "password": password})
        assert page.status == 302, f"login failed ({page.status}):\n{page.text[:2000]}"


class _FormReader(html.parser.HTMLParser):
    """The name/value pairs a browser submits for one form (without its buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or ("name" not in a and tag != "option"):
            return
        kind = a.get("type", "text").lower()
        if tag == "input" and kind not in ("submit", "button", "image", "reset", "file"):
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value") or "on"))
            else:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "select" and self.select is not None:
            chosen = [v for v, selected in self.options if selected] or [
                v for v, _ in self.options[:1]
            ]
            self.pairs.extend((self.select, v) for v in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.pairs.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(page_html: str, form_id: str) -> list[tuple[str, str]]:
    reader = _FormReader(form_id)
    reader.feed(page_html)
    assert reader.pairs, f"no form #{form_id} on the page"
    return reader.pairs


def with_value(pairs: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    """The form as submitted after the person changed one field (a radio group too)."""
    return [(k, v) for k, v in pairs if k != name] + [(name, value)]
