"""Retention: every morning, purge what is past each source's retention period, then rebuild the models.

Runs at 06:30 Europe/London, after the nightly load (02:00, waiting for late files until 05:00). The night a run judges
retention on is its logical date in Europe/London. ``purge`` removes from every layer
the records past their source's ``retention_years`` (``governance/register.yml``): raw
rows, the audit rows of files past retention, vault records nothing refers to any more,
and moves landed files older than ``landed_files.keep_days`` into the owner-only archive
(see ``youth_safety.governance.retention``); ``dbt_build`` rebuilds every model without
them. Like the nightly run, both write a working copy that ``prepare`` takes from the
published warehouse and ``publish`` swaps in atomically when both succeeded
(``youth_safety.publish``): analysts never see a half-purged warehouse. Every step that
writes DuckDB takes the one-slot warehouse writer pool (shared with the nightly load).
Nothing here touches the warehouse or heavy libraries at parse time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from youth_safety.airflow_env import build_owner, build_settings, task_defaults
from youth_safety.config import TIMEZONE, WAREHOUSE_WRITER_POOL, Settings


@dag(
    default_args=task_defaults(),
    dag_id="partnership_retention",
    schedule=CronTriggerTimetable("30 6 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["partnership", "governance"],
)
def partnership_retention():
    @task(pool=WAREHOUSE_WRITER_POOL)
    def prepare() -> None:
        """Copy the published warehouse to the working copy."""
        from youth_safety.publish import prepare as prepare_copy

        prepare_copy(Settings.from_env(), build_owner(get_current_context()))

    @task(pool=WAREHOUSE_WRITER_POOL)
    def purge() -> dict:
        """Purge records past retention from every layer and move old landed files; rows removed per layer."""
        from youth_safety.airflow_env import logical_night
        from youth_safety.governance.retention import purge as purge_layers

        done = purge_layers(build_settings(), logical_night())
        return {layer: done.total(layer) for layer in ("raw", "audit", "vault", "landing")}

    @task(pool=WAREHOUSE_WRITER_POOL)
    def dbt_build() -> None:
        """Rebuild the dbt models without the purged records."""
        from youth_safety.dbt_runner import build

        build(build_settings())

    @task(pool=WAREHOUSE_WRITER_POOL)
    def publish() -> None:
        """Swap the purged, rebuilt working copy in as the published warehouse."""
        from youth_safety.publish import publish as publish_copy

        publish_copy(Settings.from_env(), build_owner(get_current_context()))

    prepare() >> purge() >> dbt_build() >> publish()


partnership_retention()
