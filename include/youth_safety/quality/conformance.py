"""Does a file's content satisfy its contract? One vectorised check per rule.

Each violation names the source row number (1 = first data row), the column and the
rule, so an error can say exactly what is wrong where.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from youth_safety.contracts import BOOLEAN_VALUES, Contract, Field
from youth_safety.identifiers import FORMAT_CHECKS

RULES = ("required", "type", "code", "format", "duplicate_key")


def _bad_type(f: Field, values: pd.Series) -> pd.Series:
    if f.type == "date":
        parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        return parsed.isna()
    if f.type == "integer":
        return ~values.str.fullmatch(r"-?\d+")
    if f.type == "decimal":
        return pd.to_numeric(values, errors="coerce").isna()
    if f.type == "boolean":
        return ~values.isin(BOOLEAN_VALUES)
    if f.type == "json_array":
        return ~values.map(_is_json_list_of_strings).astype(bool)
    return pd.Series(False, index=values.index)


def _is_json_list_of_strings(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bad_code(f: Field, values: pd.Series) -> pd.Series:
    allowed = f.allowed_values
    if f.type == "json_array":
        return ~values.map(lambda text: _is_json_list_of_strings(text) and set(json.loads(text)) <= allowed).astype(bool)
    return ~values.isin(allowed)


def check_frame(contract: Contract, frame: pd.DataFrame) -> pd.DataFrame:
    """Violations in ``frame`` (all text, '' for missing), one row per (row, column, rule)."""
    found = []

    def note(mask: np.ndarray, column: str, rule: str) -> None:
        rows = np.flatnonzero(mask)
        if len(rows):
            found.append(pd.DataFrame({"row_number": rows + 1, "column": column, "rule": rule}))

    def on_present(present: np.ndarray, bad_among_present: pd.Series) -> np.ndarray:
        mask = np.zeros(len(present), dtype=bool)
        mask[present] = np.asarray(bad_among_present, dtype=bool)
        return mask

    for f in contract.fields:
        values = frame[f.name].fillna("").astype(str)
        present = values.ne("").to_numpy()
        if f.required:
            note(~present, f.name, "required")
        checked = values[present]
        bad_type = on_present(present, _bad_type(f, checked))
        note(bad_type, f.name, "type")
        if f.codes:
            note(on_present(present, _bad_code(f, checked)) & ~bad_type, f.name, "code")
        if f.format:
            note(on_present(present, ~checked.map(FORMAT_CHECKS[f.format]).astype(bool)), f.name, "format")
    key = list(contract.primary_key)
    note(frame.duplicated(key, keep="first").to_numpy(), ",".join(key), "duplicate_key")
    if not found:
        return pd.DataFrame({"row_number": pd.Series(dtype=int), "column": pd.Series(dtype=str), "rule": pd.Series(dtype=str)})
    return pd.concat(found, ignore_index=True).sort_values(["row_number", "column"], ignore_index=True)


def read_extract(path) -> pd.DataFrame:
    """Read a landed CSV as text, keeping '' for missing values."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
