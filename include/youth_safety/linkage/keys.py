"""Stable person keys: a person keeps their key night after night; keys are never reused.

Given tonight's people (record -> cluster) and last night's keys (record -> key):

* each existing key's *home* is the person holding most of its records (ties: the lowest
  cluster label); records of the key elsewhere have been split off;
* a person keeps the oldest key homed with them; other keys homed there are merged into it
  and retired;
* a person with no key homed with them (new records only, or parts split off) gets a new
  key from the sequence, whose high-water mark only rises.

Every change is a history row: created (new key), merged (all of related_key's records now
under person_key), split (some of related_key's records now under person_key), retired
(related_key took over, or the key's records are gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

PREFIX = "PK"
WIDTH = 7
HISTORY_COLUMNS = ["night", "event", "person_key", "related_key", "records", "moved_records"]


def key_name(number: int) -> str:
    return f"{PREFIX}{number:0{WIDTH}d}"


def key_number(keys: pd.Series) -> pd.Series:
    return keys.str.slice(len(PREFIX)).astype("int64")


@dataclass(frozen=True)
class KeyAssignment:
    keys: pd.Series          # record_id -> person_key
    history: pd.DataFrame    # HISTORY_COLUMNS
    last_value: int          # the sequence's new high-water mark


def _events(night: date, rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS[1:])
    frame.insert(0, "night", night)
    return frame.astype({"records": "int64", "moved_records": "int64"})


def assign(clusters: pd.Series, previous: pd.Series, last_value: int, night: date) -> KeyAssignment:
    """Keys for tonight's ``clusters`` (record_id -> label), continuing ``previous`` (record_id -> key)."""
    now = pd.DataFrame({"cluster": clusters})
    now["old"] = previous.reindex(now.index)
    size = now.groupby("cluster").size()
    parts = now.dropna(subset=["old"]).groupby(["old", "cluster"]).size().rename("n").reset_index()
    parts = parts.sort_values(["old", "n", "cluster"], ascending=[True, False, True], ignore_index=True)
    home = parts.drop_duplicates("old").assign(number=lambda f: key_number(f["old"]))
    survivors = home.sort_values("number").drop_duplicates("cluster").set_index("cluster")["old"]
    unkeyed = np.setdiff1d(size.index.to_numpy(), survivors.index.to_numpy())
    created = pd.Series([key_name(last_value + 1 + i) for i in range(len(unkeyed))], index=unkeyed, dtype=object)
    key_of = pd.concat([survivors, created]).sort_index()

    rows: list[tuple] = [("created", key, None, size[c], 0) for c, key in created.items()]
    for old, c, n in home[["old", "cluster", "n"]].itertuples(index=False):
        if key_of[c] != old:
            rows += [("merged", key_of[c], old, size[c], n), ("retired", old, key_of[c], 0, n)]
    strays = parts.merge(home[["old", "cluster"]], on="old", suffixes=("", "_home"))
    for old, c, n in strays.loc[strays["cluster"] != strays["cluster_home"], ["old", "cluster", "n"]].itertuples(index=False):
        rows.append(("split", key_of[c], old, size[c], n))
    rows += [("retired", old, None, 0, 0) for old in sorted(set(previous.unique()) - set(parts["old"]))]
    keys = pd.Series(key_of.reindex(now["cluster"]).to_numpy(), index=now.index, name="person_key")
    return KeyAssignment(keys, _events(night, rows), last_value + len(created))
