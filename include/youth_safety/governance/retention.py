"""Retention: purge every record past its source's retention period from every layer.

A record is past retention on night N when its date is before N less the source's
``retention_years`` (``register.yml``; ``Processing.retention_cutoff``, the same day the
gate's GDPR-RETENTION rule uses, so what the purge removes a re-sent file cannot bring back).
What counts as a row's date:

* an extract with a ``record_date`` (exclusions, crimes, CIN episodes, referrals ...): that
  date, exactly as GDPR-RETENTION judges it; while it is empty (a pupil still on roll)
  the extract night of the file the row came in, its load night;
* an extract hanging off a dated row (``layout.PARENT_LINKS``): the parent's date
  (an involvement takes its crime's committed date, assessment factors their assessment's
  start date); with no parent left, the row's load night;
* any other extract (person snapshots, attendance, attainment, linked identifiers): its
  load night. An old snapshot goes; tonight's snapshot stays. The gate cannot judge these
  on arrival (a row arriving tonight is within retention by its load night), so they agree.

Layers, in one transaction per file: the raw tables; ``audit.quarantine``,
``audit.gdpr_exclusions`` and ``audit.rule_warnings`` of files whose extract night is past
retention (``audit.file_loads`` stays: it holds no row's content, and the loader needs it
to know a file was judged); the vault: agency person records no raw row refers to any
more and last seen before the cutoff, in every table keyed by records (with the person
keys linkage published to the warehouse), and identifiers whose token no raw row,
quarantined row or record holds any more. Landed files move out of the landing zone
(``governance.archive``). ``audit.purges`` records rows removed per layer and relation,
never a value. The dbt models are rebuilt afterwards (``dbt_runner.build``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.contracts import Contract, all_contracts, get_contract
from youth_safety.governance.archive import move_landed_files
from youth_safety.governance.register import register
from youth_safety.privacy.layout import PARENT_LINKS, entity, person_reference, warehouse_columns
from youth_safety.privacy.forget import forget_records
from youth_safety.privacy.vault import connect_vault, removal_transaction
from youth_safety.warehouse import connect, ensure_schema, raw_table

PURGES_DDL = """create table if not exists audit.purges (
    night date not null,                   -- the night retention was judged on
    purged_at timestamp not null,          -- UTC
    layer varchar not null,                -- raw | audit | linkage | vault | landing
    relation varchar not null,             -- the table, or for landing: files archived | deleted | expired from the archive
    rows_removed bigint not null           -- rows (files for landing); no value of any row
)"""
AUDIT_TABLES = ("audit.quarantine", "audit.gdpr_exclusions", "audit.rule_warnings")
TOKEN_TREATMENTS = ("token", "linked_token")
LOAD_NIGHTS = "purge_load_nights"


@dataclass(frozen=True)
class Purge:
    night: date
    removed: tuple[tuple[str, str, int], ...]  # (layer, relation, rows) with rows > 0

    def total(self, layer: str) -> int:
        return sum(n for found, _, n in self.removed if found == layer)


def _cutoffs(night: date) -> dict[str, date]:
    """Per source, the first day still within retention on ``night``."""
    return {source: processing.retention_cutoff(night) for source, processing in register().items()}


def _row_date(contract: Contract) -> str:
    """SQL for a raw row's date (alias ``r``; the row's load night as ``n.extract_night``)."""
    load_night = "n.extract_night"
    if contract.record_date:
        return f'coalesce(try_cast(r."{contract.record_date}" as date), {load_night})'
    link = PARENT_LINKS.get(contract.name)
    if link:
        parent = get_contract(*link.parent.split("."))
        return (f'coalesce((select max(try_cast(p."{parent.record_date}" as date)) from {raw_table(parent)} p '
                f'where p."{link.parent_key}" = r."{link.column}"), {load_night})')
    return load_night


def _purge_raw(con: duckdb.DuckDBPyConnection, cutoff: dict[str, date]) -> list[tuple[str, str, int]]:
    """Rows past retention; rows dated by a parent go first, while their parent is still there."""
    con.execute(f"create or replace temp table {LOAD_NIGHTS} as select distinct load_id, extract_night from audit.file_loads")
    ordered = sorted(all_contracts(), key=lambda c: c.name not in PARENT_LINKS)
    removed = []
    for contract in ordered:
        n = con.execute(f"delete from {raw_table(contract)} r using {LOAD_NIGHTS} n where n.load_id = r._load_id "
                        f"and {_row_date(contract)} < ?", [cutoff[contract.source]]).fetchall()[0][0]
        removed.append(("raw", raw_table(contract), n))
    con.execute(f"drop table {LOAD_NIGHTS}")
    return removed


def _purge_audit(con: duckdb.DuckDBPyConnection, cutoff: dict[str, date]) -> list[tuple[str, str, int]]:
    removed = []
    for table in AUDIT_TABLES:
        n = sum(con.execute(f"""delete from {table} where source = ? and load_id in
                                (select load_id from audit.file_loads where source = ? and extract_night < ?)""",
                            [source, source, day]).fetchall()[0][0] for source, day in cutoff.items())
        removed.append(("audit", table, n))
    return removed


def _still_held(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the warehouse still refers to: person records (source, entity, record_key) from the raw
    layer, and tokens from the raw layer and the quarantine (whose tokens key rotation re-makes)."""
    records, tokens = [], []
    for contract in all_contracts():
        table = raw_table(contract)
        reference = person_reference(contract)
        if reference:
            records.append(con.execute(f"""select distinct ? as source, ? as entity, "{reference.name}" as record_key
                                           from {table} where "{reference.name}" is not null""",
                                       [contract.source, entity(reference)]).df())
        tokens += [con.execute(f'select distinct "{c.name}" as token from {table} where "{c.name}" is not null').df()
                   for c in warehouse_columns(contract) if c.treatment in TOKEN_TREATMENTS]
    tokens.append(con.execute("select distinct person_ref as token from audit.quarantine where person_ref is not null").df())
    return pd.concat(records, ignore_index=True), pd.concat(tokens, ignore_index=True).drop_duplicates()


def _purge_records(vault: duckdb.DuckDBPyConnection, con: duckdb.DuckDBPyConnection,
                   cutoff: dict[str, date]) -> list[tuple[str, str, int]]:
    """Records nothing refers to any more and last seen before the cutoff, in every table of both files
    keyed by records (the vault's, and the person keys linkage published); identifiers no token needs."""
    held, tokens = _still_held(con)
    vault.register("purge_held", held)
    vault.register("purge_tokens", tokens)
    vault.register("purge_cutoffs", pd.DataFrame(list(cutoff.items()), columns=["source", "cutoff"]))
    try:
        gone = vault.execute("""
            select p.source, p.entity, p.record_key from person_records p join purge_cutoffs c using (source)
            where p.last_seen_night < c.cutoff
              and not exists (select 1 from purge_held h where h.source = p.source and h.entity = p.entity and h.record_key = p.record_key)
        """).df()
        removed = [("vault", table, n) for table, n in forget_records(vault, gone).items()]
        removed += [("linkage", table, n) for table, n in forget_records(con, gone).items()]
        n = vault.execute("""delete from identifiers i where not exists (select 1 from purge_tokens t where t.token = i.token)
                             and not exists (select 1 from person_records p where p.record_key = i.token)""").fetchall()[0][0]
        return removed + [("vault", "main.identifiers", n)]
    finally:
        for frame in ("purge_held", "purge_tokens", "purge_cutoffs"):
            vault.unregister(frame)


def _record(con: duckdb.DuckDBPyConnection, night: date, removed: list[tuple[str, str, int]]) -> None:
    rows = [[night, datetime.now(UTC).replace(tzinfo=None), layer, relation, n] for layer, relation, n in removed if n]
    if rows:
        con.executemany("insert into audit.purges values (?, ?, ?, ?, ?)", rows)


def purge(settings: Settings, night: date) -> Purge:
    """Purge the warehouse and the vault as of ``night`` (one transaction each), then move old landed files."""
    cutoff = _cutoffs(night)
    with connect(settings.warehouse_path) as con, connect_vault(settings) as vault:
        ensure_schema(con)
        con.execute(PURGES_DDL)
        with removal_transaction(con, vault):
            removed = _purge_raw(con, cutoff) + _purge_audit(con, cutoff)
            removed += _purge_records(vault, con, cutoff)
            _record(con, night, removed)
        files = move_landed_files(settings, con, night, cutoff)
        _record(con, night, files)
    return Purge(night, tuple(r for r in removed + files if r[2]))
