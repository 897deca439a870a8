"""Airflow's own services (api-server, scheduler, dag-processor, triggerer) for one data home, on loopback.

For end-to-end runs through a real scheduler: the services run from this virtualenv in one process
group of their own, on SQLite with the LocalExecutor, the API on 127.0.0.1 at a free port, logs under
``<AIRFLOW_HOME>/logs/services/``. The scheduler creates no runs from DAG schedules: only runs
triggered through the REST API happen. The public API is reached as the simple auth manager's one
admin user, whose password is made per start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from datetime import datetime
from pathlib import Path

import psutil

from youth_safety.airflow_env import airflow_env
from youth_safety.config import Settings

SERVICES = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
HEALTH_CHECKED = ("scheduler", "dag_processor", "triggerer")
FINISHED = {"success", "failed"}
USER = "youth_safety"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 60) -> str:
    """The last lines of a log file (empty if it does not exist)."""
    if not path.exists():
        return ""
    with open(path, errors="replace") as fh:
        return "".join(deque(fh, maxlen=lines))


class AirflowClient:
    """A tiny client for Airflow's v2 public REST API, authenticated with a JWT from the simple auth manager."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self._credentials = {"username": username, "password": password}
        self._token: str | None = None

    def _call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        request = urllib.request.Request(
            self.base_url + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path}: HTTP {error.code}: {error.read().decode(errors='replace')}") from None

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        """Call the API (``path`` from ``/api/v2``) and return its JSON."""
        if self._token is None:
            self._token = self._call("POST", "/auth/token", self._credentials)["access_token"]
        return self._call(method, "/api/v2" + path, body, self._token)

    def health(self) -> dict:
        return self._call("GET", "/api/v2/monitor/health")

    def unpause(self, dag_id: str) -> None:
        self.request("PATCH", f"/dags/{dag_id}?update_mask=is_paused", {"is_paused": False})

    def trigger(self, dag_id: str, logical_date: datetime) -> str:
        """Trigger a run for a (timezone-aware) logical date; returns its run id."""
        return self.request("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": logical_date.isoformat()})["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float, poll: float = 5) -> str:
        """Poll a run until it succeeds or fails; its last state if ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while (state := self.run_state(dag_id, run_id)) not in FINISHED and time.monotonic() < deadline:
            time.sleep(poll)
        return state

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        """State per task instance (mapped ones as ``task_id[map_index]``)."""
        found = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")["task_instances"]
        return {t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else ""): t["state"] for t in found}


class AirflowServices:
    """The services for one data home: ``start()`` (bounded wait until healthy), ``client``, ``stop()``; a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log_dir = settings.airflow_home / "logs" / "services"
        self.port = _free_port()
        self._password = secrets.token_urlsafe(16)
        self.client = AirflowClient(f"http://127.0.0.1:{self.port}", USER, self._password)
        self.processes: dict[str, subprocess.Popen] = {}
        self._seen: dict[int, psutil.Process] = {}

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def logs(self) -> str:
        """Where each service logs, for failure messages."""
        return "\n".join(f"{name}: {self.log_path(name)}" for name in SERVICES)

    def _env(self) -> dict[str, str]:
        """The services' environment; writes the simple auth manager's passwords file (owner-only)."""
        home = self.settings.airflow_home
        passwords = home / "simple_auth_manager_passwords.json"
        passwords.parent.mkdir(parents=True, exist_ok=True)
        passwords.touch(mode=0o600)
        passwords.write_text(json.dumps({USER: self._password}))
        return {
            **os.environ,
            **airflow_env(self.settings),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.client.base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.client.base_url}/execution/",
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        }

    def start(self, timeout: float = 300) -> None:
        """Start every service in one new process group and wait until the API reports them healthy."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self._env()
        group = 0
        for name, args in SERVICES.items():
            with open(self.log_path(name), "a") as log:
                process = subprocess.Popen([sys.executable, "-m", "airflow", *args], env=env, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, process_group=group)
            self.processes[name] = process
            group = group or process.pid
        self._wait_healthy(timeout)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        health: dict | str = "no answer yet"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"Airflow {name} exited with {process.returncode}; its log "
                                       f"{self.log_path(name)} ends:\n{tail(self.log_path(name))}")
            try:
                health = self.client.health()
            except (urllib.error.URLError, ConnectionError, RuntimeError) as error:
                health = str(error)
            else:
                if all((health.get(c) or {}).get("status") == "healthy" for c in HEALTH_CHECKED):
                    return
            time.sleep(2)
        raise TimeoutError(f"Airflow services not healthy after {timeout:.0f} s (last health: {health}); logs:\n{self.logs()}")

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        """Wait until the dag-processor has parsed ``dag_id`` (fail on its import error)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            errors = self.client.request("GET", "/importErrors")["import_errors"]
            if errors:
                raise RuntimeError(f"DAG import errors: {errors}")
            if any(d["dag_id"] == dag_id for d in self.client.request("GET", f"/dags?dag_id_pattern={dag_id}")["dags"]):
                return
            time.sleep(2)
        raise TimeoutError(f"{dag_id} not parsed after {timeout:.0f} s; dag-processor log: {self.log_path('dag-processor')}")

    @property
    def _group(self) -> int:
        return next(iter(self.processes.values())).pid

    def alive(self) -> list[psutil.Process]:
        """The services' processes still running: their group, and every process they started (task processes
        run in groups of their own); zombies count as gone."""
        if not self.processes:
            return []
        for process in self.processes.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                root = psutil.Process(process.pid)
                for each in (root, *root.children(recursive=True)):
                    self._seen.setdefault(each.pid, each)
        for each in psutil.process_iter():
            with contextlib.suppress(ProcessLookupError):
                if os.getpgid(each.pid) == self._group:
                    self._seen.setdefault(each.pid, each)
        running = []
        for process in self._seen.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    running.append(process)
        return running

    def stop(self, grace: float = 30) -> None:
        """SIGTERM the services' process group; after ``grace`` seconds SIGKILL it and every process of theirs left."""
        if not self.processes:
            return
        self.alive()  # remembers the whole tree before parents exit and orphan their children
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._group, signal.SIGTERM)
        psutil.wait_procs(self.alive(), timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._group, signal.SIGKILL)
        for process in self.alive():
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(self.alive(), timeout=10)
        for process in self.processes.values():
            process.wait(timeout=10)

    def __enter__(self) -> AirflowServices:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
