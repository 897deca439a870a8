"""Person keys in the vault: read last night's, write tonight's, and hand them over for publishing.

What is published (``person_key_map``, ``key_history``) carries record keys as the
warehouse holds them and person keys, never a name, date of birth or postcode.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from youth_safety.linkage.keys import KeyAssignment

SEQUENCE = "person_key"


def previous_keys(vault: duckdb.DuckDBPyConnection) -> pd.Series:
    """record_id -> person_key as last assigned."""
    frame = vault.execute("""
        select k.record_id, p.person_key from person_keys p join link_records k using (source, entity, record_key)
    """).df()
    return frame.set_index("record_id")["person_key"]


def last_value(vault: duckdb.DuckDBPyConnection) -> int:
    rows = vault.execute("select last_value from person_key_sequence where name = ?", [SEQUENCE]).fetchall()
    return rows[0][0] if rows else 0


def save(vault: duckdb.DuckDBPyConnection, assignment: KeyAssignment, night: date) -> None:
    """Replace the key map, keeping each record's assigned night unless its key changed."""
    vault.register("link_keys_frame", assignment.keys.rename_axis("record_id").reset_index())
    vault.execute("""
        create or replace temp table link_new_keys as
        select k.source, k.entity, k.record_key, f.person_key,
               case when p.person_key = f.person_key then p.assigned_night else $night end as assigned_night
        from link_keys_frame f
        join link_records k using (record_id)
        left join person_keys p using (source, entity, record_key)
    """, {"night": night})
    vault.unregister("link_keys_frame")
    vault.execute("delete from person_keys")
    vault.execute("insert into person_keys select * from link_new_keys order by source, entity, record_key")
    vault.execute("drop table link_new_keys")
    if len(assignment.history):
        vault.register("link_history_frame", assignment.history)
        vault.execute("insert into person_key_history select * from link_history_frame")
        vault.unregister("link_history_frame")
    vault.execute("insert or replace into person_key_sequence values (?, ?)", [SEQUENCE, assignment.last_value])


def person_key_map(vault: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every record's person key: source, entity, record_key, person_key."""
    return vault.execute("""
        select source, entity, record_key, person_key from person_keys order by source, entity, record_key
    """).df()


def key_history(vault: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every key change: night, event, person_key, related_key, records, moved_records."""
    return vault.execute("""
        select * from person_key_history order by night, person_key, event, related_key nulls first
    """).df()
