"""One night's linkage: score what is new, cluster, keep person keys stable, queue the uncertain.

1. records new to linkage get a record id; decisions reviewers left are read;
2. the saved model is loaded (trained first if there is none, or when asked);
3. new and changed records are scored against everyone and each other (everyone when
   ``full``, or when the model changed); pairs from 0.5 (or the review band if lower) are kept;
4. people are formed from shared identifiers, reviewers' matches and pairs at or above the
   threshold (see :mod:`~youth_safety.linkage.clustering`), then keyed (see
   :mod:`~youth_safety.linkage.keys`); clustering runs over all kept pairs, which is cheap,
   so late identifiers and decisions apply to everyone;
5. pairs in the review band that are not one person and not decided make the queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from youth_safety.linkage import keys, keystore, registry, review
from youth_safety.linkage.clustering import cluster, components
from youth_safety.linkage.deterministic import deterministic_edges, identifiers_held
from youth_safety.linkage.model import TF_COLUMNS
from youth_safety.linkage.records import linkage_input, mark_scored, records_to_score, register_new_records
from youth_safety.linkage.schema import ensure_tables, transaction
from youth_safety.linkage.scoring import score
from youth_safety.linkage.training import SEED, train_in_transaction
from youth_safety.linkage.workspace import spill_folder


KEEP_LOW = 0.5  # scored pairs kept from here up, so the review band can widen without scoring again


@dataclass(frozen=True)
class LinkageConfig:
    """Measured on the synthetic borough: pairs at 0.99 and above are 99% one person; pairs in
    0.9-0.99 not already joined another way are about half matches, those below 0.9 about one in ten."""

    threshold: float = 0.99       # link pairs scored at or above this
    review_low: float = 0.9       # queue pairs scored from here up to the threshold
    seed: int = SEED              # for training's random sample


@dataclass
class LinkageRun:
    night: date
    model_version: str
    trained: bool                 # a model was trained in this run
    full: bool                    # every record was scored
    threshold: float
    review_low: float
    records: int = 0
    new_records: int = 0
    scored_records: int = 0
    pairs_kept: int = 0
    people: int = 0
    new_keys: int = 0
    merges: int = 0
    splits: int = 0
    retired: int = 0
    refused_links: int = 0        # scored links not made: they would join conflicting identifiers or decisions
    chained_people: int = 0       # people that plain connected components would have chained into others
    largest_person: int = 0       # records under the biggest key (a chaining alarm)
    decisions_read: int = 0
    queue_size: int = 0
    queue_path: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)


class _Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now


def _frequencies(vault: duckdb.DuckDBPyConnection, version: str) -> dict[str, pa.Table]:
    return {column: vault.sql(f"""
                select value as "{column}", tf as "tf_{column}" from link_term_frequencies
                where model_version = '{version}' and column_name = '{column}' order by value
            """).to_arrow_table() for column in TF_COLUMNS}


def _store_pairs(vault: duckdb.DuckDBPyConnection, pairs: pd.DataFrame, rescored: list[int], full: bool,
                 version: str, night: date) -> None:
    if full:
        vault.execute("delete from link_pairs")
    else:
        vault.execute("delete from link_pairs where record_id_l in (select unnest($ids)) or record_id_r in (select unnest($ids))",
                      {"ids": rescored})
    vault.register("link_pairs_frame", pairs)
    vault.execute("""insert into link_pairs select record_id_l, record_id_r, match_weight, match_probability, $version, $night
                     from link_pairs_frame""", {"version": version, "night": night})
    vault.unregister("link_pairs_frame")


def _kept_pairs(vault: duckdb.DuckDBPyConnection, ids: pd.Index) -> pd.DataFrame:
    pairs = vault.execute("select record_id_l, record_id_r, match_weight, match_probability from link_pairs").df()
    return pairs[pairs["record_id_l"].isin(ids) & pairs["record_id_r"].isin(ids)]


def _without(pairs: pd.DataFrame, removed: pd.DataFrame) -> pd.DataFrame:
    marked = pairs.merge(removed.assign(removed=True), on=["record_id_l", "record_id_r"], how="left")
    return pairs[marked["removed"].isna().to_numpy()]


def _known_to_vault(vault: duckdb.DuckDBPyConnection, version: registry.ModelVersion | None) -> bool:
    """Whether the vault holds this version's term frequencies (not so for a vault built anew)."""
    return version is not None and bool(vault.execute(
        "select count(*) from link_model_versions where version = ? and sha256 = ?", [version.version, version.sha256]
    ).fetchall()[0][0])


def run(vault: duckdb.DuckDBPyConnection, home: Path, night: date, full: bool = False, retrain: bool = False,
        config: LinkageConfig = LinkageConfig()) -> LinkageRun:
    """Link tonight's records into people with stable keys (see the module docstring); one transaction."""
    ensure_tables(vault)
    with transaction(vault):
        return _run(vault, home, night, full, retrain, config)


def _run(vault: duckdb.DuckDBPyConnection, home: Path, night: date, full: bool, retrain: bool,
         config: LinkageConfig) -> LinkageRun:
    stages = _Stages()
    new_records = register_new_records(vault, night)
    decisions = review.read_decisions(vault, home, night)
    stages.done("prepare")

    version = registry.current(home)
    trained = retrain or not _known_to_vault(vault, version)
    if trained:
        train_in_transaction(vault, home, night, config.seed)
        version = registry.current(home)
    stale = vault.execute("select count(*) from link_pairs where model_version <> ?", [version.version]).fetchall()[0][0]
    full = full or trained or stale > 0
    model = registry.load(home, version)
    stages.done("train" if trained else "load_model")

    records = linkage_input(vault)
    to_score = records_to_score(vault, full)
    pairs = score(records, to_score, model, _frequencies(vault, version.version), min(config.review_low, KEEP_LOW),
                  spill_folder(vault))
    _store_pairs(vault, pairs, to_score, full, version.version, night)
    mark_scored(vault, to_score, night)
    stages.done("score")

    ids = pd.Index(records["unique_id"].to_numpy(), name="record_id")
    matched, no_match = review.decided_pairs(vault, "match"), review.decided_pairs(vault, "no_match")
    kept = _kept_pairs(vault, ids)
    links = _without(kept[kept["match_probability"] >= config.threshold], no_match)
    forced = pd.concat([deterministic_edges(vault), matched])
    people = cluster(ids.to_numpy(), forced, links, identifiers_held(vault), no_match)
    unguarded = components(ids.to_numpy(), pd.concat([forced, links[["record_id_l", "record_id_r"]]]))
    stages.done("cluster")

    assignment = keys.assign(people.cluster, keystore.previous_keys(vault), keystore.last_value(vault), night)
    keystore.save(vault, assignment, night)
    stages.done("keys")

    band = kept[kept["match_probability"].between(config.review_low, config.threshold, inclusive="left")]
    queue_path, queue_size = review.write_queue(vault, home, night, band, people.cluster)
    stages.done("review_queue")

    events = assignment.history["event"].value_counts()
    return LinkageRun(
        night=night, model_version=version.version, trained=trained, full=full, threshold=config.threshold,
        review_low=config.review_low,
        records=len(ids), new_records=new_records, scored_records=len(to_score), pairs_kept=len(kept),
        people=int(assignment.keys.nunique()), new_keys=int(events.get("created", 0)),
        merges=int(events.get("merged", 0)), splits=int(events.get("split", 0)), retired=int(events.get("retired", 0)),
        refused_links=people.refused, chained_people=people.cluster.nunique() - unguarded.nunique(),
        largest_person=int(assignment.keys.value_counts().max()) if len(ids) else 0,
        decisions_read=decisions.read, queue_size=queue_size, queue_path=queue_path, seconds=stages.seconds,
    )
