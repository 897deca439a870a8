"""Nightly partnership load: every agency's landed files through the quality gates into the raw layer, then linkage, dbt and the summary.

Runs at 02:00 Europe/London. The night a run processes is its logical date in
Europe/London (YYYY-MM-DD): files in landing folders dated on or before it that were not
judged before.

Gates: each source's files are judged by the quality gate before anything is written
(file rules, GDPR rules, then every row rule through Great Expectations). Quarantined
rows and GDPR exclusions are recorded with their reasons; a refused file holds back its
whole source for the night (nothing of it is loaded, so its marts keep the last good
data) and fails that source's load task with the file, rule and count, without retries.
Accepted rows are pseudonymised before they are written; identifiers go to the identity
vault. The other sources go ahead: link (records into people with stable person keys,
in the vault), dbt_build (then its docs, published under reports/dbt-docs), score (each
use case's current cohort by its promoted model into the review list, prediction.review_list:
person keys, scores, bands and reasons, for practitioners to review; a use case without a
promoted model gets no list) and summarise run once every load has finished (trigger rule
all_done), and the final task fails the run if any source was held back or linkage, dbt
or scoring failed, so the night is seen and mended.

Every task writes the DuckDB warehouse, and DuckDB allows one writing process per
file, so all of them take a slot of the one-slot warehouse writer pool.
Nothing here touches the warehouse or heavy libraries at parse time.
"""

from __future__ import annotations

from dataclasses import asdict

import pendulum
from airflow.sdk import CronTriggerTimetable, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from youth_safety.airflow_env import logical_night, task_defaults
from youth_safety.config import SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings


def _secret(name: str) -> str | None:
    """A secret from Airflow's secrets backend (Vault, a cloud secret manager), if one holds it."""
    from airflow.sdk import Variable

    return Variable.get(name, default=None)


@dag(
    default_args=task_defaults(),
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
        """Gate and load one source's new files for the night."""
        from youth_safety.ingest import GateFailure, load_source
        from youth_safety.privacy.keys import load_key

        settings = Settings.from_env()
        try:
            return asdict(load_source(settings, source, logical_night(), get_current_context()["run_id"], load_key(settings, _secret)))
        except GateFailure as failure:
            raise AirflowFailException(str(failure)) from None  # data-quality failures are not retried

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def link() -> dict:
        """Link agency records into people in the vault; publish stable person keys to the warehouse."""
        from youth_safety.linkage.nightly import link_night
        from youth_safety.privacy.keys import load_key

        settings = Settings.from_env()
        linked = link_night(settings, logical_night(), key=load_key(settings, _secret))
        measured = linked.quality.overall if linked.quality else {}
        return {"records": linked.run.records, "people": linked.run.people, "new_keys": linked.run.new_keys,
                "merges": linked.run.merges, "splits": linked.run.splits, "queue_size": linked.run.queue_size,
                "precision": measured.get("precision"), "recall": measured.get("recall"), "report": str(linked.report)}

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def dbt_build() -> None:
        """Build the dbt project (seeds, models, tests) on what the gates let through, then publish its docs
        (lineage and catalog: names and types, no row value) under reports/dbt-docs."""
        from youth_safety.dbt_runner import build, publish_docs

        settings = Settings.from_env()
        build(settings)
        publish_docs(settings)

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def score() -> list[dict]:
        """Score each use case's current cohort with its promoted model into prediction.review_list (person keys only;
        a prompt for a practitioner's review, never a decision)."""
        from youth_safety.prediction.scoring import score_night

        return [{"use_case": s.use_case, "model_version": s.model_version, "rows": s.rows, "bands": s.bands,
                 "message": s.message} for s in score_night(Settings.from_env(), logical_night())]

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def summarise() -> dict:
        """Record files and rows per source for the night."""
        from youth_safety.summary import write_summary

        return write_summary(Settings.from_env(), logical_night(), get_current_context()["run_id"]).as_dict()

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def report() -> str:
        """Write the night's data-quality report for governance leads."""
        from youth_safety.governance.report import write_report

        return str(write_report(Settings.from_env(), logical_night()))

    @task
    def gates_passed(summary: dict) -> None:
        """Fail the run when a source was held back or did not finish, naming them."""
        held = [s["source"] for s in summary["sources"] if s["status"] != "published"]
        problems = [f"held back by a rejected file: {', '.join(held)}"] if held else []
        if summary["sources_without_result"]:
            problems.append(f"no result (load failed): {', '.join(summary['sources_without_result'])}")
        if problems:
            raise AirflowFailException(f"night {summary['night']}: " + "; ".join(problems))

    loads = load.expand(source=list(SOURCES))
    linked = link()
    built = dbt_build()
    scored = score()
    summary = summarise()
    loads >> linked >> built >> scored >> summary >> report()
    passed = gates_passed(summary)
    [linked, built, scored] >> passed  # a failed linkage, dbt build or scoring fails the run too


partnership_nightly()
