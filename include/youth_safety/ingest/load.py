"""Load landed files into the raw layer: one transaction per file, each file once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.ingest.discover import LandedFile, landed_files
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, connect, ensure_schema, raw_table

log = logging.getLogger(__name__)

FRAME = "landed_frame"


class LoadError(ValueError):
    """A landed file cannot be loaded; the message names the file, row and rule."""


@dataclass(frozen=True)
class SourceLoad:
    """What one source's load did for a night."""

    source: str
    files_loaded: int
    files_skipped: int
    rows_loaded: int


def read_extract(landed: LandedFile) -> pd.DataFrame:
    """The file's contract columns as text, in contract order; empty strings stay empty here."""
    try:
        frame = pd.read_csv(landed.path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LoadError(f"{landed.name}: not a readable UTF-8 CSV: {str(exc).strip()}") from None
    columns = landed.contract.columns
    if missing := [c for c in columns if c not in frame.columns]:
        raise LoadError(f"{landed.name}: header lacks required {landed.contract.name} column(s): {', '.join(missing)}")
    if extra := [c for c in frame.columns if c not in columns]:
        log.warning("%s: ignoring column(s) not in the contract: %s", landed.name, ", ".join(extra))
    frame = frame[columns]
    frame.insert(len(columns), "_source_row_number", range(1, len(frame) + 1))
    return frame


def _insert_sql(landed: LandedFile) -> str:
    columns = landed.contract.columns
    target = ", ".join([f'"{c}"' for c in columns] + list(LOAD_METADATA_COLUMNS))
    values = ", ".join(f"nullif(\"{c}\", '')" for c in columns)
    return (
        f"insert into {raw_table(landed.contract)} ({target}) "
        f"select {values}, $load_id, $file_name, $checksum, _source_row_number, $loaded_at from {FRAME}"
    )


def already_loaded(con: duckdb.DuckDBPyConnection, landed: LandedFile) -> bool:
    """The same file (extract, night and bytes) is in already, e.g. an agency re-sent it."""
    found = con.execute("select 1 from audit.file_loads where load_id = ?", [landed.load_id])
    return found.fetchone() is not None


def load_file(con: duckdb.DuckDBPyConnection, landed: LandedFile) -> int:
    """Insert one file's rows and its audit row together, or nothing at all."""
    frame = read_extract(landed)
    params = {
        "load_id": landed.load_id,
        "file_name": landed.name,
        "checksum": landed.checksum,
        "loaded_at": datetime.now(UTC).replace(tzinfo=None),
    }
    con.register(FRAME, frame)
    con.begin()
    try:
        (rows_loaded,) = con.execute(_insert_sql(landed), params).fetchone()
        con.execute(
            "insert into audit.file_loads values ($load_id, $night, $source, $extract, $file_name, "
            "$delivered_night, $checksum, $rows_received, $rows_loaded, $loaded_at)",
            params
            | {
                "night": landed.extract_night,
                "source": landed.contract.source,
                "extract": landed.contract.extract,
                "delivered_night": landed.delivered_night,
                "rows_received": len(frame),
                "rows_loaded": rows_loaded,
            },
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.unregister(FRAME)
    return rows_loaded


def load_source(settings: Settings, source: str, night: date) -> SourceLoad:
    """Load every file the source landed up to ``night`` that is not loaded yet.

    Files go in delivery order; the first failure stops the source (later files stay
    unloaded, so order is kept) and files already committed stay loaded.
    """
    loaded = skipped = rows = 0
    with connect(settings.warehouse_path) as con:
        ensure_schema(con)
        for landed in landed_files(settings, source, night):
            if already_loaded(con, landed):
                skipped += 1
                continue
            count = load_file(con, landed)
            log.info("loaded %s: %d rows", landed.name, count)
            loaded += 1
            rows += count
    log.info("%s up to %s: %d files loaded, %d skipped, %d rows", source, night, loaded, skipped, rows)
    return SourceLoad(source, loaded, skipped, rows)
