"""Does a file's content satisfy its contract? One vectorised check per rule.

The value checks (``bad_type``, ``bad_code``, ``bad_format``, ``parse_dates``) judge the
present values of one column; the Great Expectations suites call them through the custom
expectations in ``quality.expectations``, and ``check_frame`` applies them to a whole
file for the generator's tests. Each violation names the source row number (1 = first
data row), the column and the rule, so an error can say exactly what is wrong where.
"""

from __future__ import annotations

import json
from typing import Callable

import numpy as np
import pandas as pd

from youth_safety.contracts import BOOLEAN_VALUES, DATE_FORMAT, Contract
from youth_safety.identifiers import FORMAT_CHECKS

DATE_LENGTH = len("2024-01-31")
INTEGER = r"-?\d+"


def _per_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parse`` applied once per distinct value (extracts repeat values a lot); missing stays missing."""
    codes, distinct = pd.factorize(values)
    parsed = parse(pd.Series([*distinct, None], dtype=object))  # a missing value's code, -1, takes the None
    return pd.Series(parsed.to_numpy()[codes], index=values.index)


def _holds(values: pd.Series, check: Callable[[str], bool]) -> np.ndarray:
    """A Python check of each present value, run once per distinct value."""
    codes, distinct = pd.factorize(values)
    return np.fromiter((check(v) for v in distinct), dtype=bool, count=len(distinct))[codes]


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates written as YYYY-MM-DD as datetime64; anything else (or missing) is NaT."""
    return _per_distinct(values, lambda d: pd.to_datetime(d.where(d.str.len() == DATE_LENGTH), format=DATE_FORMAT, errors="coerce"))


def parse_integers(values: pd.Series) -> pd.Series:
    """Whole numbers as floats; anything else (or missing) is NaN."""
    return _per_distinct(values, lambda d: pd.to_numeric(d.where(d.str.fullmatch(INTEGER, na=False)), errors="coerce").astype(float))


def _json_list(text: str) -> list[str] | None:
    """The list of strings a JSON text holds, or None when it holds anything else."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def bad_type(field_type: str, values: pd.Series) -> pd.Series:
    """Present values that are not of the contract type."""
    if field_type == "date":
        return parse_dates(values).isna()
    if field_type == "integer":
        return parse_integers(values).isna()
    if field_type == "decimal":
        return pd.to_numeric(values, errors="coerce").isna()
    if field_type == "boolean":
        return ~values.isin(BOOLEAN_VALUES)
    if field_type == "json_array":
        return pd.Series(~_holds(values, lambda text: _json_list(text) is not None), index=values.index)
    return pd.Series(False, index=values.index)


def bad_code(field_type: str, allowed: frozenset[str], values: pd.Series) -> pd.Series:
    """Present values of the right type holding a code outside the list (every code of a JSON list)."""
    if field_type == "json_array":
        def outside(text: str) -> bool:
            codes = _json_list(text)
            return codes is not None and not set(codes) <= allowed

        return pd.Series(_holds(values, outside), index=values.index)
    return ~values.isin(allowed)


def bad_format(field_format: str, values: pd.Series) -> pd.Series:
    """Present values that fail the identifier's format check (``youth_safety.identifiers``)."""
    return pd.Series(~_holds(values, FORMAT_CHECKS[field_format]), index=values.index)


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
        note(on_present(present, bad_type(f.type, checked)), f.name, "type")
        if f.codes:
            note(on_present(present, bad_code(f.type, f.allowed_values, checked)), f.name, "code")
        if f.format:
            note(on_present(present, bad_format(f.format, checked)), f.name, "format")
    key = list(contract.primary_key)
    note(frame.duplicated(key, keep="first").to_numpy(), ",".join(key), "duplicate_key")
    if not found:
        return pd.DataFrame({"row_number": pd.Series(dtype=int), "column": pd.Series(dtype=str), "rule": pd.Series(dtype=str)})
    return pd.concat(found, ignore_index=True).sort_values(["row_number", "column"], ignore_index=True)


def read_extract(path) -> pd.DataFrame:
    """Read a landed CSV as text, keeping '' for missing values."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
