"""Helpers for tests that build the dbt project on a tiny pseudonymised warehouse: load raw rows as the
loader would (pseudonymised with the test key), start a fresh warehouse, and query it."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from youth_safety.config import Settings
from youth_safety.contracts import get_contract
from youth_safety.privacy.layout import warehouse_columns
from youth_safety.privacy.pseudonymise import pseudonymise
from youth_safety.privacy.tokens import tokenise
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, connect, ensure_schema, raw_table

KEY = b"dbt-project-test-key-of-32-bytes"


def load_raw(con, source: str, extract: str, load: tuple[str, datetime, str], rows: list[dict]) -> None:
    """Insert rows as the loader would: pseudonymised text values plus load metadata."""
    contract = get_contract(source, extract)
    load_id, loaded_at, night = load
    frame = pd.DataFrame([{c: row.get(c) for c in contract.columns} for row in rows], dtype=object)
    frame["_source_row_number"] = range(1, len(rows) + 1)
    pseudonymised = pseudonymise(contract, frame, KEY).rows
    columns = [c.name for c in warehouse_columns(contract)]
    quoted = ", ".join(f'"{c}"' for c in [*columns, *LOAD_METADATA_COLUMNS])
    placeholders = ", ".join("?" * (len(columns) + len(LOAD_METADATA_COLUMNS)))
    for values in pseudonymised[columns].itertuples(index=False):
        number = len(con.execute(f"select 1 from {raw_table(contract)} where _load_id = ?", [load_id]).fetchall()) + 1
        con.execute(f"insert into {raw_table(contract)} ({quoted}) values ({placeholders})",
                    [*values, load_id, contract.file_name(night), f"sum-{load_id}", number, loaded_at])


def pupil(pupil_id: str) -> str:
    return tokenise(KEY, "pupil_id", [pupil_id], kind="agency_id")[0]


def fresh_warehouse(home, loads) -> Settings:
    settings = Settings(home=home)
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        for source, extract, load, rows in loads:
            load_raw(con, source, extract, load, rows)
    return settings


def query(settings: Settings, sql: str) -> list[tuple]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).fetchall()
