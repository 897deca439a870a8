"""A real scheduler run: Airflow's own services on loopback run partnership_nightly, triggered through the REST API."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pendulum
import pytest

from youth_safety.airflow_env import airflow_env
from youth_safety.airflow_services import AirflowServices, tail
from youth_safety.config import SOURCES, TIMEZONE, Settings
from youth_safety.publish import history

CLI = Path(sys.executable).parent / "youth-safety"
DAG_ID = "partnership_nightly"
START, NIGHT = date(2024, 4, 1), date(2024, 6, 30)
RUN_TIMEOUT = 12 * 60
GX_IMPORT_NOISE = "Skipping registering function"  # a thousand lines of each task's start, relayed by the scheduler


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Settings:
    """A small borough landed in a fresh data home (every file on time), with a key and Airflow's metadata database."""
    from youth_safety.generator import MessRates, generate

    settings = Settings(tmp_path_factory.mktemp("scheduler-run"))
    generate(settings, scale=0.02, seed=7, start=START, end=NIGHT, nightly_days=1, rates=MessRates(late_file=0.0))
    env = {**os.environ, **airflow_env(settings)}
    for command in ("dev-key", "airflow-init"):
        done = subprocess.run([str(CLI), command], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
    return settings


@pytest.fixture
def services(home: Settings):
    """The services for the home; stopped afterwards, even on failure, leaving no process behind."""
    with AirflowServices(home) as services:
        yield services
    assert services.alive() == [], f"still running after stop(): {services.alive()}"


def failure_report(services: AirflowServices, home: Settings, run_id: str, state: str) -> str:
    """The run's state and task states, the logs of its unfinished or failed tasks, and the scheduler's log tail."""
    states = services.client.task_states(DAG_ID, run_id)
    bad = {task.split("[")[0] for task, s in states.items() if s != "success"}
    run_logs = home.airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    task_logs = [f"--- {path}\n{tail(path, 30)}" for path in sorted(run_logs.rglob("*.log"))
                 if any(part == f"task_id={task}" for task in bad for part in path.parts)]
    scheduler = [line for line in tail(services.log_path("scheduler"), 5000).splitlines() if GX_IMPORT_NOISE not in line]
    return "\n".join([f"run {run_id}: {state}", f"task states: {states}", *task_logs,
                       f"--- scheduler log {services.log_path('scheduler')} ends:", *scheduler[-60:],
                       "service logs:", services.logs()])


def test_the_scheduler_runs_a_night_triggered_through_the_rest_api_and_publishes_the_warehouse(home, services):
    services.wait_for_dag(DAG_ID)
    services.client.unpause(DAG_ID)
    run_id = services.client.trigger(DAG_ID, pendulum.datetime(NIGHT.year, NIGHT.month, NIGHT.day, 2, tz=TIMEZONE))

    state = services.client.wait_for_run(DAG_ID, run_id, timeout=RUN_TIMEOUT)
    assert state == "success", failure_report(services, home, run_id, state)

    with duckdb.connect(str(home.warehouse_path), read_only=True) as con:
        summary = dict(con.execute("select source, status from audit.run_summaries where night = ? and run_id = ?",
                                   [NIGHT, run_id]).fetchall())
        people = con.execute("select count(*) from marts.dim_person").fetchall()[0][0]
    assert summary == dict.fromkeys(SOURCES, "published")
    assert people > 0
    assert [(p.action, p.owner) for p in history(home)] == [("publish", f"{DAG_ID}/{run_id}")]  # swapped in by this run
