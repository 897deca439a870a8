"""The one Airflow environment used by the CLI, the Makefile (through the CLI) and the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from youth_safety.config import REPO_ROOT, TASK_RETRY_DELAY_SECONDS, TIMEZONE, Settings

DAGS_DIR = REPO_ROOT / "dags"
STOP_GRACE_SECONDS = 30  # an interrupted Airflow command's group gets this long after SIGTERM, then SIGKILL


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment variables that point Airflow (and the tasks it runs) at one data home.

    Metadata in SQLite under ``<home>/airflow``, DAGs from the repository, no example
    DAGs, plugins and logs under AIRFLOW_HOME. (dbt's own switches live in dbt_runner.)
    """
    home = settings.airflow_home
    return {
        "YOUTH_SAFETY_HOME": str(settings.home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }


@contextmanager
def airflow_process(settings: Settings, args: list[str], log_path: Path) -> Iterator[subprocess.Popen]:
    """``airflow <args>`` from this virtualenv in the project's Airflow environment, in its own process group,
    output appended to ``log_path``; waited for on leaving the block.

    If the caller is interrupted meanwhile (Ctrl-C, or SIGTERM while this runs in the main thread), the
    whole group is stopped, Airflow and what it started (task processes, dbt), before the interruption goes on."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log, _sigterm_raises():
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen([sys.executable, "-m", "airflow", *args], env={**os.environ, **airflow_env(settings)},
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
            process.wait()
        except BaseException:
            stop_group(process)
            raise


def run_airflow(settings: Settings, args: list[str], log_path: Path) -> subprocess.Popen:
    """Run ``airflow <args>`` to the end (``airflow_process``); the caller reads the finished process's return code."""
    with airflow_process(settings, args, log_path) as process:
        return process


def stop_group(process: subprocess.Popen, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM the process's group, then SIGKILL it if it has not ended within ``grace_seconds``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(grace_seconds)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """In the main thread, turn SIGTERM into SystemExit (143) for the block, so cleanup runs as it does for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum, _frame) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def logical_night() -> date:
    """Inside a task: the night its run is for, the run's logical date (or, without one, run_after) in London."""
    from airflow.sdk import get_current_context

    return night_of(get_current_context())


def night_of(context) -> date:
    """The night a task context's run is for: its logical date (or, without one, run_after) in London."""
    import pendulum

    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date()


def build_owner(context) -> str:
    """Who holds the warehouse's working copy during a DAG run (``youth_safety.publish``): ``<dag_id>/<run_id>``."""
    return f"{context['dag_run'].dag_id}/{context['run_id']}"


def build_settings() -> Settings:
    """Inside a task of a build (nightly, retention): settings whose warehouse is this run's working copy.

    When the run does not hold it, the task is skipped if the run's own prepare step failed (that
    failure is the night's one alert, not one more per later step), and fails, without retries,
    if another build took the copy over."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from youth_safety.publish import PublishError, working_settings

    context = get_current_context()
    try:
        return working_settings(Settings.from_env(), build_owner(context))
    except PublishError as refused:
        if not prepared(context):
            raise AirflowSkipException("nothing to build on: this run's prepare step did not succeed") from None
        raise AirflowFailException(str(refused)) from None  # waiting will not mend it: not retried


def prepared(context) -> bool:
    """Whether the run's ``prepare`` task (the working copy) succeeded, from Airflow's record of the run."""
    run = context["dag_run"]
    return context["ti"].get_ti_count(dag_id=run.dag_id, task_ids=["prepare"], run_ids=[run.run_id], states=["success"]) > 0


def task_defaults() -> dict:
    """default_args of every partnership DAG: retries with exponential back-off (from TASK_RETRY_DELAY_SECONDS) for transient errors
    (data-quality failures raise AirflowFailException, which Airflow never retries) and an alert when a
    task fails for good (youth_safety.alerts)."""
    from datetime import timedelta

    from youth_safety.alerts import alert_on_failure

    return {"retries": 2, "retry_delay": timedelta(seconds=TASK_RETRY_DELAY_SECONDS), "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=10), "on_failure_callback": alert_on_failure}
