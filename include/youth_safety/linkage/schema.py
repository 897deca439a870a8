"""The vault tables linkage owns: record ids, scored pairs, review state and person keys.

They sit in the identity vault next to ``person_records`` and ``record_identifiers``
(the input), because pairs and review decisions point at identifiable records. Only
``person_keys`` (without names) and ``person_key_history`` are meant to be published.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

LINKAGE_DDL = (
    """create table if not exists link_records (
        record_id bigint not null primary key,   -- stable small id, given once, used in pairs
        source varchar not null,
        entity varchar not null,
        record_key varchar not null,
        identity_hash varchar not null,          -- of the identity last scored: a change means score again
        scored_night date not null,
        unique (source, entity, record_key)
    )""",
    """create table if not exists link_model_versions (
        version varchar not null primary key,    -- v0001, v0002, ...
        trained_night date not null,
        records bigint not null,
        sha256 varchar not null,                 -- of the model JSON
        path varchar not null,
        facts json not null                      -- training method, seed, blocking rules for EM, lambda
    )""",
    """create table if not exists link_term_frequencies (
        model_version varchar not null,          -- frozen with the model so a pair scores the same every night
        column_name varchar not null,
        value varchar not null,
        tf double not null,
        primary key (model_version, column_name, value)
    )""",
    """create table if not exists link_pairs (
        record_id_l bigint not null,             -- record_id_l < record_id_r
        record_id_r bigint not null,
        match_weight double not null,
        match_probability double not null,
        model_version varchar not null,
        scored_night date not null,
        primary key (record_id_l, record_id_r)
    )""",
    """create table if not exists link_review_pairs (
        pair_id varchar not null primary key,    -- stable: a hash of both records' keys
        record_id_l bigint not null,
        record_id_r bigint not null,
        first_queued_night date not null,
        last_queued_night date not null
    )""",
    """create table if not exists link_decisions (
        pair_id varchar not null primary key,
        decision varchar not null,               -- match | no_match
        decided_by varchar,
        decided_at varchar,
        read_night date not null
    )""",
    """create table if not exists person_keys (
        source varchar not null,
        entity varchar not null,
        record_key varchar not null,
        person_key varchar not null,
        assigned_night date not null,            -- when the record got the key it has now
        primary key (source, entity, record_key)
    )""",
    """create table if not exists person_key_history (
        night date not null,
        event varchar not null,                  -- created | merged | split | retired
        person_key varchar not null,
        related_key varchar,                     -- merged/split: where records came from; retired: where they went
        records bigint not null,                 -- records under person_key after the night
        moved_records bigint not null            -- records that moved between the two keys
    )""",
    """create table if not exists person_key_sequence (
        name varchar not null primary key,
        last_value bigint not null               -- high-water mark: keys are never reused
    )""",
)


def ensure_tables(vault: duckdb.DuckDBPyConnection) -> None:
    """Create linkage's vault tables if they are missing."""
    for ddl in LINKAGE_DDL:
        vault.execute(ddl)


@contextmanager
def transaction(vault: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of a run's vault writes, or none of them."""
    vault.begin()
    try:
        yield
    except BaseException:
        vault.rollback()
        raise
    vault.commit()
