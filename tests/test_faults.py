"""Faults during a real nightly run (airflow dags test): the process killed mid-load and mid-dbt (SIGKILL), the
published warehouse locked by another writer, a write failing (file-size limit: the disk is "full").

After each, analysts' published warehouse is the previous good one, byte for byte in content; and the
re-run after all of them publishes marts identical to a clean run of the same night from the same start.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from youth_safety.airflow_env import airflow_env
from youth_safety.checksums import table_checksums
from youth_safety.config import Settings
from youth_safety.publish import Build

START, END = date(2024, 9, 1), date(2024, 11, 30)
NIGHT_1, NIGHT_2 = END - timedelta(days=1), END
RUN_TIMEOUT = 900


def night_process(settings: Settings, night: date, **popen) -> subprocess.Popen:
    """``airflow dags test partnership_nightly <night>`` in its own process group (so a kill takes dbt too)."""
    env = {**os.environ, **airflow_env(settings), "YOUTH_SAFETY_RETRY_DELAY_SECONDS": "1"}
    log = open(settings.airflow_home / "logs" / f"fault_{night}_{time.monotonic_ns()}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test", "partnership_nightly", night.isoformat()],
                            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **popen)


def run_night(settings: Settings, night: date, **popen) -> int:
    process = night_process(settings, night, **popen)
    return process.wait(timeout=RUN_TIMEOUT)


def running_tasks(settings: Settings) -> set[str]:
    """Task ids Airflow's metadata database shows running now."""
    with sqlite3.connect(f"file:{settings.airflow_home / 'airflow.db'}?mode=ro", uri=True, timeout=30) as db:
        return {row[0] for row in db.execute("select task_id from task_instance where dag_id = 'partnership_nightly' and state = 'running'")}


def kill_during(settings: Settings, night: date, task_id: str, after_seconds: float = 0.0) -> None:
    """Start the night and SIGKILL its whole process group once ``task_id`` has been running ``after_seconds``."""
    process = night_process(settings, night)
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while task_id not in running_tasks(settings):
            assert process.poll() is None, f"the night ended (exit {process.returncode}) before {task_id} ran"
            assert time.monotonic() < deadline, f"{task_id} never ran"
            time.sleep(0.2)
        time.sleep(after_seconds)
        assert process.poll() is None, f"the night ended before it could be killed in {task_id}"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def analyst_view(settings: Settings) -> dict:
    return table_checksums(settings.published_warehouse_path)


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> Settings:
    """A small borough with NIGHT_1 published: the previous good warehouse every fault must leave in place."""
    from youth_safety.generator import generate
    from youth_safety.privacy.keys import ensure_development_key

    settings = Settings(tmp_path_factory.mktemp("faults") / "home")
    ensure_development_key(settings)
    generate(settings, scale=0.02, seed=11, start=START, end=END, nightly_days=2)
    env = {**os.environ, **airflow_env(settings)}
    done = subprocess.run([str(Path(sys.executable).parent / "youth-safety"), "airflow-init"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_night(settings, NIGHT_1) == 0
    return settings


@pytest.fixture(scope="module")
def clean_second_night(first_night, tmp_path_factory) -> dict:
    """The reference: NIGHT_2 run once, cleanly, from a copy of the same home."""
    clean = Settings(tmp_path_factory.mktemp("clean") / "home")
    shutil.copytree(first_night.home, clean.home)
    assert run_night(clean, NIGHT_2) == 0
    return analyst_view(clean)


@pytest.fixture(scope="module")
def good(first_night) -> dict:
    view = analyst_view(first_night)
    assert view["marts.dim_person"][0] > 100 and len(view) > 20
    return view


def test_killed_mid_load_leaves_the_previous_warehouse_published(first_night, good):
    kill_during(first_night, NIGHT_2, "load")
    assert analyst_view(first_night) == good
    assert Build.read(first_night).owner.startswith("partnership_nightly/")  # the dead run's working copy, never published


def test_killed_mid_dbt_leaves_the_previous_warehouse_published(first_night, good):
    kill_during(first_night, NIGHT_2, "dbt_build", after_seconds=5)
    assert analyst_view(first_night) == good


def alerts_since(settings: Settings, seen: int) -> list[dict]:
    """The alerts written after the first ``seen``."""
    path = settings.reports_dir / "alerts" / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()[seen:]] if path.exists() else []


def test_a_locked_warehouse_fails_the_night_and_publishes_nothing(first_night, good):
    seen = len(alerts_since(first_night, 0))
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(600)", str(first_night.published_warehouse_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert run_night(first_night, NIGHT_2) != 0
    finally:
        holder.kill()
        holder.wait()
    assert analyst_view(first_night) == good
    alerts = alerts_since(first_night, seen)
    assert alerts[0]["task"] == "prepare", alerts  # the operators are told which task and why
    assert all("lock" in a["reason"] for a in alerts), alerts
    assert {a["task"] for a in alerts} <= {"prepare", "report"}, alerts  # the build steps after prepare are skipped, not alerted


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_failing_write_fails_the_night_and_publishes_nothing(first_night, good):
    size = first_night.published_warehouse_path.stat().st_size  # writing the working copy fails at its last byte
    assert run_night(first_night, NIGHT_2, preexec_fn=_limit_file_size(size - 1)) != 0
    assert analyst_view(first_night) == good
    alerts = alerts_since(first_night, 0)
    assert any(a["task"] == "prepare" and "File too large" in a["reason"] for a in alerts), alerts


def test_after_the_faults_a_re_run_publishes_what_a_clean_run_does(first_night, good, clean_second_night):
    assert run_night(first_night, NIGHT_2) == 0
    mended = analyst_view(first_night)
    assert mended != good
    assert mended == clean_second_night
    assert Build.read(first_night) is None
    assert table_checksums(first_night.previous_warehouse_path) == good  # kept for rollback
