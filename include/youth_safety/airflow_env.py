"""The one Airflow environment used by the CLI, the Makefile (through the CLI) and the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from youth_safety.config import REPO_ROOT, TIMEZONE, Settings

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
    import pendulum
    from airflow.sdk import get_current_context

    context = get_current_context()
    moment = context["logical_date"] or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date()
