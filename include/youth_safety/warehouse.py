"""The DuckDB warehouse: connections and the raw layer derived from the contracts."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from youth_safety.config import DUCKDB_MEMORY_LIMIT
from youth_safety.contracts import Contract, all_contracts
from youth_safety.privacy.layout import warehouse_columns

LOAD_METADATA_COLUMNS = {
    "_load_id": "VARCHAR NOT NULL",
    "_file_name": "VARCHAR NOT NULL",
    "_file_checksum": "VARCHAR NOT NULL",
    "_source_row_number": "INTEGER NOT NULL",
    "_loaded_at": "TIMESTAMP NOT NULL",
}

FILE_LOADS_DDL = """
create table if not exists audit.file_loads (
    load_id varchar not null,             -- <source>.<extract>.<extract night>.<sha256[:12]>
    run_night date not null,              -- the night whose run judged the file
    source varchar not null,
    extract varchar not null,
    file_name varchar not null,           -- <source>/<delivered night>/<file>
    extract_night date not null,          -- the night the file covers (from its name)
    delivered_night date not null,        -- the landing folder it arrived in
    file_checksum varchar not null,
    status varchar not null,              -- loaded | rejected | blocked (another file of the source was rejected)
    rows_received integer not null,
    rows_loaded integer not null,
    rows_quarantined integer not null,
    rows_excluded integer not null,
    rejection_rule varchar,               -- a FILE-* rule code when rejected
    rejection_reason varchar,             -- the rule's message with the details (never a value)
    dropped_columns varchar[],            -- GDPR-MINIMISATION: names of columns not in the contract
    withheld_columns varchar[],           -- GDPR-SPECIAL: special-category columns withheld
    started_at timestamp not null,
    finished_at timestamp not null,
    check (status <> 'loaded' or rows_received = rows_loaded + rows_quarantined + rows_excluded),
    primary key (load_id, run_night)      -- a blocked file is judged again on a later night
)
"""

QUARANTINE_DDL = """
create table if not exists audit.quarantine (
    load_id varchar not null,
    source varchar not null,
    extract varchar not null,
    file_name varchar not null,
    source_row_number integer not null,   -- 1 = first data row of the file
    rule_code varchar not null,
    column_name varchar,
    masked_value varchar,                 -- identifiers masked; other values truncated to 100 characters
    person_ref varchar                    -- the agency person record the row is about (token), so erasure can find it
)
"""

EXCLUSIONS_DDL = """
create table if not exists audit.gdpr_exclusions (
    load_id varchar not null,
    source varchar not null,
    extract varchar not null,
    file_name varchar not null,
    source_row_number integer not null,
    rule_code varchar not null
)
"""

WARNINGS_DDL = """
create table if not exists audit.rule_warnings (
    load_id varchar not null,
    source varchar not null,
    extract varchar not null,
    file_name varchar not null,
    source_row_number integer not null,
    rule_code varchar not null,           -- a rule downgraded to warn in gates.yml: the row was loaded
    column_name varchar
)
"""

RUN_SUMMARY_DDL = """
create table if not exists audit.run_summaries (
    night date not null,
    run_id varchar not null,
    source varchar not null,
    status varchar not null,              -- published | held (a file was rejected: nothing of the source tonight)
    files_loaded integer not null,
    files_skipped integer not null,       -- judged on an earlier run (loaded or rejected before)
    files_rejected integer not null,
    files_blocked integer not null,
    rows_received bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    rows_excluded bigint not null,
    raw_rows_total bigint,                -- filled in by the run's summary
    recorded_at timestamp not null,
    primary key (night, run_id, source)
)
"""

ARRIVALS_DDL = """
create table if not exists audit.source_arrivals (
    night date not null,
    run_id varchar not null,
    source varchar not null,
    status varchar not null,               -- arrived | late (extracts still missing at the cut-off)
    missing_extracts varchar[] not null,
    cutoff timestamptz not null,
    checked_at timestamptz not null,
    primary key (night, run_id, source)
)"""


LINKAGE_DDL = (
    "create schema if not exists linkage",
    """create table if not exists linkage.person_keys (
        source varchar not null,
        entity varchar not null,               -- pupil_id | tracking_id | pers_person_id | yot_id | involvement_id | ...
        record_key varchar not null,           -- as the raw tables hold it (a token for agency ids)
        person_key varchar not null,           -- the person across agencies: stable night to night, never reused
        primary key (source, entity, record_key)
    )""",
    """create table if not exists linkage.person_key_history (
        night date not null,
        event varchar not null,                -- created | merged | split | retired
        person_key varchar not null,
        related_key varchar,                   -- merged: the surviving key; split: the key records moved to
        records integer,
        moved_records integer
    )""",
    """create table if not exists linkage.runs (
        night date primary key,
        model_version varchar not null,
        records integer not null,
        people integer not null,
        new_records integer not null,
        new_keys integer not null,
        merges integer not null,
        splits integer not null,
        retired integer not null,
        queue_size integer not null,           -- pairs waiting for clerical review
        pairwise_precision double,             -- measured against ground truth (synthetic data only)
        pairwise_recall double,
        pairwise_f1 double,
        completeness double,
        recorded_at timestamp not null
    )""",
)



def raw_schema(source: str) -> str:
    return f"raw_{source}"


def raw_table(contract: Contract) -> str:
    return f"{raw_schema(contract.source)}.{contract.extract}"


def raw_table_ddl(contract: Contract) -> str:
    """Raw tables keep every value as text, pseudonymised (``privacy.layout``); staging casts."""
    columns = [f'"{column.name}" VARCHAR' for column in warehouse_columns(contract)]
    columns += [f"{name} {kind}" for name, kind in LOAD_METADATA_COLUMNS.items()]
    return f"create table if not exists {raw_table(contract)} (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_linkage_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The tables linkage publishes person keys into (``linkage.nightly``)."""
    for ddl in LINKAGE_DDL:
        con.execute(ddl)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw layer, the audit tables and the linkage tables when missing (idempotent)."""
    con.execute("create schema if not exists audit")
    for ddl in (FILE_LOADS_DDL, QUARANTINE_DDL, EXCLUSIONS_DDL, WARNINGS_DDL, RUN_SUMMARY_DDL, ARRIVALS_DDL):
        con.execute(ddl)
    ensure_linkage_schema(con)
    for contract in all_contracts():
        con.execute(f"create schema if not exists {raw_schema(contract.source)}")
        con.execute(raw_table_ddl(contract))


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; writers are serialised by the caller (one Airflow pool slot)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    try:
        yield con
    finally:
        con.close()
