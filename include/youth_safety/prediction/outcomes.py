"""Practitioners' outcomes: what happened after a child on the review list was reviewed.

``prediction.review_outcomes`` holds one row per (review-list night, use case, child): the
outcome (``supported``, ``no_action``, ``already_known``), who recorded it and when, and the
model version that listed the child. Recording again for the same listing replaces the
earlier outcome. Only a child the review list holds can get an outcome. The counts per
model version appear on its model card and feed later evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import duckdb

from youth_safety.config import Settings

OUTCOMES = ("supported", "no_action", "already_known")
PERSON_KEY = re.compile(r"^PK\d{7}$")
REVIEW_OUTCOMES_DDL = """
create table if not exists prediction.review_outcomes (
    night date not null,                  -- the review-list night the child was listed on
    use_case varchar not null,
    person_key varchar not null,
    outcome varchar not null check (outcome in ('supported', 'no_action', 'already_known')),
    model_version varchar not null,       -- the version whose list held the child
    band varchar not null,
    rank integer not null,
    operator varchar not null,            -- who recorded it
    recorded_at timestamp not null,
    primary key (night, use_case, person_key)
)
"""


class OutcomeRefused(ValueError):
    """The outcome cannot be recorded: unknown outcome, or the child was not on the review list."""


@dataclass(frozen=True)
class RecordedOutcome:
    night: date
    use_case: str
    person_key: str
    outcome: str
    model_version: str
    band: str
    rank: int
    operator: str


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select 1 from duckdb_tables() where schema_name = ? and table_name = ?",
                            [schema, table]).fetchall())


def record_outcome(settings: Settings, use_case: str, person_key: str, outcome: str, operator: str | None = None,
                   night: date | None = None) -> RecordedOutcome:
    """Record a practitioner's outcome for a listed child (``night``: the list's night, else the latest listing)."""
    from youth_safety.privacy.requests import current_operator
    from youth_safety.warehouse import connect

    if outcome not in OUTCOMES:
        raise OutcomeRefused(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if not PERSON_KEY.match(person_key or ""):
        raise OutcomeRefused(f"{person_key!r} is not a person key (PK followed by 7 digits)")
    operator = (operator or "").strip() or current_operator()
    if not settings.warehouse_path.exists():
        raise OutcomeRefused(f"no warehouse at {settings.warehouse_path}: nothing has been scored")
    with connect(settings.warehouse_path) as con:
        if not _has_table(con, "prediction", "review_list"):
            raise OutcomeRefused("no review list has been made yet (no model promoted, or scoring has not run)")
        where, params = "use_case = ? and person_key = ?", [use_case, person_key]
        if night is not None:
            where, params = where + " and night = ?", [*params, night]
        listed = con.execute(f"""select night, model_version, band, rank from prediction.review_list where {where}
                                 order by night desc limit 1""", params).fetchall()
        if not listed:
            on = f" on the night of {night}" if night else ""
            raise OutcomeRefused(f"{person_key} was not on the {use_case} review list{on}: outcomes are recorded "
                                 "only for children the list put forward")
        listed_night, version, band, rank = listed[0]
        con.execute(REVIEW_OUTCOMES_DDL)
        con.execute("insert or replace into prediction.review_outcomes values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [listed_night, use_case, person_key, outcome, version, band, rank, operator,
                     datetime.now(timezone.utc).replace(tzinfo=None)])
    return RecordedOutcome(listed_night, use_case, person_key, outcome, version, band, rank, operator)


def outcome_counts(settings: Settings, use_case: str) -> dict[str, dict[str, int]]:
    """Recorded outcomes of a use case per model version: {version: {outcome: children}}; empty when none."""
    from youth_safety.warehouse import connect

    if not settings.warehouse_path.exists():
        return {}
    with connect(settings.warehouse_path, read_only=True) as con:
        if not _has_table(con, "prediction", "review_outcomes"):
            return {}
        rows = con.execute("""select model_version, outcome, count(*) from prediction.review_outcomes
                              where use_case = ? group by all order by all""", [use_case]).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for version, outcome, n in rows:
        counts.setdefault(version, {})[outcome] = int(n)
    return counts
