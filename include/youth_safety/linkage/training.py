"""Train the probabilistic model once and save it as a version; nightly runs only load it.

* u (how often non-matches agree) from random pairs: Splink's seeded sample of pairs.
* m (how often matches agree) from the deterministic pairs: records sharing a UPN, NHS
  number, PNC id or YOT id are the same person, found without looking at names, so their
  agreement on names, dob, sex and postcode is what matches look like. A level never seen
  among them gets the rule-of-three bound 3/n rather than Splink's generic default.
* the prior (probability two random records match) from exact name-and-dob agreement,
  assuming that finds 80% of matching pairs.

The term frequencies of names are frozen with the model in the vault, so the same pair
scores the same whichever night it is scored on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import block_on

from youth_safety.linkage import registry
from youth_safety.linkage.clustering import components
from youth_safety.linkage.deterministic import deterministic_edges
from youth_safety.linkage.model import settings
from youth_safety.linkage.records import linkage_input, register_new_records
from youth_safety.linkage.schema import ensure_tables, transaction
from youth_safety.linkage.workspace import linker_for, spill_folder, term_frequencies

SEED = 42
U_MAX_PAIRS = 1e7
PRIOR_RULE = ("forename", "surname", "dob")
PRIOR_RULE_RECALL = 0.8
LABEL = "identity_group"


def _with_identity_groups(vault: duckdb.DuckDBPyConnection, records: pa.Table) -> tuple[pa.Table, int]:
    """Records with the id of the deterministic group they share identifiers with (null if alone)."""
    ids = records["unique_id"].to_numpy()
    groups = components(ids, deterministic_edges(vault))
    sizes = groups.value_counts()
    group = groups.to_numpy()
    alone = sizes.reindex(group).to_numpy() < 2
    labelled_pairs = int((sizes[sizes > 1] * (sizes[sizes > 1] - 1) // 2).sum())
    return records.append_column(LABEL, pa.array(group, mask=alone)), labelled_pairs


def _bound_unseen_levels(model: dict[str, Any], labelled_pairs: int) -> list[str]:
    """Give levels no labelled pair fell in m = 3/n; returns which levels they were."""
    bound = 3 / max(labelled_pairs, 1)
    unseen = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and "m_probability" not in level:
                level["m_probability"] = bound
                unseen.append(f"{comparison['output_column_name']}: {level.get('label_for_charts', level['sql_condition'])}")
    return unseen


def _store_term_frequencies(vault: duckdb.DuckDBPyConnection, version: str, tables: dict[str, pa.Table]) -> None:
    for column, table in tables.items():
        vault.register("link_tf_frame", table)
        vault.execute(f"""insert into link_term_frequencies
                          select $version, '{column}', "{column}", "tf_{column}" from link_tf_frame""", {"version": version})
        vault.unregister("link_tf_frame")


@dataclass(frozen=True)
class Fitted:
    model: dict[str, Any]              # Splink's model JSON
    frequencies: dict[str, pa.Table]   # term frequencies it scores with
    records: int
    facts: dict[str, Any]              # how it was trained


def fit(vault: duckdb.DuckDBPyConnection, seed: int = SEED) -> Fitted:
    """Train on every current record in the vault (nothing saved)."""
    records, labelled_pairs = _with_identity_groups(vault, linkage_input(vault))
    linker = linker_for(records, settings(), spill_folder(vault))
    linker.training.estimate_probability_two_random_records_match([block_on(*PRIOR_RULE)], recall=PRIOR_RULE_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=seed)
    linker.training.estimate_m_from_label_column(LABEL)
    blocking = linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=1.0)
    model = linker.misc.save_model_to_json()
    unseen = _bound_unseen_levels(model, labelled_pairs)
    facts = {
        "method": "u: seeded random sampling; m: pairs sharing a UPN, NHS number, PNC id or YOT id; "
                  f"prior: exact {' + '.join(PRIOR_RULE)} at an assumed recall of {PRIOR_RULE_RECALL}",
        "seed": seed, "u_max_pairs": U_MAX_PAIRS, "labelled_pairs": labelled_pairs,
        "levels_bounded_3_over_n": unseen,
        "probability_two_random_records_match": model["probability_two_random_records_match"],
        "blocking": [{"rule": b["blocking_rule"], "pairs": b["marginal_comparison_count"],
                      "cumulative_pairs": b["cumulative_comparison_count"]} for b in blocking],
    }
    return Fitted(model, term_frequencies(linker), records.num_rows, facts)


def train(vault: duckdb.DuckDBPyConnection, home: Path, night: date, seed: int = SEED) -> str:
    """Train on every record in the vault, save the next model version, return its name."""
    ensure_tables(vault)
    with transaction(vault):
        return train_in_transaction(vault, home, night, seed)


def train_in_transaction(vault: duckdb.DuckDBPyConnection, home: Path, night: date, seed: int = SEED) -> str:
    """:func:`train` inside a transaction the caller holds."""
    register_new_records(vault, night)
    fitted = fit(vault, seed)
    version = registry.save(home, fitted.model, night, fitted.records, fitted.facts)
    vault.execute("insert into link_model_versions values (?, ?, ?, ?, ?, ?)",
                  [version.version, night, fitted.records, version.sha256,
                   str(registry.models_dir(home) / version.file), json.dumps(fitted.facts)])
    _store_term_frequencies(vault, version.version, fitted.frequencies)
    return version.version
