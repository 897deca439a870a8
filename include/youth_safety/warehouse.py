"""The DuckDB warehouse: connections and the raw layer derived from the contracts."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from youth_safety.contracts import Contract, all_contracts

LOAD_METADATA_COLUMNS = {
    "_load_id": "VARCHAR NOT NULL",
    "_file_name": "VARCHAR NOT NULL",
    "_file_checksum": "VARCHAR NOT NULL",
    "_source_row_number": "INTEGER NOT NULL",
    "_loaded_at": "TIMESTAMP NOT NULL",
}

FILE_LOADS_DDL = """
create table if not exists audit.file_loads (
    load_id varchar primary key,
    night date not null,
    source varchar not null,
    extract varchar not null,
    file_name varchar not null,
    delivered_night date not null,
    file_checksum varchar not null,
    rows_received integer not null,
    rows_loaded integer not null,
    loaded_at timestamp not null
)
"""

RUN_SUMMARY_DDL = """
create table if not exists audit.run_summaries (
    night date not null,
    run_id varchar not null,
    source varchar not null,
    files_loaded integer not null,
    files_skipped integer not null,
    rows_loaded bigint not null,
    raw_rows_total bigint not null,
    recorded_at timestamp not null,
    primary key (night, run_id, source)
)
"""


def raw_schema(source: str) -> str:
    return f"raw_{source}"


def raw_table(contract: Contract) -> str:
    return f"{raw_schema(contract.source)}.{contract.extract}"


def raw_table_ddl(contract: Contract) -> str:
    """Raw tables keep every value as the text received; staging casts."""
    columns = [f'"{name}" VARCHAR' for name in contract.columns]
    columns += [f"{name} {kind}" for name, kind in LOAD_METADATA_COLUMNS.items()]
    return f"create table if not exists {raw_table(contract)} (\n    " + ",\n    ".join(columns) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw layer and the audit tables when missing (idempotent)."""
    con.execute("create schema if not exists audit")
    con.execute(FILE_LOADS_DDL)
    con.execute(RUN_SUMMARY_DDL)
    for contract in all_contracts():
        con.execute(f"create schema if not exists {raw_schema(contract.source)}")
        con.execute(raw_table_ddl(contract))


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; writers are serialised by the caller (one Airflow pool slot)."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()
