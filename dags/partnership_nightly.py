"""Nightly partnership load: every agency's landed files into the raw layer, then dbt, then the summary.

Runs at 02:00 Europe/London. The night a run processes is its logical date in
Europe/London (YYYY-MM-DD): files in landing folders dated on or before it that are
not loaded yet.

Failure policy: the per-source loads are mapped task instances, so one source failing
does not stop the others from loading (each file commits on its own, and a re-run
skips what is already in). dbt_build and summarise keep the default trigger rule
(all_success): a night with a failed load builds no marts from a partial delivery and
the run fails, so it is seen and re-run once the file is mended.

Every task writes the DuckDB warehouse, and DuckDB allows one writing process per
file, so all of them take a slot of the one-slot warehouse writer pool.
Nothing here touches the warehouse or heavy libraries at parse time.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from youth_safety.config import SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings


def _night() -> date:
    """The night this run processes: its logical date (or, without one, run_after) in London."""
    context = get_current_context()
    moment = context["logical_date"] or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone(TIMEZONE).date()


@dag(
    dag_id="partnership_nightly",
    schedule=CronTriggerTimetable("0 2 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["partnership"],
)
def partnership_nightly():
    @task(pool=WAREHOUSE_WRITER_POOL, map_index_template="{{ task.op_kwargs['source'] }}")
    def load(source: str) -> dict:
        """Load one source's new files for the night."""
        from youth_safety.ingest import load_source

        return asdict(load_source(Settings.from_env(), source, _night()))

    @task(pool=WAREHOUSE_WRITER_POOL)
    def dbt_build() -> None:
        """Build the dbt project (seeds, models, tests) on the warehouse."""
        from youth_safety.dbt_runner import build

        build(Settings.from_env())

    @task(pool=WAREHOUSE_WRITER_POOL)
    def summarise(loads: list[dict]) -> dict:
        """Record files and rows per source for the night."""
        from youth_safety.ingest import SourceLoad
        from youth_safety.summary import write_summary

        run_id = get_current_context()["run_id"]
        summary = write_summary(Settings.from_env(), _night(), run_id, [SourceLoad(**d) for d in loads])
        return summary.as_dict()

    loads = load.expand(source=list(SOURCES))
    loads >> dbt_build() >> summarise(loads)


partnership_nightly()
