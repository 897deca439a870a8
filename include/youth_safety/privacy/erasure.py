"""Erasure (UK GDPR Art. 17): take a person out of every layer, and keep them from coming back.

``erase`` finds the person's agency records, by person key through ``person_keys`` or by
one identifier (``upn=...``, ``pupil_id=...``, ``involvement_id=...``) through the vault's
identifiers and record identifiers, widened through ``person_keys`` to the whole person,
and every identifier value those records were known by. Then, in one transaction per file:

* suppression list: every value, salted and hashed (``privacy.suppression``), so older or
  re-sent files are excluded at the gate under GDPR-ERASURE;
* raw layer: every row of every ``raw_<source>.<extract>`` holding one of the person's
  values in an identifier column (``layout.identifier_columns``: agency ids, UPN, NHS
  number and PNC id as tokens, police and health record ids as received, linked
  identifiers' tokens), and rows hanging off an erased row (factors of their assessments);
* audit: quarantined rows about their records (``person_ref``), rule warnings of erased rows;
* linkage: their records and key history as published to the warehouse (``linkage.*``);
* vault: their records in every table keyed by records (person_records,
  record_identifiers, person_keys, link_records ...), the identifiers behind their tokens,
  their keys' history (``privacy.forget``);
* ``audit.erasures``: when, who, why, rows removed per layer; no identifier, token or key.

The caller then rebuilds the dbt models (``dbt_runner.build``) so no model keeps the person.
The re-identification log keeps its rows (who looked whom up is itself accountable);
once the person's records are gone, the keys in it lead nowhere.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.contracts import Contract, all_contracts, get_contract
from youth_safety.linkage.forget import forget_pairs
from youth_safety.privacy.layout import (
    LINKED_ROLES,
    PARENT_LINKS,
    UNKNOWN_LINKED_ROLE,
    entity,
    identifier_columns,
    linked_identifier_field,
    person_reference,
    token_kind,
)
from youth_safety.privacy.forget import forget_key_history, forget_records
from youth_safety.privacy.person_keys import keys_of, records_of, resolve
from youth_safety.privacy.requests import RequestRefused, checked_reason, current_operator
from youth_safety.privacy.suppression import suppress
from youth_safety.privacy.tokens import normalise, tokenise
from youth_safety.privacy.vault import check_key, connect_vault, removal_transaction
from youth_safety.warehouse import connect, ensure_schema, raw_table

ERASURES_DDL = """create table if not exists audit.erasures (
    erasure_id varchar not null primary key,
    erased_at timestamp not null,              -- UTC
    operator varchar not null,
    reason varchar not null,                   -- checked to name no identifier or name of the person
    records_erased integer not null,           -- agency person records
    rows_removed_by_layer json not null,       -- {"raw": n, "audit": n, "linkage": n, "vault": n}
    identifiers_suppressed integer not null    -- values added to the vault's suppression list
)"""
ERASED = "erased_values"  # temp table (role, value): the person's values as the warehouse holds them
PERSON_FRAME = "person_frame"
MIN_TEXT_IN_REASON = 3


class ErasureError(LookupError):
    """Nobody to erase: the key or identifier names no record."""


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    records_erased: int
    rows_removed: dict[str, int]  # per layer: raw, audit, linkage (published person keys), vault
    identifiers_suppressed: int


@dataclass(frozen=True)
class Person:
    """What the vault knows of one person: records, keys, identifier values and names."""

    records: pd.DataFrame  # source, entity, record_key
    keys: tuple[str, ...]  # person keys
    values: pd.DataFrame  # role, value: every identifier value, normalised for its role
    names: frozenset[str]  # forenames and surnames the agencies hold


@cache
def identifier_roles() -> dict[str, bool]:
    """Roles a person can be erased by, and whether the warehouse holds their values as tokens."""
    parent_keys = {link.parent_key for link in PARENT_LINKS.values()}
    roles = {c.role: c.tokenised for contract in all_contracts() for c in identifier_columns(contract) if c.role not in parent_keys}
    return roles | {role: True for role, _ in [*LINKED_ROLES.values(), UNKNOWN_LINKED_ROLE]}


def parse_identifier(text: str) -> tuple[str, str]:
    """``role=value`` (e.g. ``upn=A123...``) as (role, value normalised for the role)."""
    role, _, value = text.partition("=")
    role = role.strip().lower()
    if role not in identifier_roles() or not value.strip():
        raise RequestRefused(f"identifier must be ROLE=VALUE with ROLE one of {', '.join(sorted(identifier_roles()))}")
    return role, normalise(token_kind(role), value)


def _warehouse_form(key: bytes, values: pd.DataFrame) -> pd.DataFrame:
    """The values as the warehouse holds them: tokens for tokenised roles, the rest as received."""
    parts = []
    for role, group in values.groupby("role"):
        held = tokenise(key, role, group["value"], token_kind(role)) if identifier_roles().get(role, True) else group["value"]
        parts.append(pd.DataFrame({"role": role, "value": held}))
    return pd.concat(parts, ignore_index=True).dropna().drop_duplicates(ignore_index=True)


def _records_by_identifier(vault: duckdb.DuckDBPyConnection, key: bytes, role: str, value: str) -> pd.DataFrame:
    held = tokenise(key, role, [value], token_kind(role))[0] if identifier_roles()[role] else value
    return vault.execute("""
        select source, entity, record_key from person_records where entity = $role and record_key = $held
        union
        select source, entity, record_key from record_identifiers where role = $role and value = $value
        order by all""", {"role": role, "held": held, "value": value}).df()


def _known(vault: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> tuple[pd.DataFrame, frozenset[str]]:
    """Every identifier value of the records (shared identifiers, agency ids behind their tokens, plain
    record ids) as (role, value), and the forenames and surnames they hold."""
    plain = sorted(role for role, tokenised in identifier_roles().items() if not tokenised)
    vault.register(PERSON_FRAME, records)
    try:
        values = vault.execute(f"""
            select role, value from record_identifiers join {PERSON_FRAME} using (source, entity, record_key)
            union
            select i.role, i.value from identifiers i join {PERSON_FRAME} f on i.role = f.entity and i.token = f.record_key
            union
            select entity, record_key from {PERSON_FRAME} where list_contains($plain, entity)""", {"plain": plain}).df()
        names = vault.execute(f"select forename, surname from person_records join {PERSON_FRAME} using (source, entity, record_key)").fetchall()
    finally:
        vault.unregister(PERSON_FRAME)
    return values, frozenset(name for row in names for name in row if name)


def find_person(vault: duckdb.DuckDBPyConnection, key: bytes, person_key: str | None = None,
                identifier: tuple[str, str] | None = None) -> Person:
    """The person under a key, or carrying an identifier (then every record under their person keys)."""
    if person_key:
        resolution = resolve(vault, person_key)
        if resolution.current is None:
            raise ErasureError(f"no person holds key {person_key}")
        keys = [resolution.current]
        records = records_of(vault, keys)
    else:
        found = _records_by_identifier(vault, key, *identifier)
        keys = keys_of(vault, found)
        records = pd.concat([found, records_of(vault, keys)] if keys else [found]).drop_duplicates(ignore_index=True)
    if records.empty:
        raise ErasureError("no agency record in the vault carries that identifier; nothing erased")
    values, names = _known(vault, records)
    if identifier:
        values = pd.concat([values, pd.DataFrame([identifier], columns=["role", "value"])]).drop_duplicates(ignore_index=True)
    return Person(records, tuple(keys), values, names)


def _check_reason_names_no_one(reason: str, person: Person, held: pd.DataFrame) -> None:
    """The erasure log must not identify the person: refuse a reason holding one of their values or names."""
    text = reason.upper()
    values = {str(v).upper() for v in [*person.values["value"], *held["value"], *person.keys] if len(str(v)) >= MIN_TEXT_IN_REASON}
    names = {n.upper() for n in person.names if len(n) >= MIN_TEXT_IN_REASON}
    if any(v in text for v in values) or any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
        raise RequestRefused("the reason names the person (one of their identifiers, keys or names); describe the request "
                             "without identifying them (e.g. its reference number): the erasure log must not identify them")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _predicate(contract: Contract) -> str | None:
    """SQL: the row holds one of the erased values in an identifier column."""
    clauses = [f'"{c.name}" in (select value from {ERASED} where role = {_quoted(c.role)})' for c in identifier_columns(contract)]
    linked = linked_identifier_field(contract)
    if linked:
        clauses.append(f'"{linked.name}" in (select value from {ERASED})')
    return " or ".join(clauses) or None


def _parent_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Keys of the person's rows that other rows hang off (their assessments' ids), as (role, value)."""
    parts = []
    for child, link in PARENT_LINKS.items():
        if person_reference(get_contract(*child.split("."))):
            continue
        parent = get_contract(*link.parent.split("."))
        parts.append(con.execute(f'select distinct {_quoted(link.parent_key)} as role, "{link.parent_key}" as value '
                                 f"from {raw_table(parent)} where {_predicate(parent)}").df())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["role", "value"])


def _add_erased(con: duckdb.DuckDBPyConnection, values: pd.DataFrame) -> None:
    con.register("erased_frame", values)
    try:
        con.execute(f"insert into {ERASED} select role, value from erased_frame")
    finally:
        con.unregister("erased_frame")


def _stage(con: duckdb.DuckDBPyConnection, held: pd.DataFrame) -> pd.DataFrame:
    """Fill the ``ERASED`` temp table with the person's values, then the keys of rows hanging off theirs; return those keys."""
    con.execute(f"create or replace temp table {ERASED} (role varchar, value varchar)")
    _add_erased(con, held)
    parents = _parent_values(con)
    _add_erased(con, parents)
    return parents


def _erase_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delete the person's raw rows, their quarantined rows and the erased rows' warnings; rows per layer."""
    gone: list[tuple[str, int]] = []
    for contract in all_contracts():
        predicate = _predicate(contract)
        if predicate:
            gone += con.execute(f"delete from {raw_table(contract)} where {predicate} returning _load_id, _source_row_number").fetchall()
    audit = 0
    for contract in all_contracts():
        reference = person_reference(contract)
        if reference:
            audit += con.execute(f"""delete from audit.quarantine where source = ? and extract = ?
                                     and person_ref in (select value from {ERASED} where role = ?)""",
                                 [contract.source, contract.extract, entity(reference)]).fetchall()[0][0]
    con.register("erased_rows", pd.DataFrame(gone, columns=["load_id", "row_number"]))
    try:
        audit += con.execute("""delete from audit.rule_warnings w using erased_rows e
                                where w.load_id = e.load_id and w.source_row_number = e.row_number""").fetchall()[0][0]
    finally:
        con.unregister("erased_rows")
    return {"raw": len(gone), "audit": audit}


def _forget(con: duckdb.DuckDBPyConnection, person: Person) -> int:
    """The person's records and key history in every table keyed by them; rows removed."""
    return sum(forget_records(con, person.records).values()) + sum(forget_key_history(con, list(person.keys)).values())


def _erase_vault(vault: duckdb.DuckDBPyConnection, home: Path, person: Person, held: pd.DataFrame) -> int:
    removed = forget_pairs(vault, home, person.records) + _forget(vault, person)
    vault.register("erased_tokens", held)
    try:
        return removed + vault.execute("delete from identifiers where token in (select value from erased_tokens)").fetchall()[0][0]
    finally:
        vault.unregister("erased_tokens")


def erase(settings: Settings, key: bytes, reason: str | None, person_key: str | None = None,
          identifier: tuple[str, str] | None = None) -> Erasure:
    """Erase one person, given by person key or by one (role, value) identifier."""
    reason = checked_reason(reason)
    if bool(person_key) == bool(identifier):
        raise RequestRefused("give either a person key or one identifier")
    if not settings.vault_path.exists():
        raise FileNotFoundError(f"no identity vault at {settings.vault_path}; nothing has been loaded yet")
    with connect_vault(settings) as vault, connect(settings.warehouse_path) as con:
        check_key(vault, key)
        person = find_person(vault, key, person_key, identifier)
        held = _warehouse_form(key, person.values)
        _check_reason_names_no_one(reason, person, held)
        ensure_schema(con)
        con.execute(ERASURES_DDL)
        with removal_transaction(con, vault):
            parents = _stage(con, held)
            removed = _erase_warehouse(con) | {"linkage": _forget(con, person), "vault": _erase_vault(vault, settings.home, person, held)}
            suppressed = suppress(vault, pd.concat([person.values, parents], ignore_index=True))
            erasure = Erasure(uuid.uuid4().hex, len(person.records), removed, suppressed)
            con.execute("insert into audit.erasures values (?, ?, ?, ?, ?, ?, ?)",
                        [erasure.erasure_id, datetime.now(UTC).replace(tzinfo=None), current_operator(), reason,
                         erasure.records_erased, json.dumps(removed), suppressed])
            con.execute(f"drop table {ERASED}")
    return erasure
