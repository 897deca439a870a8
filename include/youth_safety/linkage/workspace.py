"""A Splink linker on a private in-memory DuckDB, so Splink's work tables never touch the vault."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator

from youth_safety.config import DUCKDB_MEMORY_LIMIT
from youth_safety.linkage.model import TF_COLUMNS

THREADS = 2  # fixed, so training gives the same model JSON on any machine


def linker_for(records: pa.Table, model: SettingsCreator | dict[str, Any], spill_to: str = "") -> Linker:
    """A linker over ``records`` (the normalised input) with a settings creator or saved model.

    Its DuckDB keeps to the warehouse's memory cap; beyond it, work spills to ``spill_to`` (the
    vault's own spill folder, see :func:`spill_folder`: these are identifiers), or fails if none is given."""
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": spill_to})
    con.execute(f"set threads = {THREADS}")
    db_api = DuckDBAPI(con)
    return Linker(db_api.register(records, table_name="records"), model, log_level=None)


def spill_folder(vault: duckdb.DuckDBPyConnection) -> str:
    """Where the vault's DuckDB spills work that outgrows memory (beside the vault, in its private folder)."""
    return vault.execute("select current_setting('temp_directory')").fetchall()[0][0]


def term_frequencies(linker: Linker) -> dict[str, pa.Table]:
    """Each term-frequency column's table (value, tf) from the linker's records."""
    return {column: linker.table_management.compute_tf_table(column).as_duckdbpyrelation().to_arrow_table()
            for column in TF_COLUMNS}


def use_term_frequencies(linker: Linker, tables: dict[str, pa.Table]) -> None:
    """Score with these term frequencies instead of ones computed from the records at hand."""
    for column, table in tables.items():
        sdf = linker.table_management.register_table(table, f"link_tf_{column}", overwrite=True)
        linker.table_management.register_term_frequency_lookup(sdf, column)
