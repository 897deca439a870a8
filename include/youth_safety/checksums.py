"""Content checksums of the warehouse's tables: proof that a re-run changed nothing, or that two builds agree.

A table's checksum is its row count and the sum of its rows' hashes, so it does not depend
on row order (DuckDB writes in parallel) and any changed, added or removed row changes it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# what analysts read: the person-level and KPI marts and the disclosure-controlled published layer
MART_SCHEMAS = ("marts", "published")


def table_checksums(path: Path, schemas: tuple[str, ...] = MART_SCHEMAS) -> dict[str, tuple[int, int]]:
    """``schema.table`` → (rows, order-independent content hash) for every base table in the schemas."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("""select schema_name, table_name from duckdb_tables()
                                where database_name = current_database() and list_contains(?, schema_name)
                                order by all""", [list(schemas)]).fetchall()
        found = {}
        for schema, table in tables:
            rows, digest = con.execute(f'select count(*), coalesce(sum(hash(t)), 0)::hugeint from "{schema}"."{table}" t').fetchall()[0]
            found[f"{schema}.{table}"] = (rows, int(digest))
        return found
    finally:
        con.close()
