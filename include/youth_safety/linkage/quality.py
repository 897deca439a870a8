"""Linkage quality against the generator's ground truth (synthetic data only).

Pairs are never listed: for records grouped by (person key, true person), the pairs both
agree on number sum(n choose 2); predicted pairs sum the same over person keys, true pairs
over true people. Between two sources the count is n_a * n_b instead of n choose 2. A true
person is *complete* when all their records carry one person key; a person key is *pure*
when its records are all one true person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

RecordKeyOf = Callable[[str, pd.Series], pd.Series]
NAN = float("nan")
BANDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0)

PAIR_COUNTS = """
    with g as (select {group}, source, count(*) as n from joined group by all),
    pairs as (
        select a.source as source_a, b.source as source_b,
               sum(case when a.source = b.source then a.n * (a.n - 1) / 2 else a.n * b.n end) as pairs
        from g a join g b on {same_group} and a.source <= b.source
        group by all
    )
    select * from pairs
"""


@dataclass(frozen=True)
class LinkageQuality:
    overall: dict[str, float]          # precision, recall, f1, true_pairs, predicted_pairs, agreed_pairs
    by_source_pair: pd.DataFrame       # source_a, source_b and the same measures
    completeness: float                # share of true people whose records carry one key
    purity: float                      # share of person keys holding one true person
    records: int
    true_people: int
    predicted_people: int
    by_band: pd.DataFrame = field(default_factory=pd.DataFrame)  # band, pairs, true_share of the kept scored pairs


def _measures(agreed: float, predicted: float, true: float) -> dict[str, float]:
    """Precision, recall and F1; a measure with nothing to measure (no pairs) is NaN."""
    precision = agreed / predicted if predicted else NAN
    recall = agreed / true if true else NAN
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else NAN
    return {"precision": precision, "recall": recall, "f1": f1,
            "true_pairs": true, "predicted_pairs": predicted, "agreed_pairs": agreed}


def _truth_keys(vault: duckdb.DuckDBPyConnection, truth_path: Path, record_key_of: RecordKeyOf) -> pd.DataFrame:
    """Truth rows for the entities linkage holds, with the record key the vault uses."""
    truth = pd.read_parquet(truth_path, columns=["source", "entity", "record_id", "person_id"])
    entities = {row[0] for row in vault.execute("select distinct entity from person_records").fetchall()}
    truth = truth[truth["entity"].isin(entities)]
    parts = [part.assign(record_key=record_key_of(entity, part["record_id"]).to_numpy())
             for entity, part in truth.groupby("entity", sort=True)]
    return pd.concat(parts)[["source", "entity", "record_key", "person_id"]] if parts else truth


def score(joined: pd.DataFrame) -> LinkageQuality:
    """Quality of ``joined`` (source, person_key, person_id; one row per record)."""
    con = duckdb.connect()
    con.register("joined", joined)
    counts = {}
    for name, group in (("agreed", "person_key, person_id"), ("predicted", "person_key"), ("true", "person_id")):
        same = " and ".join(f"a.{c.strip()} = b.{c.strip()}" for c in group.split(","))
        pairs = con.execute(PAIR_COUNTS.format(group=group, same_group=same)).df()
        counts[name] = pairs.set_index(["source_a", "source_b"])["pairs"]
    table = pd.DataFrame(counts).fillna(0.0).sort_index()
    by_pair = pd.DataFrame([{"source_a": a, "source_b": b, **_measures(r["agreed"], r["predicted"], r["true"])}
                            for (a, b), r in table.iterrows()])
    people = con.execute("""
        select (select avg((n = 1)::int) from (select count(distinct person_key) as n from joined group by person_id)),
               (select avg((n = 1)::int) from (select count(distinct person_id) as n from joined group by person_key)),
               count(*), count(distinct person_id), count(distinct person_key)
        from joined
    """).fetchall()[0]
    return LinkageQuality(
        overall=_measures(*(float(table[c].sum()) for c in ("agreed", "predicted", "true"))),
        by_source_pair=by_pair,
        completeness=float(people[0]), purity=float(people[1]),
        records=int(people[2]), true_people=int(people[3]), predicted_people=int(people[4]),
    )


def _by_band(vault: duckdb.DuckDBPyConnection, truth: pd.DataFrame) -> pd.DataFrame:
    """How many kept scored pairs fall in each probability band, and what share truly match."""
    vault.register("link_truth_frame", truth)
    bands = ", ".join(map(str, BANDS))
    frame = vault.execute(f"""
        with t as (select k.record_id, t.person_id
                   from link_truth_frame t join link_records k using (source, entity, record_key)),
        p as (select list_filter([{bands}], lambda b: b <= match_probability)[-1] as band,
                     tl.person_id = tr.person_id as same
              from link_pairs join t tl on tl.record_id = record_id_l join t tr on tr.record_id = record_id_r)
        select band, count(*) as pairs, avg(same::int) as true_share from p group by band order by band
    """).df()
    vault.unregister("link_truth_frame")
    return frame


def evaluate(vault: duckdb.DuckDBPyConnection, truth_path: Path, record_key_of: RecordKeyOf) -> LinkageQuality:
    """Pairwise precision/recall/F1 overall and per source pair, completeness, purity, truth by band."""
    keys = vault.execute("select source, entity, record_key, person_key from person_keys").df()
    truth = _truth_keys(vault, Path(truth_path), record_key_of)
    joined = keys.merge(truth, on=["source", "entity", "record_key"], how="inner")
    quality = score(joined[["source", "person_key", "person_id"]])
    return replace(quality, by_band=_by_band(vault, truth))
