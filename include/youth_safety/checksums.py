"""Content checksums of the warehouse's tables: proof that a re-run changed nothing, or that two builds agree.

A table's checksum is its row count and the sum of its rows' hashes, so it does not depend
on row order (DuckDB writes in parallel) and any changed, added or removed row changes it.
Floating-point values are hashed rounded to ``FLOAT_DIGITS`` decimals: a parallel sum or mean
may differ in its last bit from one run to the next without any value having changed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# what analysts read: the person-level and KPI marts and the disclosure-controlled published layer
MART_SCHEMAS = ("marts", "published")
FLOAT_DIGITS = 9
FLOAT_TYPES = ("FLOAT", "DOUBLE")


def table_checksums(path: Path, schemas: tuple[str, ...] = MART_SCHEMAS) -> dict[str, tuple[int, int]]:
    """``schema.table`` → (rows, order-independent content hash) for every base table in the schemas."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("""select schema_name, table_name from duckdb_tables()
                                where database_name = current_database() and list_contains(?, schema_name)
                                order by all""", [list(schemas)]).fetchall()
        found = {}
        for schema, table in tables:
            columns = con.execute("""select column_name, data_type from duckdb_columns()
                                     where database_name = current_database() and schema_name = ? and table_name = ?
                                     order by column_index""", [schema, table]).fetchall()
            values = ", ".join(f'round("{name}", {FLOAT_DIGITS})' if kind in FLOAT_TYPES else f'"{name}"' for name, kind in columns)
            rows, digest = con.execute(f'select count(*), coalesce(sum(hash({values})), 0)::hugeint from "{schema}"."{table}"').fetchall()[0]
            found[f"{schema}.{table}"] = (rows, int(digest))
        return found
    finally:
        con.close()
