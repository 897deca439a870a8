"""Stopping `youth-safety run` stops the Airflow run it started: nothing of it is left writing the warehouse.

A night whose files have not arrived (tomorrow's, before its cut-off) keeps the real DAG waiting in
``wait_for_files``; the operator's SIGTERM to the CLI then ends the CLI and every process of the run.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pendulum
import psutil

from youth_safety.config import TIMEZONE, Settings

CLI = Path(sys.executable).parent / "youth-safety"
STARTUP_SECONDS = 300
STOP_SECONDS = 60


def run_started(settings: Settings) -> bool:
    """Whether Airflow's metadata database holds a task instance of a partnership_nightly run."""
    db = settings.airflow_home / "airflow.db"
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("select count(*) from task_instance where dag_id = 'partnership_nightly' "
                               "and state is not null").fetchone()[0] > 0
    except sqlite3.OperationalError:  # not there yet, or being migrated
        return False


def test_sigterm_to_run_stops_the_airflow_run_it_started(tmp_path):
    settings = Settings(tmp_path / "home")
    env = {**os.environ, "YOUTH_SAFETY_HOME": str(settings.home)}
    for command in ("dev-key", "airflow-init"):
        done = subprocess.run([str(CLI), command], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
    tomorrow = pendulum.today(TIMEZONE).date() + timedelta(days=1)  # before its cut-off: the run waits for files
    cli = subprocess.Popen([str(CLI), "run", "--date", tomorrow.isoformat()], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not run_started(settings):
            assert cli.poll() is None, f"the run ended (exit {cli.returncode}) before it could be stopped:\n{cli.stdout.read()}"
            assert time.monotonic() < deadline, "the run never started a task"
            time.sleep(0.5)
        started = psutil.Process(cli.pid).children(recursive=True)
        assert any("dags" in p.cmdline() and "test" in p.cmdline() for p in started), [p.cmdline() for p in started]

        cli.send_signal(signal.SIGTERM)
        assert cli.wait(STOP_SECONDS) == 128 + signal.SIGTERM
        _, alive = psutil.wait_procs(started, timeout=STOP_SECONDS)
        assert not alive, [p.cmdline() for p in alive]  # Airflow and every process it started are gone
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
