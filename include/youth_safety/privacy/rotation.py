"""Key rotation: re-tokenise the vault and the warehouse under a new key; person keys stay.

Every token is re-made from the identifier the vault holds for it, under the same role.
Rotation works on copies of both files; only when both are rewritten is the new key
written and the copies moved into place, so a failure leaves the old files and key
untouched. Person keys are not derived from tokens, so analysts' keys never change;
dbt tables holding tokens are rewritten like every other table. The old-to-new token map
lives only in memory (a temporary table), never in either file.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.privacy.keys import key_id, key_path, load_key, write_key_file
from youth_safety.privacy.layout import token_kind
from youth_safety.privacy.tokens import TOKEN_PATTERN, tokenise
from youth_safety.privacy.vault import check_key

ROTATING = ".rotating"
MAP = "token_map"
TOKEN_RE = re.compile(TOKEN_PATTERN.strip("^$"))


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    tokens: int
    columns_rewritten: int
    rows_rewritten: int
    seconds: float


def token_map(vault: duckdb.DuckDBPyConnection, new_key: bytes) -> pd.DataFrame:
    """(old, new) for every token the vault knows."""
    known = vault.execute("select role, token, value from identifiers").df()
    parts = [pd.DataFrame({"old": group["token"].to_numpy(), "new": tokenise(new_key, role, group["value"], token_kind(role))})
             for role, group in known.groupby("role", sort=True)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["old", "new"])


def _token_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every text column of a base table that holds a token."""
    columns = con.execute("""
        select c.table_schema, c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables t using (table_catalog, table_schema, table_name)
        where t.table_type = 'BASE TABLE' and c.data_type = 'VARCHAR' and c.table_catalog = current_database()
        order by all""").fetchall()
    found = []
    for schema, table, column in columns:
        hit = con.execute(f'select 1 from "{schema}"."{table}" where regexp_full_match("{column}", ?) limit 1', [TOKEN_PATTERN]).fetchall()
        if hit:
            found.append((schema, table, column))
    return found


def rewrite_tokens(con: duckdb.DuckDBPyConnection, mapping: pd.DataFrame) -> tuple[int, int]:
    """Replace every token in every base table by its new token; (columns, rows) rewritten."""
    con.register("token_map_frame", mapping)
    con.execute(f"create or replace temp table {MAP} as select old, new from token_map_frame")
    con.unregister("token_map_frame")
    columns = _token_columns(con)
    rows = 0
    for schema, table, column in columns:
        target = f'"{schema}"."{table}"'
        changed = con.execute(f'update {target} set "{column}" = m.new from {MAP} m where {target}."{column}" = m.old').fetchall()
        rows += changed[0][0] if changed else 0
    con.execute(f"drop table {MAP}")
    return len(columns), rows


def _rewrite_text_files(folder: Path, mapping: dict[str, str]) -> None:
    """Tokens inside the vault's text files (clerical review queues and decisions)."""
    for path in sorted(folder.rglob("*.csv")) if folder.exists() else []:
        path.write_text(TOKEN_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)), path.read_text()))


def _locked_copy(path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """Hold the file's writer lock (no nightly run can write meanwhile) and copy it checkpointed."""
    lock = duckdb.connect(str(path))
    lock.execute("checkpoint")
    copy = path.with_name(path.name + ROTATING)
    shutil.copy2(path, copy)
    return lock, copy


def rotate_key(settings: Settings, new_key: bytes, write_key: bool = True) -> Rotation:
    """Re-tokenise everything under ``new_key``; with ``write_key``, replace the key file too."""
    began = time.monotonic()
    old_key = load_key(settings)
    if key_id(old_key) == key_id(new_key):
        raise ValueError("the new key is the key in use")
    held = {path: _locked_copy(path) for path in (settings.vault_path, settings.warehouse_path)}
    copies = {path: copy for path, (_, copy) in held.items()}
    try:
        with duckdb.connect(str(copies[settings.vault_path])) as vault:
            check_key(vault, old_key)
            mapping = token_map(vault, new_key)
            vault_columns, vault_rows = rewrite_tokens(vault, mapping)
            vault.execute("update vault_keys set retired_at = current_timestamp where retired_at is null")
            vault.execute("insert into vault_keys values (?, current_timestamp, null)", [key_id(new_key)])
        with duckdb.connect(str(copies[settings.warehouse_path])) as warehouse:
            columns, rows = rewrite_tokens(warehouse, mapping)
    except BaseException:
        for lock, copy in held.values():
            lock.close()
            copy.unlink(missing_ok=True)
        raise
    if write_key:
        write_key_file(key_path(settings), new_key)
    for path, (lock, copy) in held.items():
        lock.close()
        os.replace(copy, path)
    _rewrite_text_files(settings.vault_path.parent, dict(zip(mapping["old"], mapping["new"])))
    return Rotation(key_id(old_key), key_id(new_key), len(mapping), vault_columns + columns, vault_rows + rows,
                    time.monotonic() - began)
