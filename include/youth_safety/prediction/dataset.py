"""Training and scoring frames: one DuckDB query per use case.

A row is (person_key, snapshot_date, the point-in-time features, label, label_known, audit
columns). Features come from ``marts.fct_person_features_monthly``, which uses only events on or
before the snapshot date. Labels use only events dated strictly after the snapshot date and no
later than the end of the label window; a label is known only when the whole window
(horizon + waiting period) has passed by the data end date (the latest linkage night).

Audit columns (sex, ethnicity group, the strategy's cohort flags from ``marts.dim_person``) are
carried for the fairness audit only and are never model features (see ``AUDIT_COLUMNS`` and
``models.SENSITIVE_COLUMNS``).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.config import DBT_PROJECT_DIR
from youth_safety.prediction.use_cases import QUARTER_END_MONTHS, UseCase, get_use_case

log = logging.getLogger(__name__)

FEATURES: tuple[str, ...] = (
    "age_years",
    "age_first_known_to_csc",
    "has_dv_factor",
    "has_gangs_factor",
    "has_cce_factor",
    "has_cse_factor",
    "primary_schools_attended",
    "secondary_schools_attended",
    "absence_rate_last_3_terms",
    "persistent_absence_terms_last_3",
    "is_persistently_absent_latest_term",
    "is_severely_absent_latest_term",
    "suspensions_last_12m",
    "suspensions_ever",
    "permanent_exclusions_ever",
    "csc_referrals_ever",
    "is_child_in_need_open",
    "has_cp_plan_ever",
    "is_on_cp_plan",
    "has_been_looked_after",
    "is_looked_after",
    "missing_episodes_last_12m",
    "missing_episodes_ever",
    "police_victim_contacts_ever",
    "police_suspect_contacts_ever",
    "arrests_ever",
    "age_first_arrest",
    "yos_interventions_ever",
    "is_known_to_yos",
    "has_substantive_outcome",
    "nrm_referrals_ever",
    "semh_referrals_ever",
)

COHORT_FLAGS: tuple[str, ...] = (
    "is_black_caribbean_boy",
    "is_black_african_boy",
    "is_mixed_white_black_boy",
    "is_white_british_fsm_boy",
    "is_girl_or_young_woman",
)
AUDIT_COLUMNS: tuple[str, ...] = ("sex_code", "ethnicity_major_group", *COHORT_FLAGS)

SYV_ROLES = ("VICTIM", "SUSPECT", "ACCUSED")


def model_features(use_case: str | UseCase) -> list[str]:
    """The features a use case's model may use (sensitive attributes are never among them)."""
    uc = get_use_case(use_case)
    return [f for f in FEATURES if f not in uc.excluded_features]


def default_earliest_snapshot() -> date:
    """The dbt var reporting_start: snapshots before it describe a history the sources do not hold."""
    import yaml

    project = yaml.safe_load((Path(DBT_PROJECT_DIR) / "dbt_project.yml").read_text())
    return date.fromisoformat(str(project["vars"]["reporting_start"]))


def data_end_date(con: duckdb.DuckDBPyConnection) -> date:
    """The data's end date: the latest linkage night."""
    rows = con.execute("select max(night)::date from staging.stg_linkage__person_key_history").fetchall()
    if not rows or rows[0][0] is None:
        raise ValueError("the warehouse has no linkage night: no data end date")
    return rows[0][0]


def _label_sql(uc: UseCase) -> str:
    """A boolean SQL expression over alias s (snapshot rows with window_end, outcome_end)."""
    substantive = (
        "select keys.person_key, offences.offence_date, offences.outcome_date "
        "from staging.stg_yos__offences as offences "
        "inner join codes.youth_outcome as outcome on outcome.code = offences.outcome_code and outcome.is_substantive "
        "inner join staging.stg_linkage__person_keys as keys on keys.entity = 'yot_id' and keys.record_key = offences.yot_id"
    )
    if uc.name == "early_identification":
        # the cohort has no substantive outcome on or before the snapshot date, so any one in the
        # window is the child's first (a first-time entrant)
        roles = ", ".join(f"'{r}'" for r in SYV_ROLES)
        return f"""(
            exists (
                select 1 from ({substantive}) as o
                where o.person_key = s.person_key
                  and o.outcome_date > s.snapshot_date and o.outcome_date <= s.window_end
            )
            or exists (
                select 1 from marts.fct_police_involvements as p
                where p.person_key = s.person_key and p.is_serious_youth_violence
                  and p.role_code in ({roles})
                  and p.committed_date > s.snapshot_date and p.committed_date <= s.window_end
            )
        )"""
    if uc.name == "reoffending":
        return f"""exists (
            select 1 from ({substantive}) as o
            where o.person_key = s.person_key
              and o.offence_date > s.snapshot_date and o.offence_date <= s.window_end
              and o.outcome_date > s.snapshot_date and o.outcome_date <= s.outcome_end
        )"""
    raise ValueError(f"no label rule for use case {uc.name!r}")


def _query(uc: UseCase, *, quarterly: bool, snapshot_filter: str, with_labels: bool) -> str:
    features = ",\n            ".join(f"f.{c}" for c in FEATURES)
    audit = ", ".join(f"d.{c}" for c in AUDIT_COLUMNS)
    months = ", ".join(str(m) for m in QUARTER_END_MONTHS)
    quarter_filter = f"and month(f.snapshot_date) in ({months})" if quarterly else ""
    label_cols = (
        f"""{_label_sql(uc)} as label,
        s.label_end <= s.end_date as label_known"""
        if with_labels
        else "null::boolean as label, false as label_known"
    )
    return f"""
    with data_end as (
        select max(night)::date as end_date from staging.stg_linkage__person_key_history
    ),
    s as (
        select
            f.person_key,
            f.snapshot_date,
            {features},
            cast(f.snapshot_date + interval ({uc.horizon_months}) month as date) as window_end,
            cast(f.snapshot_date + interval ({uc.label_window_months}) month as date) as outcome_end,
            cast(f.snapshot_date + interval ({uc.label_window_months}) month as date) as label_end,
            data_end.end_date
        from marts.fct_person_features_monthly as f
        cross join data_end
        where ({uc.cohort_rule}) {quarter_filter} and {snapshot_filter}
    )
    select
        s.person_key,
        s.snapshot_date,
        {", ".join(f"s.{c}" for c in FEATURES)},
        {label_cols},
        {audit}
    from s
    left join marts.dim_person as d on d.person_key = s.person_key
    order by s.snapshot_date, s.person_key
    """


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    frame["ethnicity_major_group"] = frame["ethnicity_major_group"].fillna("Unknown").astype(str)
    frame["sex_code"] = frame["sex_code"].fillna("Unknown").astype(str)
    for flag in COHORT_FLAGS:
        frame[flag] = frame[flag].fillna(False).astype(bool)
    return frame


def build_frame(
    con: duckdb.DuckDBPyConnection,
    use_case: str | UseCase,
    *,
    quarterly: bool = True,
    earliest_snapshot: date | None = None,
    labelled_only: bool = True,
) -> pd.DataFrame:
    """The use case's snapshot rows with features, label and audit columns.

    ``labelled_only`` keeps only rows whose label window has closed (label_known); rows with an
    unknown label are never used for training or evaluation.
    """
    uc = get_use_case(use_case)
    earliest = earliest_snapshot or default_earliest_snapshot()
    sql = _query(uc, quarterly=quarterly, snapshot_filter=f"f.snapshot_date >= date '{earliest.isoformat()}'", with_labels=True)
    frame = _finish(con.execute(sql).df())
    frame["label"] = frame["label"].astype(bool)
    frame["label_known"] = frame["label_known"].astype(bool)
    if labelled_only:
        frame = frame[frame["label_known"]].reset_index(drop=True)
    log.info("%s: %d snapshot rows (%s), %d with a positive label", uc.name, len(frame),
             "labelled only" if labelled_only else "all", int(frame["label"].sum()))
    return frame


def current_cohort(con: duckdb.DuckDBPyConnection, use_case: str | UseCase) -> pd.DataFrame:
    """The latest snapshot's cohort, for scoring: person_key, snapshot_date, features, audit columns.

    Uses the latest monthly snapshot date in the feature mart (not only quarter ends). The label
    columns are present but null: these children's futures are unknown.
    """
    uc = get_use_case(use_case)
    sql = _query(
        uc,
        quarterly=False,
        snapshot_filter="f.snapshot_date = (select max(snapshot_date) from marts.fct_person_features_monthly)",
        with_labels=False,
    )
    frame = _finish(con.execute(sql).df())
    log.info("%s: %d children in the latest snapshot's cohort", uc.name, len(frame))
    return frame
