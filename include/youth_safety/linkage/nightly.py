"""The pipeline's linkage step: link in the vault, publish person keys to the warehouse, report.

Runs after the night's loads and before dbt. Linkage reads names and dates of birth in the
identity vault only; the warehouse receives what analysts need to follow a person:
``linkage.person_keys`` (each agency record's key, as the raw tables hold it, and its
person key), ``linkage.person_key_history`` (keys created, merged, split, retired) and a
``linkage.runs`` row per night. On synthetic data (the generator's ground truth is
present) the night is measured against the truth and the figures go into the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.contracts import all_contracts
from youth_safety.linkage import LinkageQuality, LinkageRun, evaluate, key_history, person_key_map, run, write_report
from youth_safety.privacy.keys import load_key
from youth_safety.privacy.layout import entity, person_reference
from youth_safety.privacy.tokens import tokenise
from youth_safety.privacy.vault import connect_vault
from youth_safety.warehouse import connect, ensure_linkage_schema

TRUTH = "source_records.parquet"
FRAME = "linkage_frame"
@dataclass(frozen=True)
class LinkedNight:
    run: LinkageRun
    quality: LinkageQuality | None
    report: Path


def _tokenised_entities() -> set[str]:
    """Entities whose record keys are tokens of an agency id (the rest are plain record ids)."""
    references = (person_reference(c) for c in all_contracts())
    return {entity(r) for r in references if r is not None and r.privacy == "direct_identifier"}


def record_key_of(key: bytes):
    """Truth's plain record ids as the vault keys them, for measuring against the ground truth."""
    tokenised = _tokenised_entities()

    def of(entity_name: str, ids: pd.Series) -> pd.Series:
        if entity_name not in tokenised:
            return ids
        return pd.Series(tokenise(key, entity_name, ids, kind="agency_id"), index=ids.index)

    return of


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register(FRAME, frame)
    try:
        con.execute(f"insert into {table} select * from {FRAME}")
    finally:
        con.unregister(FRAME)


def publish(con: duckdb.DuckDBPyConnection, keys: pd.DataFrame, history: pd.DataFrame, linked: LinkageRun,
            quality: LinkageQuality | None) -> None:
    """Replace the warehouse's person keys and history and record the night, in one transaction."""
    measured = quality.overall if quality else {}
    con.begin()
    ensure_linkage_schema(con)
    con.execute("delete from linkage.person_keys")
    con.execute("delete from linkage.person_key_history")
    _insert(con, "linkage.person_keys", keys[["source", "entity", "record_key", "person_key"]])
    _insert(con, "linkage.person_key_history", history[["night", "event", "person_key", "related_key", "records", "moved_records"]])
    con.execute("insert or replace into linkage.runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        linked.night, linked.model_version, linked.records, linked.people, linked.new_records, linked.new_keys,
        linked.merges, linked.splits, linked.retired, linked.queue_size, measured.get("precision"), measured.get("recall"),
        measured.get("f1"), quality.completeness if quality else None, datetime.now(UTC).replace(tzinfo=None)])
    con.commit()


def link_night(settings: Settings, night: date, full: bool = False, retrain: bool = False, key: bytes | None = None) -> LinkedNight:
    """Link the night's records, publish the keys, and write the linkage report."""
    truth = settings.truth_dir / TRUTH
    with connect_vault(settings) as vault:
        linked = run(vault, settings.home, night, full=full, retrain=retrain)
        quality = evaluate(vault, truth, record_key_of(key or load_key(settings))) if truth.exists() else None
        keys, history = person_key_map(vault), key_history(vault)
    with connect(settings.warehouse_path) as con:
        publish(con, keys, history, linked, quality)
    return LinkedNight(linked, quality, write_report(settings.home, quality, linked))
