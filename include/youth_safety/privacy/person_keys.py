"""Person keys as linkage leaves them in the vault: resolve a retired key, list a person's records.

``person_keys`` gives each agency person record (source, entity, record_key) one person
key; ``person_key_history`` says what became of a key: when a merge retires it, the
``retired`` event names the survivor as ``related_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

RECORD_COLUMNS = ["source", "entity", "record_key"]
FRAME = "person_keys_frame"


class NoPersonKeys(LookupError):
    """The vault holds no person keys: linkage has not run."""


@dataclass(frozen=True)
class Resolution:
    asked: str
    current: str | None  # the key holding the person's records now; None when unknown or retired with no survivor
    retired_on: date | None = None  # when the key asked for was retired (merged into ``current``)

    @property
    def merged(self) -> bool:
        return self.current is not None and self.current != self.asked


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("select 1 from duckdb_tables() where schema_name = 'main' and table_name = ?", [name]).fetchall())


def _require(vault: duckdb.DuckDBPyConnection) -> None:
    if not has_table(vault, "person_keys"):
        raise NoPersonKeys("the vault holds no person keys yet: record linkage has not run")


def resolve(vault: duckdb.DuckDBPyConnection, key: str) -> Resolution:
    """Follow a key through its retirements to the key that holds its records now."""
    _require(vault)
    current, retired_on, seen = key, None, set()
    has_history = has_table(vault, "person_key_history")
    while current not in seen:
        seen.add(current)
        if vault.execute("select 1 from person_keys where person_key = ? limit 1", [current]).fetchall():
            return Resolution(key, current, retired_on)
        retired = vault.execute("""select night, related_key from person_key_history where event = 'retired' and person_key = ?
                                   order by night desc limit 1""", [current]).fetchall() if has_history else []
        if not retired or retired[0][1] is None:
            break
        retired_on = retired_on or retired[0][0]
        current = retired[0][1]
    return Resolution(key, None, retired_on)


def records_of(vault: duckdb.DuckDBPyConnection, keys: list[str]) -> pd.DataFrame:
    """The agency person records (source, entity, record_key) under any of the keys."""
    _require(vault)
    return vault.execute("select source, entity, record_key from person_keys where list_contains(?, person_key) order by all",
                         [keys]).df()


def keys_of(vault: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> list[str]:
    """The person keys the records are under (none when linkage has not run)."""
    if not has_table(vault, "person_keys") or records.empty:
        return []
    vault.register(FRAME, records[RECORD_COLUMNS])
    try:
        found = vault.execute(f"select distinct person_key from person_keys join {FRAME} using (source, entity, record_key) order by 1")
        return [r[0] for r in found.fetchall()]
    finally:
        vault.unregister(FRAME)
