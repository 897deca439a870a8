"""What Airflow's metadata database says about the partnership's DAG runs: one run's task progress, each night's state.

Read-only, from the SQLite database the CLI's Airflow uses (``<airflow home>/airflow.db``),
while ``airflow dags test`` writes it: a read that finds the database busy or not yet
set up returns nothing, never raises, so a progress bar or ``youth-safety status`` simply
shows less. Task names only, never a value a task handled.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pendulum

from youth_safety.config import TIMEZONE, Settings

FINISHED = ("success", "failed", "skipped", "upstream_failed", "removed")
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how Airflow's SQLite database stores UTC timestamps


@dataclass(frozen=True)
class TaskProgress:
    """One DAG run's task instances: how many finished of how many known, which run and which failed.

    A mapped task counts as one until Airflow expands it (then once per mapped instance), so
    ``total`` can grow while the run goes on."""

    run_id: str
    state: str | None
    done: int
    total: int
    running: tuple[str, ...]
    failed: tuple[str, ...]


def read_metadata(settings: Settings, sql: str, params: list) -> list[tuple] | None:
    """Rows of a query on Airflow's metadata database, read-only; None when it is missing or busy."""
    path = settings.airflow_home / "airflow.db"
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)) as con:
            return con.execute(sql, params).fetchall()
    except sqlite3.Error:
        return None


def task_label(task_id: str, map_index: int, rendered: str | None) -> str:
    """A task instance as Airflow shows it: the task, and for a mapped one its rendered map index."""
    return task_id if map_index < 0 else f"{task_id}[{rendered or map_index}]"


def run_progress(settings: Settings, dag_id: str, created_after: datetime) -> TaskProgress | None:
    """The newest run of ``dag_id`` created after ``created_after`` (aware), or None when there is none yet."""
    runs = read_metadata(settings, "select run_id, state from dag_run where dag_id = ? and created_at >= ? order by created_at desc limit 1",
                 [dag_id, created_after.astimezone(UTC).strftime(STAMP)])
    if not runs:
        return None
    run_id, state = runs[0]
    tasks = read_metadata(settings, "select task_id, map_index, rendered_map_index, state from task_instance "
                            "where dag_id = ? and run_id = ? order by id", [dag_id, run_id])
    if tasks is None:
        return None
    return TaskProgress(
        run_id=run_id, state=state, done=sum(1 for t in tasks if t[3] in FINISHED), total=len(tasks),
        running=tuple(task_label(*t[:3]) for t in tasks if t[3] == "running"),
        failed=tuple(task_label(*t[:3]) for t in tasks if t[3] in ("failed", "upstream_failed")),
    )


def night_states(settings: Settings, dag_id: str) -> dict[date, str]:
    """Each night's latest run state (the run's logical date, or without one its run_after, in London)."""
    rows = read_metadata(settings, "select coalesce(logical_date, run_after), state from dag_run where dag_id = ? order by created_at",
                 [dag_id]) or []
    states = {}
    for moment, state in rows:
        when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        states[pendulum.instance(when).in_timezone(TIMEZONE).date()] = state
    return states
