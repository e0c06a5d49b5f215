"""Checks of the container setup: docker-compose.yml, Dockerfile and .env.production.example.

No Docker engine is needed: the compose file is read as YAML (with compose's own ${...}
substitution reproduced below), the Dockerfile and the env file as text.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.production.example"
SETTINGS_FILE = ROOT / "config" / "settings.py"

SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat", "backup"}
APP_SERVICES = ("migrate", "web", "worker", "beat", "backup")

# The environment variables config/settings.py reads that a deployment is expected to set.
SETTINGS_ENV_VARS = frozenset(
    {
        "DEBUG",
        "SECRET_KEY",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CACHE_URL",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "EMAIL_URL",
        "DEFAULT_FROM_EMAIL",
        "MEDIA_ROOT",
        "STATIC_ROOT",
        "CONN_MAX_AGE",
        "PEER_MIN_GROUP",
        "LOG_LEVEL",
        "TRUSTED_PROXY_COUNT",
        "LOGIN_FAILURE_LIMIT",
        "LOGIN_COOLOFF_MINUTES",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SITE_URL",
        "ASSOCIATION_NAME_EN",
        "ASSOCIATION_NAME_ZH",
        "REMINDER_DAYS_BEFORE",
        "REMINDER_FIRST_HOUR",
        "LOG_FORMAT",
        "HEALTHZ_TOKEN",
        "HEARTBEAT_SECONDS",
        "HEARTBEAT_MAX_AGE",
        "SENTRY_DSN",
        "SENTRY_ENVIRONMENT",
        "APP_VERSION",
        "BACKUP_DIR",
        "BACKUP_KEEP",
        "API_THROTTLE_RATE",
        "API_TOKEN_MAX_DAYS",
    }
)
# Read by docker compose itself (substituted into docker-compose.yml), not by the settings.
COMPOSE_ENV_VARS = frozenset({"POSTGRES_PASSWORD"})

# What `docker compose --env-file .env.production` would substitute in these tests.
SAMPLE_ENV = {"POSTGRES_PASSWORD": "Sample0Password"}


# --- compose variable substitution -------------------------------------------------------

_SUBSTITUTION = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)")


class MissingVariable(Exception):
    pass


def interpolate(value: Any, env: dict[str, str], used: set[str] | None = None) -> Any:
    """Substitute like docker compose: $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""
    if isinstance(value, dict):
        return {key: interpolate(item, env, used) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env, used) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        current = env.get(name)
        missing = current is None or (current == "" and operator in (":-", ":?"))
        if operator in ("-", ":-"):
            return argument if missing or current is None else current
        if used is not None:
            used.add(name)
        if operator in ("?", ":?") and missing:
            raise MissingVariable(f"{name}: {argument}")
        return current or ""

    return _SUBSTITUTION.sub(replace, value)


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), env)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(SAMPLE_ENV)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


# --- helpers -----------------------------------------------------------------------------

SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}


def commands(argv: list[str] | str) -> list[list[str]]:
    """The programs a container command runs, each as an argv (`sh -c "a && b"` -> [a, b])."""
    if isinstance(argv, str):
        argv = shlex.split(argv)
    if len(argv) >= 3 and argv[0] in SHELLS and argv[1] == "-c":
        result = []
        for part in re.split(r"&&|;|\|\|", argv[2]):
            words = shlex.split(part)
            if words and words[0] == "exec":
                words = words[1:]
            if words:
                result.append(words)
        return result
    # Without a shell, "&&" would reach the program as an argument.
    assert "&&" not in argv, f"{argv}: '&&' needs `sh -c`"
    return [list(argv)]


def service_commands(service: dict[str, Any]) -> list[list[str]]:
    assert "command" in service, "service has no command"
    return commands(service["command"])


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def env_files(service: dict[str, Any]) -> list[str]:
    value = service.get("env_file") or []
    items = [value] if isinstance(value, str | dict) else value
    return [item["path"] if isinstance(item, dict) else item for item in items]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> volume name or host path."""
    result = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = volume.get("source", ""), volume["target"]
        else:
            source, target = volume.split(":")[:2]
        result[target] = source
    return result


def is_named_volume(source: str) -> bool:
    return bool(source) and not source.startswith(("/", ".", "~", "$"))


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency -> condition (a plain list means service_started)."""
    value = service.get("depends_on") or {}
    if isinstance(value, list):
        return dict.fromkeys(value, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in value.items()}


def healthcheck_command(service: dict[str, Any]) -> list[str]:
    check = service.get("healthcheck")
    assert check, "no healthcheck"
    assert not check.get("disable"), "healthcheck disabled"
    test = check["test"]
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    assert test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test {test!r} runs nothing"
    return list(test)


def healthcheck_argv(service: dict[str, Any]) -> list[str]:
    test = healthcheck_command(service)
    return shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:]


def option(argv: list[str], *names: str) -> str | None:
    """Value of an option given as `--name value` or `--name=value`."""
    for index, word in enumerate(argv):
        for name in names:
            if word == name and index + 1 < len(argv):
                return argv[index + 1]
            if word.startswith(name + "=") and name.startswith("--"):
                return word.split("=", 1)[1]
    return None


def gunicorn_bind_port(argv: list[str]) -> str:
    bind = option(argv, "--bind", "-b")
    assert bind, f"{argv}: gunicorn without --bind listens on 127.0.0.1 only"
    host, _, port = bind.rpartition(":")
    all_interfaces = ("0.0.0.0", "[::]", "")  # noqa: S104 - a container must listen outside
    assert host in all_interfaces, f"gunicorn binds {bind}: unreachable from outside"
    return port


def gunicorn_command(argv_groups: list[list[str]]) -> list[str]:
    runs = [argv for argv in argv_groups if Path(argv[0]).name == "gunicorn"]
    assert runs, f"{argv_groups}: no gunicorn"
    return runs[0]


# --- services and commands ----------------------------------------------------------------


def test_all_five_services_are_defined(services: dict[str, Any]) -> None:
    assert set(services) >= SERVICES


def test_app_services_use_the_image_built_from_this_dockerfile(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        build = services[name].get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        assert context in (".", "./"), f"{name} is not built from the project's Dockerfile"


def test_web_runs_gunicorn_with_the_wsgi_application(services: dict[str, Any]) -> None:
    argv = gunicorn_command(service_commands(services["web"]))
    assert "config.wsgi:application" in argv
    port = gunicorn_bind_port(argv)
    published = [str(p).split(":")[-1].split("/")[0] for p in services["web"].get("ports", [])]
    assert port in published, f"web publishes {published}, gunicorn listens on {port}"


def test_worker_runs_a_celery_worker_for_the_config_app(services: dict[str, Any]) -> None:
    (argv,) = service_commands(services["worker"])
    assert argv[0] == "celery"
    assert option(argv, "-A", "--app") == "config"
    assert "worker" in argv


def test_beat_sends_the_periodic_tasks_for_the_config_app(services: dict[str, Any]) -> None:
    from django.conf import settings

    (argv,) = service_commands(services["beat"])
    assert argv[0] == "celery" and "beat" in argv
    assert option(argv, "-A", "--app") == "config"
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reports.tasks.publish_peer_releases_task" in tasks
    # One beat only: replicas would send every periodic task several times.
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_backup_runs_daily_with_retention_into_its_own_volume(services: dict[str, Any]) -> None:
    backup = services["backup"]
    text = " ".join(backup["command"])
    assert "manage.py backup" in text and "--keep" in text and "sleep 86400" in text
    target = option(text.split(), "--dir")
    assert target and is_named_volume(mounts(backup)[target])
    # The files it archives: the same volume web and worker write, read-only here.
    media_root = environment(backup)["MEDIA_ROOT"]
    assert mounts(backup)[media_root] == mounts(services["worker"])[media_root]
    assert any(
        str(v).endswith(":ro") and str(v).split(":")[1] == media_root
        for v in backup.get("volumes", [])
    )
    assert depends_on(backup).get("postgres") == "service_healthy"
    assert backup.get("restart") == "unless-stopped"


def test_the_image_has_a_pg_dump_of_the_servers_major_version(services: dict[str, Any]) -> None:
    # Debian bookworm's postgresql-client is 15; pg_dump refuses a newer server.
    assert "postgresql-client-15" in apt_installed()
    assert str(services["postgres"]["image"]).split(":")[1].split(".")[0] == "15"


def test_migrate_migrates_then_loads_the_framework(services: dict[str, Any]) -> None:
    runs = service_commands(services["migrate"])
    steps = [argv[2] for argv in runs if argv[:2] == ["python", "manage.py"] and len(argv) > 2]
    assert "migrate" in steps
    assert "load_framework" in steps
    assert steps.index("migrate") < steps.index("load_framework")
    migrate = next(argv for argv in runs if argv[2:3] == ["migrate"])
    assert "--no-input" in migrate or "--noinput" in migrate, "migrate would wait for input"


def test_migrate_is_not_restarted_after_it_finishes(services: dict[str, Any]) -> None:
    # A one-shot with restart always/unless-stopped would migrate again and again.
    assert str(services["migrate"].get("restart", "no")) in ("no", "on-failure", "False")


# --- environment --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["web", "worker"])
def test_app_reaches_postgres_and_redis_services(services: dict[str, Any], name: str) -> None:
    env = environment(services[name])
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme in ("postgres", "postgresql", "pgsql")
    assert database.hostname == "postgres" and "postgres" in services
    assert database.port in (None, 5432)

    postgres_env = environment(services["postgres"])
    assert database.username == postgres_env.get("POSTGRES_USER", "postgres")
    assert database.password == postgres_env["POSTGRES_PASSWORD"] == SAMPLE_ENV["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres_env.get("POSTGRES_DB", database.username)

    broker = urlsplit(env["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert broker.hostname == "redis" and "redis" in services
    assert broker.port in (None, 6379)


@pytest.mark.parametrize("empty", [{}, {"POSTGRES_PASSWORD": ""}])
def test_compose_refuses_to_run_without_a_postgres_password(empty: dict[str, str]) -> None:
    # Without one, compose would silently start with postgres://postgres:@postgres/...
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    values = [environment(raw[name])["DATABASE_URL"] for name in APP_SERVICES]
    values.append(environment(raw["postgres"])["POSTGRES_PASSWORD"])
    for value in values:
        with pytest.raises(MissingVariable):
            interpolate(value, empty)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_with_debug_off(services: dict[str, Any], name: str) -> None:
    debug = environment(services[name]).get("DEBUG")
    assert debug is not None, f"{name}: DEBUG not set (the env file could switch it on)"
    assert debug.strip().lower() not in environ.Env.BOOLEAN_TRUE_STRINGS


def test_app_services_share_the_production_env_file(services: dict[str, Any]) -> None:
    files = {name: env_files(services[name]) for name in APP_SERVICES}
    assert files["web"], "web has no env_file"
    assert files["web"] == files["worker"] == files["migrate"], files
    for path in files["web"]:
        assert (ROOT / f"{path}.example").is_file(), f"no {path}.example documents {path}"


def test_web_and_worker_get_the_same_environment(services: dict[str, Any]) -> None:
    assert environment(services["web"]) == environment(services["worker"])


# --- health and start order ---------------------------------------------------------------


def test_postgres_healthcheck_uses_pg_isready(services: dict[str, Any]) -> None:
    argv = healthcheck_argv(services["postgres"])
    assert argv[0] == "pg_isready"


def test_redis_healthcheck_pings_redis(services: dict[str, Any]) -> None:
    argv = healthcheck_argv(services["redis"])
    assert argv[:1] == ["redis-cli"] and "ping" in argv


def test_web_healthcheck_fetches_healthz_from_gunicorn(services: dict[str, Any]) -> None:
    argv = healthcheck_argv(services["web"])
    assert argv[0] == "curl"
    assert "-f" in argv or any(re.fullmatch(r"-[a-zA-Z]*f[a-zA-Z]*", word) for word in argv), (
        "curl without -f succeeds on an error status"
    )
    url = urlsplit(next(word for word in argv if word.startswith("http")))
    assert url.path == "/healthz"
    gunicorn = gunicorn_command(service_commands(services["web"]))
    assert str(url.port) == gunicorn_bind_port(gunicorn)


def test_worker_healthcheck_pings_its_own_celery_node(services: dict[str, Any]) -> None:
    test = healthcheck_command(services["worker"])
    argv = healthcheck_argv(services["worker"])
    assert argv[0] == "celery" and option(argv, "-A", "--app") == "config"
    assert "inspect" in argv and "ping" in argv
    destination = option(argv, "-d", "--destination")
    if destination and "$" in destination:
        assert test[0] == "CMD-SHELL", "only a shell expands the node name's variable"


def test_dependencies_wait_for_health_and_for_migrations(services: dict[str, Any]) -> None:
    web = depends_on(services["web"])
    assert web.get("migrate") == "service_completed_successfully"
    assert web.get("redis") == "service_healthy"
    worker = depends_on(services["worker"])
    assert "migrate" in worker and "redis" in worker
    assert depends_on(services["migrate"]).get("postgres") == "service_healthy"


def test_every_awaited_health_is_defined(services: dict[str, Any]) -> None:
    awaited = [
        (name, dependency)
        for name, service in services.items()
        for dependency, condition in depends_on(service).items()
        if condition == "service_healthy"
    ]
    assert awaited
    for name, dependency in awaited:
        assert dependency in services, f"{name} depends on unknown {dependency}"
        assert healthcheck_command(services[dependency])


def test_long_running_services_restart_unless_stopped(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name].get("restart") == "unless-stopped", name


# --- volumes ------------------------------------------------------------------------------


def test_web_and_worker_share_media_at_their_media_root(services: dict[str, Any]) -> None:
    sources = set()
    for name in ("web", "worker"):
        media_root = environment(services[name])["MEDIA_ROOT"]
        source = mounts(services[name]).get(media_root)
        assert source, f"{name}: nothing mounted at MEDIA_ROOT {media_root}"
        assert is_named_volume(source), f"{name}: {source} is not a named volume"
        sources.add(source)
    assert len(sources) == 1, f"web and worker write reports to different volumes: {sources}"


def test_postgres_keeps_its_data_in_the_pgdata_volume(services: dict[str, Any]) -> None:
    assert mounts(services["postgres"]).get("/var/lib/postgresql/data") == "pgdata"


def test_every_named_volume_used_is_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = {
        source
        for service in compose["services"].values()
        for source in mounts(service).values()
        if is_named_volume(source)
    }
    assert used, "no named volume found"
    assert used <= declared, f"undeclared volumes: {used - declared}"


# --- Dockerfile ---------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            result.append((keyword.upper(), arguments.strip()))
    return result


def dockerfile_runs() -> list[str]:
    return [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]


def dockerfile_argv(keyword: str) -> list[str]:
    values = [arguments for kw, arguments in dockerfile_instructions() if kw == keyword]
    if not values:
        return []
    value = values[-1]
    if value.startswith("["):
        return json.loads(value)
    return ["/bin/sh", "-c", value]


def apt_installed() -> set[str]:
    packages: set[str] = set()
    for run in dockerfile_runs():
        for step in re.split(r"&&|;", run):
            words = step.split()
            if words[:2] == ["apt-get", "install"] or words[:2] == ["apt", "install"]:
                packages.update(word for word in words[2:] if not word.startswith("-"))
    return packages


def test_dockerfile_starts_from_python_311_slim_bookworm() -> None:
    bases = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert bases and bases[-1].split()[0] == "python:3.11-slim-bookworm"


def test_dockerfile_installs_cjk_fonts_and_weasyprint_libraries() -> None:
    packages = apt_installed()
    expected = {"fonts-noto-cjk", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"}
    assert expected <= packages, f"missing: {expected - packages}"
    assert "curl" in packages, "the web healthcheck runs curl"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "USER"]
    assert users, "no USER: the container runs as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert any(re.search(rf"useradd\b.*\b{re.escape(user)}\b", run) for run in dockerfile_runs()), (
        f"user {user} is never created"
    )


def test_dockerfile_makes_media_root_writable_by_that_user(services: dict[str, Any]) -> None:
    user = next(a for k, a in reversed(dockerfile_instructions()) if k == "USER").split(":")[0]
    media_root = environment(services["web"])["MEDIA_ROOT"]
    assert any(
        re.search(rf"chown\s+(-R\s+)?{re.escape(user)}(:\S+)?\s+.*{re.escape(media_root)}", run)
        for run in dockerfile_runs()
    ), f"{media_root} is not given to {user}"


def test_dockerfile_installs_the_runtime_requirements() -> None:
    installs = [
        step
        for run in dockerfile_runs()
        for step in re.split(r"&&|;", run)
        if re.search(r"\bpip\d*\s+install\b", step)
    ]
    assert any(re.search(r"-r\s+(\S*/)?requirements\.txt\b", step) for step in installs)
    assert not any("requirements-dev" in step for step in installs), "dev tools in the image"


def test_dockerfile_collects_static_files_at_build() -> None:
    assert any(
        "collectstatic" in run and "SECRET_KEY=" in run and "--no-input" in run
        for run in dockerfile_runs()
    )


def test_dockerfile_default_command_runs_gunicorn() -> None:
    argv = dockerfile_argv("ENTRYPOINT") + dockerfile_argv("CMD")
    assert argv, "no CMD or ENTRYPOINT"
    gunicorn = gunicorn_command(commands(argv))
    assert "config.wsgi:application" in gunicorn
    port = gunicorn_bind_port(gunicorn)
    exposed = [a for k, a in dockerfile_instructions() if k == "EXPOSE"]
    assert any(port in value.split() for value in exposed), f"port {port} is not exposed"


def test_dockerfile_keeps_python_quiet_and_unbuffered() -> None:
    env = " ".join(a for k, a in dockerfile_instructions() if k == "ENV")
    assert re.search(r"\bPYTHONUNBUFFERED[= ]1\b", env)
    assert re.search(r"\bPYTHONDONTWRITEBYTECODE[= ]1\b", env)


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image() -> None:
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", "db.sqlite3", ".env", "media", "staticfiles"} <= ignored


# --- .env.production.example --------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^\s*(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def example_variables(*, include_commented: bool) -> dict[str, str]:
    result = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ASSIGNMENT.match(line)
        if match and (include_commented or not match.group(1)):
            result[match.group(2)] = match.group(3)
    return result


def test_settings_read_every_variable_in_the_allowed_list() -> None:
    source = SETTINGS_FILE.read_text()
    for name in SETTINGS_ENV_VARS:
        assert re.search(rf"env(\.\w+)?\(\s*[\"']{name}[\"']", source), f"settings ignore {name}"


def test_env_example_names_only_variables_that_are_read() -> None:
    names = set(example_variables(include_commented=True))
    assert names, "no variables found"
    unknown = names - SETTINGS_ENV_VARS - COMPOSE_ENV_VARS
    assert not unknown, f"nothing reads {sorted(unknown)}"


def test_env_example_sets_the_production_essentials() -> None:
    names = set(example_variables(include_commented=False))
    required = {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_URL"}
    assert required | {"DEFAULT_FROM_EMAIL", "POSTGRES_PASSWORD"} <= names


def test_env_example_provides_every_variable_compose_substitutes() -> None:
    used: set[str] = set()
    interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), SAMPLE_ENV, used)
    assert used
    assert used <= set(example_variables(include_commented=False))


def test_env_example_sets_nothing_that_compose_overrides(services: dict[str, Any]) -> None:
    overridden = set(environment(services["web"]))
    assert not overridden & set(example_variables(include_commented=False))


def test_env_example_allows_the_healthcheck_host(services: dict[str, Any]) -> None:
    url = next(word for word in healthcheck_argv(services["web"]) if word.startswith("http"))
    hosts = example_variables(include_commented=False)["ALLOWED_HOSTS"].split(",")
    assert urlsplit(url).hostname in {host.strip() for host in hosts} or "*" in hosts


def test_env_example_has_no_real_secret() -> None:
    values = example_variables(include_commented=False)
    assert values["SECRET_KEY"].strip() == "", "a committed SECRET_KEY would be shared"
    assert values["POSTGRES_PASSWORD"].strip() == ""
