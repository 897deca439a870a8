"""Weekly predictive models: train both use cases, write their model cards, report what the promotion gate decided.

Runs on Sundays at 05:00 Europe/London, after the night's load (02:00) and retention
(04:00). ``train`` trains a new version of each use case (early identification,
reoffending) on the warehouse's snapshots, evaluates it out of time beside the rule
baseline and by group, and promotes it only when it passes the gate; the nightly ``score``
task then uses the promoted version. ``cards`` writes a model card per trained version
under reports/models/<use_case>/ (aggregates only, no person key), with the outcomes
practitioners have recorded. ``report_decisions`` logs each use case's decision and writes
it as JSON (reports/models/decisions_<night>.json and decisions_latest.json).

Training and the cards read the DuckDB warehouse, which allows no reader while another
process writes, so both take a slot of the one-slot warehouse writer pool.
Nothing here touches the warehouse or heavy libraries at parse time.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from youth_safety.airflow_env import task_defaults
from youth_safety.config import TIMEZONE, WAREHOUSE_WRITER_POOL, Settings


@dag(
    default_args=task_defaults(),
    dag_id="partnership_models",
    schedule=CronTriggerTimetable("0 5 * * 0", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["partnership", "prediction"],
)
def partnership_models():
    @task(pool=WAREHOUSE_WRITER_POOL)
    def train() -> dict:
        """Train, evaluate and gate a new version of each use case; the newest version per use case."""
        from youth_safety.prediction.decisions import latest_decisions
        from youth_safety.prediction.training import train_all

        settings = Settings.from_env()
        train_all(settings)
        return {d.use_case: d.version for d in latest_decisions(settings)}

    @task(pool=WAREHOUSE_WRITER_POOL)
    def cards() -> dict:
        """Write the model card of every trained version (and each use case's model_card_latest.html)."""
        from youth_safety.prediction.card import write_cards

        return {use_case: [str(p) for p in paths] for use_case, paths in write_cards(Settings.from_env()).items()}

    @task
    def report_decisions() -> str:
        """Log what the promotion gate decided per use case and write it as JSON under reports/models."""
        import logging

        from youth_safety.airflow_env import logical_night
        from youth_safety.prediction.decisions import latest_decisions, write_decisions

        settings = Settings.from_env()
        decisions = latest_decisions(settings)
        for d in decisions:
            logging.getLogger(__name__).info(
                "%s %s (%s): %s; ROC AUC %s, PR AUC %s, precision@100 %s vs baseline %s; %s", d.use_case, d.version,
                d.model_type, "PROMOTED" if d.promoted else "not promoted", d.roc_auc, d.pr_auc, d.precision_at_100,
                d.baseline_precision_at_100, "; ".join(d.reasons) or "no reasons recorded")
        return str(write_decisions(settings, decisions, logical_night().isoformat()))

    train() >> cards() >> report_decisions()


partnership_models()
