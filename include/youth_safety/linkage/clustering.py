"""Records into people: forced links first, then scored links strongest first, refusing conflicts.

Connected components over scored pairs chain: A-B and B-C at 0.99 join A and C however
unlike they are. Here scored pairs join people one at a time, strongest first, and a join is
refused when the two people would then hold two different NHS numbers, PNC ids or YOT ids,
or records a reviewer said are not a match. Forced links (shared identifiers, reviewers'
matches) are always made. A person is labelled by their lowest record id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(ids: np.ndarray, edges: pd.DataFrame) -> pd.Series:
    """Connected components of ``ids`` over edges (record_id_l, record_id_r): id -> lowest id."""
    ids = np.sort(np.asarray(ids, dtype=np.int64))
    edges = edges[edges["record_id_l"].isin(ids) & edges["record_id_r"].isin(ids)]
    left = np.searchsorted(ids, edges["record_id_l"].to_numpy(dtype=np.int64))
    right = np.searchsorted(ids, edges["record_id_r"].to_numpy(dtype=np.int64))
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(len(ids), len(ids)))
    _, component = connected_components(graph, directed=False)
    lowest = pd.Series(ids).groupby(component).transform("min").to_numpy()
    return pd.Series(lowest, index=pd.Index(ids, name="record_id"), name="cluster")


@dataclass
class _Person:
    """What a forming person holds that another must not contradict."""

    identifiers: dict[str, set[str]] = field(default_factory=dict)
    records_ruled_out: set[int] = field(default_factory=set)   # a reviewer said: not with these
    reviewed_records: set[int] = field(default_factory=set)    # members that appear in a no_match

    def conflicts(self, other: "_Person") -> bool:
        for role, values in self.identifiers.items():
            theirs = other.identifiers.get(role)
            if theirs and values.isdisjoint(theirs):
                return True
        return bool(self.records_ruled_out & other.reviewed_records or other.records_ruled_out & self.reviewed_records)

    def absorb(self, other: "_Person") -> None:
        for role, values in other.identifiers.items():
            self.identifiers.setdefault(role, set()).update(values)
        self.records_ruled_out |= other.records_ruled_out
        self.reviewed_records |= other.reviewed_records


@dataclass(frozen=True)
class Clustering:
    cluster: pd.Series     # record_id -> person label (lowest record id)
    refused: int           # scored links not made because they would join conflicting people


def _people(base: pd.Series, identifiers: pd.DataFrame, no_match: pd.DataFrame) -> dict[int, _Person]:
    """The conflict-relevant facts of each forced component, by its label."""
    people: dict[int, _Person] = {}
    held = identifiers.assign(cluster=base.reindex(identifiers["record_id"]).to_numpy()).dropna(subset=["cluster"])
    for (cluster, role), values in held.groupby(["cluster", "role"])["value"]:
        people.setdefault(int(cluster), _Person()).identifiers[role] = set(values)
    for left, right in no_match[["record_id_l", "record_id_r"]].itertuples(index=False):
        for mine, theirs in ((left, right), (right, left)):
            if mine in base.index:
                person = people.setdefault(int(base[mine]), _Person())
                person.reviewed_records.add(int(mine))
                person.records_ruled_out.add(int(theirs))
    return people


def cluster(ids: np.ndarray, forced: pd.DataFrame, scored: pd.DataFrame, identifiers: pd.DataFrame,
            no_match: pd.DataFrame) -> Clustering:
    """People from forced edges, then scored edges (record_id_l, record_id_r, match_probability).

    ``scored`` should already hold only the links to make (above the threshold, reviewers'
    no_match pairs removed); ``identifiers`` is (record_id, role, value) for the
    one-per-person identifiers; ``no_match`` is (record_id_l, record_id_r).
    """
    base = components(ids, forced)
    people = _people(base, identifiers, no_match)
    parent: dict[int, int] = {}

    def find(label: int) -> int:
        root = label
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(label, label) != root:
            parent[label], label = root, parent[label]
        return root

    order = scored.sort_values(["match_probability", "record_id_l", "record_id_r"], ascending=[False, True, True])
    left = base.reindex(order["record_id_l"]).to_numpy()
    right = base.reindex(order["record_id_r"]).to_numpy()
    refused = 0
    for a, b in zip(left, right):
        if np.isnan(a) or np.isnan(b):
            continue
        a, b = find(int(a)), find(int(b))
        if a == b:
            continue
        person_a, person_b = people.get(a), people.get(b)
        if person_a and person_b and person_a.conflicts(person_b):
            refused += 1
            continue
        keep, gone = min(a, b), max(a, b)
        parent[gone] = keep
        if gone in people:
            people.setdefault(keep, _Person()).absorb(people.pop(gone))
    labels = np.fromiter((find(int(c)) for c in base.to_numpy()), dtype=np.int64, count=len(base))
    return Clustering(pd.Series(labels, index=base.index, name="cluster"), refused)
