"""Nightly partnership load: every agency's landed files through the quality gates into a working copy of the
warehouse, then linkage, dbt and scoring, published atomically only when all of it succeeded.

Runs at 02:00 Europe/London. The night a run processes is its logical date in
Europe/London (YYYY-MM-DD): files in landing folders dated on or before it that were not
judged before.

Waits: wait_for_files checks each source's delivery for the night (every extract its
contracts name) every ARRIVAL_POLL_SECONDS, freeing its worker between checks, until the
cut-off (ARRIVAL_CUTOFF, London time); then the run goes on, and a source still missing
files is recorded as late (audit.source_arrivals, the run summary, the report) and alerted.
Its earlier files still load; the late ones load on the night they land.

Build and publish: prepare copies the published warehouse (what analysts open read-only)
to a working copy; every later task writes the working copy only; publish swaps it in
atomically, keeping the outgoing version for `youth-safety rollback`, once linkage, dbt
(every model and test) and scoring succeeded. A run that fails or dies publishes nothing:
analysts keep the last good warehouse, and a re-run starts again from it.

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
all_done), and are skipped when prepare failed (its alert is the night's one); the report is
written whatever happened, and the final task fails the run if any source was held back or
preparing, linkage, dbt, scoring or publishing failed, so the night is seen and mended.

Every task that writes the DuckDB warehouse takes the slot of the one-slot warehouse writer
pool (DuckDB allows one writing process per file). Nothing here touches the warehouse or
heavy libraries at parse time.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, PokeReturnValue, TriggerRule, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from youth_safety.airflow_env import build_owner, build_settings, logical_night, task_defaults
from youth_safety.config import ARRIVAL_POLL_SECONDS, NIGHTLY_DAG_ID, SOURCES, TIMEZONE, WAREHOUSE_WRITER_POOL, Settings


def _secret(name: str) -> str | None:
    """A secret from Airflow's secrets backend (Vault, a cloud secret manager), if one holds it."""
    from airflow.sdk import Variable

    return Variable.get(name, default=None)


@dag(
    default_args=task_defaults(),
    dag_id=NIGHTLY_DAG_ID,
    schedule=CronTriggerTimetable("0 2 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["partnership"],
)
def partnership_nightly():
    @task.sensor(poke_interval=ARRIVAL_POLL_SECONDS, timeout=timedelta(hours=8).total_seconds(), mode="reschedule",
                 map_index_template="{{ task.op_kwargs['source'] }}")
    def wait_for_files(source: str) -> PokeReturnValue:
        """Done when the source's files for the night are all in, or at the cut-off (then late, and alerted)."""
        from youth_safety.alerts import alert_record, send_alert
        from youth_safety.arrival import check_arrival

        settings, night = Settings.from_env(), logical_night()
        arrival = check_arrival(settings, source, night)
        if arrival.status == "late":
            send_alert(settings, alert_record(NIGHTLY_DAG_ID, f"wait_for_files[{source}]", night.isoformat(),
                                              f"{source} late at the cut-off: missing {', '.join(arrival.missing_extracts)}", "late"))
        return PokeReturnValue(is_done=arrival.done, xcom_value=arrival.as_dict())

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def prepare() -> dict:
        """Copy the published warehouse to the night's working copy: nothing below writes the published file."""
        from youth_safety.publish import prepare as prepare_copy

        build = prepare_copy(Settings.from_env(), build_owner(get_current_context()))
        return {"owner": build.owner, "started_at": build.started_at}

    @task(pool=WAREHOUSE_WRITER_POOL, map_index_template="{{ task.op_kwargs['arrival']['source'] }}")
    def load(arrival: dict) -> dict:
        """Record whether the source's files arrived, then gate and load its new files into the working copy."""
        from youth_safety.ingest import GateFailure, load_source
        from youth_safety.arrival import Arrival, record_arrival
        from youth_safety.privacy.keys import load_key
        from youth_safety.warehouse import connect, ensure_schema

        settings, run_id = build_settings(), get_current_context()["run_id"]
        with connect(settings.warehouse_path) as con:
            ensure_schema(con)
            record_arrival(con, Arrival(**arrival), run_id)
        try:
            return asdict(load_source(settings, arrival["source"], logical_night(), run_id, load_key(settings, _secret)))
        except GateFailure as failure:
            raise AirflowFailException(str(failure)) from None  # data-quality failures are not retried

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def link() -> dict:
        """Link agency records into people in the vault; publish stable person keys to the warehouse."""
        from youth_safety.linkage.nightly import link_night
        from youth_safety.privacy.keys import load_key

        settings = build_settings()
        linked = link_night(settings, logical_night(), key=load_key(settings, _secret))
        measured = linked.quality.overall if linked.quality else {}
        return {"records": linked.run.records, "people": linked.run.people, "new_keys": linked.run.new_keys,
                "merges": linked.run.merges, "splits": linked.run.splits, "queue_size": linked.run.queue_size,
                "precision": measured.get("precision"), "recall": measured.get("recall"), "report": str(linked.report)}

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def dbt_build() -> None:
        """Build the dbt project (seeds, models, tests) on what the gates let through, then publish its docs
        (lineage and catalog: names and types, no row value) under reports/dbt-docs."""
        from youth_safety.dbt_runner import build, publish_docs_if_changed

        settings = build_settings()
        build(settings)
        publish_docs_if_changed(settings)

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def score() -> list[dict]:
        """Score each use case's current cohort with its promoted model into prediction.review_list (person keys only;
        a prompt for a practitioner's review, never a decision)."""
        from youth_safety.prediction.scoring import score_night

        return [{"use_case": s.use_case, "model_version": s.model_version, "rows": s.rows, "bands": s.bands,
                 "message": s.message} for s in score_night(build_settings(), logical_night())]

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def summarise() -> dict:
        """Record files and rows per source for the night."""
        from youth_safety.summary import write_summary

        return write_summary(build_settings(), logical_night(), get_current_context()["run_id"]).as_dict()

    @task(pool=WAREHOUSE_WRITER_POOL)
    def publish() -> dict:
        """Swap the working copy in as the published warehouse (atomic; the outgoing version is kept)."""
        from youth_safety.publish import publish as publish_copy

        return asdict(publish_copy(Settings.from_env(), build_owner(get_current_context())))

    @task(pool=WAREHOUSE_WRITER_POOL, trigger_rule=TriggerRule.ALL_DONE)
    def report() -> str:
        """Write the night's data-quality report for governance leads (from the working copy if nothing was published)."""
        from youth_safety.governance.report import write_report
        from youth_safety.publish import held_by

        settings = Settings.from_env()
        unpublished = held_by(settings, build_owner(get_current_context()))
        return str(write_report(settings.in_build() if unpublished else settings, logical_night()))

    @task
    def gates_passed(summary: dict) -> None:
        """Fail the run when a source was held back or did not finish, naming them."""
        held = [s["source"] for s in summary["sources"] if s["status"] != "published"]
        problems = [f"held back by a rejected file: {', '.join(held)}"] if held else []
        if summary["sources_without_result"]:
            problems.append(f"no result (load failed): {', '.join(summary['sources_without_result'])}")
        if problems:
            raise AirflowFailException(f"night {summary['night']}: " + "; ".join(problems))

    arrivals = wait_for_files.expand(source=list(SOURCES))
    prepared = prepare()
    loads = load.expand(arrival=arrivals)
    linked = link()
    built = dbt_build()
    scored = score()
    summary = summarise()
    published = publish()
    arrivals >> prepared >> loads >> linked >> built >> scored >> summary >> published >> report()
    [prepared, linked, built, scored] >> published  # published only when every step of the build succeeded
    passed = gates_passed(summary)
    [linked, built, scored, published] >> passed  # a failed linkage, dbt build, scoring or publish fails the run too


partnership_nightly()
