"""The deployment files agree with each other and with Tocsin: the compose file's services and
wiring, the Caddyfile's upstreams, the Dockerfile's health check and build context, the systemd
units' commands.

`make lint` checks the Dockerfile with hadolint and the units with `systemd-analyze verify`;
these check what those tools cannot know. The compose file follows the Compose Specification
(https://github.com/compose-spec/compose-spec/blob/main/spec.md): `x-` extension fields and
YAML merge keys, `depends_on` conditions, `deploy.replicas`, `healthcheck.disable`.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tocsin.app import create_app
from tocsin.cli import app as cli_app
from tocsin.core.client_address import parse_networks
from tocsin.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"
SYSTEMD_DIR = ROOT / "deploy" / "systemd"
TOCSIN_SERVICES = ("migrate", "api-1", "api-2", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE_DIR / "compose.yaml").read_text("utf-8"))
    return loaded


def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def is_tocsin_command(arguments: list[str]) -> bool:
    """Whether `tocsin ARGUMENTS` is a command line Tocsin takes: its options are parsed
    before --help answers, so an unknown command or option fails here."""
    result = CliRunner().invoke(cli_app, [*arguments, "--help"])
    return result.exit_code == 0


def test_compose_runs_two_api_processes_and_two_workers_after_the_schema_upgrade(
    compose: dict[str, Any],
) -> None:
    found = services(compose)
    assert set(found) == {"postgres", "redis", "migrate", "api-1", "api-2", "worker", "proxy"}
    assert found["api-1"]["command"] == found["api-2"]["command"] == ["serve", "--no-worker"]
    assert found["worker"]["command"] == ["worker"]
    assert found["worker"]["deploy"]["replicas"] == 2
    assert found["migrate"]["command"] == ["db", "upgrade"]
    assert found["migrate"]["restart"] == "no"
    for name in ("api-1", "api-2", "worker"):
        assert found[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert found["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in TOCSIN_SERVICES:
        assert is_tocsin_command(found[name]["command"]), found[name]["command"]


def test_every_tocsin_process_shares_the_database_redis_and_secret_key(
    compose: dict[str, Any],
) -> None:
    found = services(compose)
    postgres = found["postgres"]["environment"]
    for name in TOCSIN_SERVICES:
        environment = found[name]["environment"]
        url = environment["TOCSIN_DATABASE_URL"]
        assert url.startswith(f"postgresql://{postgres['POSTGRES_USER']}:")
        assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
        assert environment["TOCSIN_REDIS_URL"].startswith("redis://redis:6379/")
        # Required, not defaulted: a key generated per container would split the processes.
        assert environment["TOCSIN_SECRET_KEY"].startswith("${TOCSIN_SECRET_KEY:?")
        assert found[name]["image"] == "tocsin:local"
        assert found[name]["volumes"] == ["tocsin-data:/var/lib/tocsin"]


def test_only_the_proxy_is_trusted_and_it_proxies_to_both_api_processes(
    compose: dict[str, Any],
) -> None:
    found = services(compose)
    proxy_address = ipaddress.ip_address(found["proxy"]["networks"]["tocsin"]["ipv4_address"])
    [subnet] = [
        ipaddress.ip_network(entry["subnet"])
        for entry in compose["networks"]["tocsin"]["ipam"]["config"]
    ]
    assert proxy_address in subnet
    for name in TOCSIN_SERVICES:
        trusted = parse_networks(found[name]["environment"]["TOCSIN_TRUSTED_PROXIES"])
        assert trusted == (ipaddress.ip_network(proxy_address),)
    caddyfile = (COMPOSE_DIR / "Caddyfile").read_text("utf-8")
    [upstreams] = re.findall(r"reverse_proxy ([^{\n]+)\{", caddyfile)
    assert upstreams.split() == ["api-1:8080", "api-2:8080"]
    assert "health_uri /healthz" in caddyfile
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in found["proxy"]["volumes"]


def test_workers_and_the_migration_skip_the_http_health_check(compose: dict[str, Any]) -> None:
    found = services(compose)
    assert found["worker"]["healthcheck"] == {"disable": True}
    assert found["migrate"]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in found["api-1"]


def test_the_env_example_names_every_variable_compose_requires(compose: dict[str, Any]) -> None:
    text = (COMPOSE_DIR / "compose.yaml").read_text("utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {"POSTGRES_PASSWORD", "TOCSIN_SECRET_KEY", "TOCSIN_SITE"}
    example = (COMPOSE_DIR / "env.example").read_text("utf-8")
    assigned = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert required <= assigned


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False
    ).returncode,
    reason="docker compose is not installed; the YAML tests above still ran",
)
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "TOCSIN_SITE=tocsin.example.com\nPOSTGRES_PASSWORD=pw\nTOCSIN_SECRET_KEY=k\n", "utf-8"
    )
    result = subprocess.run(
        [
            "docker",
            "compose",
            "--env-file",
            str(env),
            "-f",
            str(COMPOSE_DIR / "compose.yaml"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    logical = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in logical.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_the_image_checks_health_on_a_route_tocsin_serves(runtime: Runtime) -> None:
    [healthcheck] = [
        rest for keyword, rest in dockerfile_instructions() if keyword == "HEALTHCHECK"
    ]
    [path] = re.findall(r"/healthz", healthcheck)
    paths = {getattr(route, "path", None) for route in create_app(runtime).routes}
    assert path in paths


def test_the_build_context_holds_every_file_the_build_stage_copies() -> None:
    """.dockerignore admits only what is listed; a COPY of anything else fails the build."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def admitted(path: str) -> bool:
        verdict = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            glob = pattern.removeprefix("!").rstrip("/")
            if fnmatch.fnmatch(path, glob) or path.startswith(glob + "/"):
                verdict = negated
        return verdict

    copied = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY" and "--from" not in rest:
            *sources, _ = shlex.split(rest)
            copied += sources
    mounted = re.findall(r"--mount=type=bind,source=([^,\s]+)", (ROOT / "Dockerfile").read_text())
    assert copied
    for source in [*copied, *mounted]:
        assert (ROOT / source).exists(), source
        assert admitted(source), f"{source} is left out of the build context by .dockerignore"
    assert not admitted("tocsin.db")
    assert not admitted("tocsin-data/secret.key")
    assert not admitted(".venv/bin/python")


def test_the_image_runs_as_a_user_that_is_not_root() -> None:
    users = [rest for keyword, rest in dockerfile_instructions() if keyword == "USER"]
    assert users
    uid = users[-1].split(":")[0]
    assert uid.isdecimal()
    assert int(uid) != 0
    entrypoint = [rest for keyword, rest in dockerfile_instructions() if keyword == "ENTRYPOINT"]
    assert entrypoint == ['["tocsin"]']


def unit_settings(name: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (SYSTEMD_DIR / name).read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


@pytest.mark.parametrize(
    ("unit", "command"),
    [("tocsin-api.service", "serve --no-worker"), ("tocsin-worker@.service", "worker")],
)
def test_the_units_run_tocsin_hardened_with_a_state_directory(unit: str, command: str) -> None:
    settings = unit_settings(unit)
    assert settings["ExecStart"] == [f"/opt/tocsin/bin/tocsin {command}"]
    assert is_tocsin_command(command.split())
    assert settings["User"] == ["tocsin"]
    assert settings["StateDirectory"] == ["tocsin"]
    assert settings["ProtectSystem"] == ["strict"]
    assert settings["NoNewPrivileges"] == ["yes"]
    assert settings["EnvironmentFile"] == ["/etc/tocsin/tocsin.env"]
    defaults = dict(value.split("=", 1) for value in settings["Environment"])
    # Everything Tocsin writes lands in the one directory ProtectSystem=strict leaves writable.
    assert defaults["TOCSIN_DATABASE_URL"] == "sqlite:////var/lib/tocsin/tocsin.db"
    assert defaults["TOCSIN_DATA_DIR"].startswith("/var/lib/tocsin/")
    assert settings["WorkingDirectory"] == ["/var/lib/tocsin"]
