"""Clerical review: uncertain pairs out to a person, their decisions back in.

Pairs scored in the review band and not already one person are written to
``<home>/vault/review/queue_<night>.csv`` (a private folder: the file shows names) with both
records' identity, the probability and a stable ``pair_id``. Reviewers answer in
``decisions*.csv`` there (pair_id, decision, decided_by, decided_at; decision ``match`` or
``no_match``). Decisions are kept in the vault, the latest per pair wins, and a decided pair
leaves the queue: ``match`` forces the link, ``no_match`` removes it and keeps the two records
apart from then on.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

DECISIONS = ("match", "no_match")
DECISION_COLUMNS = ["pair_id", "decision", "decided_by", "decided_at"]
SIDE_COLUMNS = ["source", "entity", "record_key", "forename", "surname", "dob", "sex", "postcode"]
PAIR_ID = """'RP' || left(sha256(concat_ws(chr(31), l.source, l.entity, l.record_key,
                                                   r.source, r.entity, r.record_key)), 16)"""


def review_dir(home: Path) -> Path:
    return home / "vault" / "review"


def _private_dir(path: Path) -> Path:
    """The folder, and the vault folder it sits in, readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in (path.parent, path):
        os.chmod(folder, 0o700)
    return path


@dataclass(frozen=True)
class DecisionsRead:
    read: int        # decisions new or changed since last read
    ignored: int     # rows with an unknown pair_id or a decision other than match / no_match


def read_decisions(vault: duckdb.DuckDBPyConnection, home: Path, night: date) -> DecisionsRead:
    """Take every decisions*.csv under the review folder into the vault (latest per pair wins)."""
    files = sorted(review_dir(home).glob("decisions*.csv"))
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False).reindex(columns=DECISION_COLUMNS) for f in files]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DECISION_COLUMNS)
    rows["decision"] = rows["decision"].str.strip().str.lower()
    known = rows["decision"].isin(DECISIONS) & rows["pair_id"].isin(_queued_pair_ids(vault))
    taken = rows[known].sort_values("decided_at", kind="stable").drop_duplicates("pair_id", keep="last")
    vault.register("link_decisions_frame", taken.astype(object))
    fresh = vault.execute("""
        select pair_id, decision, nullif(decided_by, '') as decided_by, nullif(decided_at, '') as decided_at
        from link_decisions_frame f
        where not exists (select 1 from link_decisions d where d.pair_id = f.pair_id and d.decision = f.decision
                                                           and d.decided_at is not distinct from nullif(f.decided_at, ''))
    """).df()
    vault.unregister("link_decisions_frame")
    vault.register("link_fresh_decisions", fresh)
    vault.execute("insert or replace into link_decisions select *, $night from link_fresh_decisions", {"night": night})
    vault.unregister("link_fresh_decisions")
    return DecisionsRead(read=len(fresh), ignored=int((~known).sum()))


def _queued_pair_ids(vault: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in vault.execute("select pair_id from link_review_pairs").fetchall()]


def decided_pairs(vault: duckdb.DuckDBPyConnection, decision: str) -> pd.DataFrame:
    """(record_id_l, record_id_r) of the pairs reviewers decided ``decision`` on."""
    return vault.execute("""
        select q.record_id_l, q.record_id_r from link_decisions d join link_review_pairs q using (pair_id)
        where d.decision = ? order by all
    """, [decision]).df()


def write_queue(vault: duckdb.DuckDBPyConnection, home: Path, night: date, candidates: pd.DataFrame,
                clusters: pd.Series) -> tuple[Path, int]:
    """Write tonight's queue: ``candidates`` (record ids, weight, probability) not yet one person or decided."""
    same = clusters.reindex(candidates["record_id_l"]).to_numpy() == clusters.reindex(candidates["record_id_r"]).to_numpy()
    vault.register("link_candidates", candidates[~same])
    queue = vault.execute(f"""
        with c as (
            select {PAIR_ID} as pair_id, c.*
            from link_candidates c
            join link_records l on l.record_id = c.record_id_l
            join link_records r on r.record_id = c.record_id_r
        )
        select * from c anti join link_decisions using (pair_id)
    """).df()
    vault.unregister("link_candidates")
    vault.register("link_queue_frame", queue)
    vault.execute("""
        insert into link_review_pairs select pair_id, record_id_l, record_id_r, $night, $night from link_queue_frame
        on conflict do update set last_queued_night = excluded.last_queued_night
    """, {"night": night})
    sides = ", ".join(f"{side}.{c} as {c}_{suffix}" for side, suffix in (("pl", "l"), ("pr", "r")) for c in SIDE_COLUMNS)
    rows = vault.execute(f"""
        select q.pair_id, round(q.match_probability, 4) as match_probability, round(q.match_weight, 2) as match_weight,
               {sides}, '' as decision
        from link_queue_frame q
        join link_records kl on kl.record_id = q.record_id_l
        join person_records pl on pl.source = kl.source and pl.entity = kl.entity and pl.record_key = kl.record_key
        join link_records kr on kr.record_id = q.record_id_r
        join person_records pr on pr.source = kr.source and pr.entity = kr.entity and pr.record_key = kr.record_key
        order by q.match_probability desc, q.pair_id
    """).df()
    vault.unregister("link_queue_frame")
    path = _private_dir(review_dir(home)) / f"queue_{night.isoformat()}.csv"
    rows.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    os.chmod(path, 0o600)
    return path, len(rows)
