"""Score candidate pairs with the saved model: the records to score against the rest and each other.

Nightly, only new or changed records are scored (``predict_between`` the rest and them,
``predict_within`` them); with every record to score this is the full linkage. Term
frequencies are the ones frozen with the model.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from youth_safety.linkage.workspace import linker_for, use_term_frequencies

PAIR_COLUMNS = """least(unique_id_l, unique_id_r) as record_id_l, greatest(unique_id_l, unique_id_r) as record_id_r,
                  match_weight, match_probability"""


def score(records: pa.Table, to_score: list[int], model: dict[str, Any], frequencies: dict[str, pa.Table],
          floor: float, spill_to: str) -> pd.DataFrame:
    """Scored pairs (record_id_l < record_id_r) with match probability at or above ``floor``
    (work beyond the memory cap spills to ``spill_to``)."""
    chosen = pc.is_in(records["unique_id"], value_set=pa.array(to_score, type=records["unique_id"].type))
    new, rest = records.filter(chosen), records.filter(pc.invert(chosen))
    linker = linker_for(records, model, spill_to)
    use_term_frequencies(linker, frequencies)
    manage, infer = linker.table_management, linker.inference
    predictions = []
    if new.num_rows > 1:
        predictions.append(infer.predict_within(manage.register_table(new, "link_new"), threshold_match_probability=floor))
    if new.num_rows and rest.num_rows:
        predictions.append(infer.predict_between(manage.register_table(rest, "link_rest"),
                                                 manage.register_table(new, "link_new_r"), threshold_match_probability=floor))
    if not predictions:
        return pd.DataFrame({"record_id_l": pd.Series(dtype="int64"), "record_id_r": pd.Series(dtype="int64"),
                             "match_weight": pd.Series(dtype="float64"), "match_probability": pd.Series(dtype="float64")})
    frames = [p.as_duckdbpyrelation().select(PAIR_COLUMNS).df() for p in predictions]
    return pd.concat(frames, ignore_index=True).sort_values(["record_id_l", "record_id_r"], ignore_index=True)
