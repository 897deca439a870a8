"""The one Airflow environment used by the CLI, the Makefile (through the CLI) and the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from youth_safety.config import REPO_ROOT, TASK_RETRY_DELAY_SECONDS, TIMEZONE, Settings

DAGS_DIR = REPO_ROOT / "dags"


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


def run_airflow(settings: Settings, args: list[str], log_path: Path) -> subprocess.CompletedProcess:
    """Run ``airflow <args>`` from this virtualenv in the project's Airflow environment.

    Airflow's output is appended to ``log_path``; the caller reads the return code.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as log:
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        return subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env={**os.environ, **airflow_env(settings)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


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
    """Inside a task of a build (nightly, retention): settings whose warehouse is this run's working copy,
    refused when the run does not hold it (its prepare step failed, or another build took over)."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    from youth_safety.publish import PublishError, working_settings

    try:
        return working_settings(Settings.from_env(), build_owner(get_current_context()))
    except PublishError as refused:
        raise AirflowFailException(str(refused)) from None  # waiting will not mend it: not retried


def task_defaults() -> dict:
    """default_args of every partnership DAG: retries with exponential back-off (from TASK_RETRY_DELAY_SECONDS) for transient errors
    (data-quality failures raise AirflowFailException, which Airflow never retries) and an alert when a
    task fails for good (youth_safety.alerts)."""
    from datetime import timedelta

    from youth_safety.alerts import alert_on_failure

    return {"retries": 2, "retry_delay": timedelta(seconds=TASK_RETRY_DELAY_SECONDS), "retry_exponential_backoff": True,
            "max_retry_delay": timedelta(minutes=10), "on_failure_callback": alert_on_failure}
