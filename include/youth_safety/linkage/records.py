"""The records linkage works on: stable record ids and normalised identity columns.

Every vault ``person_records`` row gets a ``record_id`` once (``link_records``), a small
integer that pairs, review and clustering use. Names are compared as upper-case letters
only (accents stripped), sex as M/F (anything else unknown), postcodes as 'N1 7AB' with
their sector and district. A record is *to score* when it is new or its normalised identity
changed since it was last scored.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

NORMALISED = """
    select k.record_id as unique_id,
           nullif(regexp_replace(upper(strip_accents(p.forename)), '[^A-Z]', '', 'g'), '') as forename,
           nullif(regexp_replace(upper(strip_accents(p.surname)), '[^A-Z]', '', 'g'), '') as surname,
           p.dob,
           case upper(trim(p.sex)) when 'M' then 'M' when 'F' then 'F' end as sex,
           nullif(regexp_replace(upper(p.postcode), '[^A-Z0-9]', '', 'g'), '') as pc
    from person_records p join link_records k using (source, entity, record_key)
"""
INPUT_SQL = f"""
    with n as ({NORMALISED}), v as (select *, length(pc) between 5 and 7 as valid from n)
    select unique_id, forename, surname, dob, sex,
           case when valid then left(pc, -3) || ' ' || right(pc, 3) end as postcode,
           case when valid then left(pc, -3) || ' ' || right(pc, 3)[1] end as postcode_sector,
           case when valid then left(pc, -3) end as postcode_district,
           year(dob) as birth_year,
           strftime(dob, '%m%d') as birth_day_month,
           forename[1] as forename_initial,
           surname[1] as surname_initial
    from v
"""
INPUT_SCHEMA = pa.schema([
    ("unique_id", pa.int64()), ("forename", pa.string()), ("surname", pa.string()), ("dob", pa.date32()),
    ("sex", pa.string()), ("postcode", pa.string()), ("postcode_sector", pa.string()),
    ("postcode_district", pa.string()), ("birth_year", pa.int64()), ("birth_day_month", pa.string()),
    ("forename_initial", pa.string()), ("surname_initial", pa.string()),
])
IDENTITY_HASH = "md5(concat_ws('|', p.forename, p.surname, p.dob, p.sex, p.postcode))"


def register_new_records(vault: duckdb.DuckDBPyConnection, night: date) -> int:
    """Give records not seen before a record id (in key order); returns how many were new."""
    before = vault.execute("select count(*) from link_records").fetchall()[0][0]
    vault.execute(f"""
        insert into link_records
        select (select coalesce(max(record_id), 0) from link_records)
                   + row_number() over (order by p.source, p.entity, p.record_key),
               p.source, p.entity, p.record_key, '', $night
        from person_records p anti join link_records k using (source, entity, record_key)
    """, {"night": night})
    return vault.execute("select count(*) from link_records").fetchall()[0][0] - before


def records_to_score(vault: duckdb.DuckDBPyConnection, full: bool) -> list[int]:
    """Record ids never scored, or whose identity changed since (every record when ``full``)."""
    changed = "" if full else f"where k.identity_hash <> {IDENTITY_HASH}"
    rows = vault.execute(f"""
        select k.record_id from person_records p join link_records k using (source, entity, record_key)
        {changed} order by k.record_id
    """).fetchall()
    return [r[0] for r in rows]


def mark_scored(vault: duckdb.DuckDBPyConnection, record_ids: list[int], night: date) -> None:
    """Remember the identity each record was scored with."""
    vault.execute("create or replace temp table link_scored as select unnest($ids::bigint[]) as record_id", {"ids": record_ids})
    vault.execute(f"""
        update link_records k set identity_hash = {IDENTITY_HASH}, scored_night = $night
        from person_records p, link_scored s
        where p.source = k.source and p.entity = k.entity and p.record_key = k.record_key and s.record_id = k.record_id
    """, {"night": night})
    vault.execute("drop table link_scored")


def linkage_input(vault: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every current record, normalised, keyed by ``unique_id`` (the record id)."""
    return vault.sql(INPUT_SQL + " order by unique_id").to_arrow_table().cast(INPUT_SCHEMA)
