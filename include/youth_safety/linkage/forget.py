"""Forget erased records in linkage's own tables and files: scored pairs, review pairs, decisions, queues.

Erasure (``privacy.erasure``) removes a person's records from every table keyed by
(source, entity, record_key); linkage also keeps pairs by its small record ids and
writes review queues naming both records, which this module clears.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.linkage.review import review_dir
from youth_safety.linkage.schema import ensure_tables

FRAME = "forget_linkage_frame"


def forget_pairs(vault: duckdb.DuckDBPyConnection, home: Path, records: pd.DataFrame) -> int:
    """Delete every pair, review pair, decision and queue line involving the records; rows removed."""
    ensure_tables(vault)
    vault.register(FRAME, records[["source", "entity", "record_key"]])
    try:
        ids = [r[0] for r in vault.execute(f"select record_id from link_records join {FRAME} using (source, entity, record_key)").fetchall()]
    finally:
        vault.unregister(FRAME)
    involved = "list_contains($ids, record_id_l) or list_contains($ids, record_id_r)"
    removed = vault.execute(f"delete from link_decisions where pair_id in (select pair_id from link_review_pairs where {involved})",
                            {"ids": ids}).fetchall()[0][0]
    for table in ("link_review_pairs", "link_pairs"):
        removed += vault.execute(f"delete from {table} where {involved}", {"ids": ids}).fetchall()[0][0]
    return removed + _forget_queue_lines(review_dir(home), set(records["record_key"]))


def _forget_queue_lines(folder: Path, record_keys: set[str]) -> int:
    """Drop the lines of the clerical review files that name one of the records."""
    removed = 0
    for path in sorted(folder.glob("*.csv")) if folder.exists() else []:
        lines = path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not any(key in line for key in record_keys)]
        if len(kept) < len(lines):
            path.write_text("".join(kept))
            removed += len(lines) - len(kept)
    return removed
