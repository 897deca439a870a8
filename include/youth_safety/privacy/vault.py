"""The identity vault: the only store of direct identifiers, a DuckDB file apart from the warehouse.

``var/vault/identity.duckdb`` (mode 0600 in a 0700 folder) holds each token's identifier,
each agency person record's names, date of birth, sex and postcode, and the shared
identifiers used for linkage. The warehouse holds tokens only; the way back from a
token or a person key to a child runs through this file (``reidentify``), audited.
The vault also records which key its tokens were made under, so a wrong key is refused
instead of silently making tokens that join nothing.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb

from youth_safety.config import DUCKDB_MEMORY_LIMIT, Settings
from youth_safety.privacy.keys import SecretKeyError, key_id
from youth_safety.privacy.pseudonymise import Pseudonymised

VAULT_DDL = (
    """create table if not exists vault_keys (
        key_id varchar not null primary key,   -- fingerprint of the key tokens are made under (never the key)
        activated_at timestamp not null,
        retired_at timestamp                   -- set when the key is rotated out
    )""",
    """create table if not exists identifiers (
        role varchar not null,                 -- upn | nhs_number | pnc_id | pupil_id | yot_id | ...
        token varchar not null,                -- as the warehouse holds it
        value varchar not null,                -- the identifier, normalised for its role
        primary key (role, token)
    )""",
    """create table if not exists person_records (
        source varchar not null,
        entity varchar not null,               -- pupil_id | tracking_id | pers_person_id | yot_id | involvement_id | ...
        record_key varchar not null,           -- the record's key as the warehouse holds it
        forename varchar,
        surname varchar,
        dob date,
        sex varchar,
        postcode varchar,
        first_seen_night date not null,
        last_seen_night date not null,
        primary key (source, entity, record_key)
    )""",
    """create table if not exists record_identifiers (
        source varchar not null,
        entity varchar not null,
        record_key varchar not null,
        role varchar not null,                 -- shared identifiers: records with the same role and value are one person
        value varchar not null,
        primary key (source, entity, record_key, role, value)
    )""",
)
FRAME = "vault_frame"


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


@contextmanager
def connect_vault(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the vault (created private on first write)."""
    path = settings.vault_path
    if read_only and not path.exists():
        raise FileNotFoundError(f"no identity vault at {path}; nothing has been loaded yet")
    if not read_only:
        _private_dir(path.parent)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute(f"set memory_limit = '{DUCKDB_MEMORY_LIMIT}'")  # beyond it, work spills beside the vault
        if not read_only:
            os.chmod(path, 0o600)
            for ddl in VAULT_DDL:
                con.execute(ddl)
        yield con
    finally:
        con.close()


@contextmanager
def removal_transaction(warehouse: duckdb.DuckDBPyConnection, vault: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction in each file for removing data: both commit, the warehouse first (so a
    failure between the two leaves identifiers in the vault, never tokens without them), or both roll back."""
    warehouse.begin()
    vault.begin()
    try:
        yield
    except BaseException:
        warehouse.rollback()
        vault.rollback()
        raise
    warehouse.commit()
    vault.commit()


def check_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Refuse a key other than the one the vault's tokens were made under; adopt it on a new vault."""
    current = con.execute("select key_id from vault_keys where retired_at is null").fetchall()
    if not current:
        con.execute("insert into vault_keys values (?, current_timestamp, null)", [key_id(key)])
    elif current[0][0] != key_id(key):
        raise SecretKeyError(
            f"the vault's tokens were made under key {current[0][0]}, but the key loaded is {key_id(key)}; "
            "restore the right key, or rotate with `youth-safety rotate-key`"
        )


def _upsert(con: duckdb.DuckDBPyConnection, sql: str, frame, params: dict | None = None) -> None:
    if frame.empty:
        return
    con.register(FRAME, frame)
    try:
        con.execute(sql, params or {})
    finally:
        con.unregister(FRAME)


def store(con: duckdb.DuckDBPyConnection, share: Pseudonymised, night: date) -> None:
    """Add one file's identifiers and agency person records (latest identity wins)."""
    _upsert(con, f"insert into identifiers select role, token, value from {FRAME} on conflict do nothing", share.identifiers)
    _upsert(con, f"insert into record_identifiers select source, entity, record_key, role, value from {FRAME} on conflict do nothing",
            share.record_identifiers)
    _upsert(con, f"""
        insert into person_records
        select source, entity, record_key, forename, surname, cast(dob as date), sex, postcode, $night, $night from {FRAME}
        on conflict do update set forename = excluded.forename, surname = excluded.surname, dob = excluded.dob,
            sex = excluded.sex, postcode = excluded.postcode, last_seen_night = excluded.last_seen_night
    """, share.person_records, {"night": night})
