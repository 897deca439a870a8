"""Forget agency person records and person keys wherever a DuckDB file keys them.

Tables are found by their columns, not listed, so the vault's ``person_records``,
``record_identifiers``, ``person_keys`` and linkage's ``link_records``, and the
warehouse's published ``linkage.person_keys``, are all covered, and so is a table added later.
"""

from __future__ import annotations

import duckdb
import pandas as pd

RECORD_COLUMNS = ("source", "entity", "record_key")
FRAME = "forget_frame"


def _tables(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], name: str | None = None) -> dict[str, str]:
    """Base tables holding all of ``columns`` (and called ``name``, if given): schema.table -> quoted name."""
    rows = con.execute("""
        select c.schema_name, c.table_name from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name)
        where c.database_name = current_database() and not t.temporary and list_contains($columns, c.column_name)
          and ($name is null or c.table_name = $name)
        group by all having count(*) = len($columns) order by all""", {"columns": list(columns), "name": name}).fetchall()
    return {f"{schema}.{table}": f'"{schema}"."{table}"' for schema, table in rows}


def forget_records(con: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> dict[str, int]:
    """Delete agency person records (source, entity, record_key) from every table keyed by them; rows removed per table."""
    con.register(FRAME, records[list(RECORD_COLUMNS)])
    try:
        return {name: con.execute(f"delete from {table} t using {FRAME} f where t.source = f.source and t.entity = f.entity "
                                  "and t.record_key = f.record_key").fetchall()[0][0] for name, table in _tables(con, RECORD_COLUMNS).items()}
    finally:
        con.unregister(FRAME)


def forget_key_history(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, int]:
    """Delete what ``person_key_history`` tables say of the keys (as the key, or the key it relates to)."""
    return {name: con.execute(f"delete from {table} where list_contains($keys, person_key) or list_contains($keys, related_key)",
                              {"keys": keys}).fetchall()[0][0]
            for name, table in _tables(con, ("person_key", "related_key"), "person_key_history").items()}
