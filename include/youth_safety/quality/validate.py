"""Validate one landed frame against its committed suite: which rows break which rules.

One GX validation per frame (pandas, COMPLETE result format); each unexpected index maps
back to the frame's ``_source_row_number``. The GX context, data source and asset are made
once per process. The result kept for Data Docs holds no raw value of a direct identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.validator.v1_validator import Validator

from youth_safety.contracts import Contract
from youth_safety.quality.data_docs import redact
from youth_safety.quality.row_rules import context_columns
from youth_safety.quality.suites import load_suite

ROW_NUMBER = "_source_row_number"
VIOLATION_COLUMNS = ("row_number", "rule_code", "column")  # severity is the gate's to decide


class ExpectationError(RuntimeError):
    """An expectation could not be evaluated (a bug or a malformed suite, not bad data)."""


@dataclass(frozen=True)
class Validation:
    """The night's verdict on one frame: violations per row, and the GX result for Data Docs."""

    contract: Contract
    violations: pd.DataFrame
    result: ExpectationSuiteValidationResult  # identifiers withheld, row numbers as in the file


@cache
def _batch_definition() -> BatchDefinition:
    """An ephemeral GX context with one pandas asset whose batch is a whole DataFrame."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("landed").add_dataframe_asset("extract")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


@cache
def _suite(contract: Contract) -> gx.ExpectationSuite:
    return load_suite(contract)


def _check_columns(contract: Contract, frame: pd.DataFrame) -> None:
    missing = [c for c in [*contract.columns, ROW_NUMBER, *context_columns(contract)] if c not in frame.columns]
    if missing:
        raise ValueError(f"{contract.name}: the frame to validate lacks columns {missing}")


def _raised(info: dict) -> str | None:
    """The exception message GX caught while evaluating an expectation, if any."""
    if "raised_exception" in info:
        return info["exception_message"] if info["raised_exception"] else None
    return next((m for m in map(_raised, info.values()) if m), None)


def _violations(contract: Contract, result: ExpectationSuiteValidationResult, row_numbers: np.ndarray) -> pd.DataFrame:
    found = []
    for outcome in result.results:
        meta = outcome.expectation_config.meta
        if message := _raised(outcome.exception_info or {}):
            raise ExpectationError(f"{contract.name}: {meta['rule_code']} on {meta['column']}: {message}")
        if outcome.success:
            continue
        rows = row_numbers[np.asarray(outcome.result["unexpected_index_list"], dtype=int)]
        found.append(pd.DataFrame({"row_number": rows, "rule_code": meta["rule_code"], "column": meta["column"]}))
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=int if c == "row_number" else object) for c in VIOLATION_COLUMNS})
    return pd.concat(found, ignore_index=True).sort_values(["row_number", "rule_code"], kind="stable", ignore_index=True)


def validate(contract: Contract, frame: pd.DataFrame, night: date) -> Validation:
    """Validate a frame (contract columns as text or None, ``_source_row_number``, ``_ctx_*``)."""
    _check_columns(contract, frame)
    row_numbers = frame[ROW_NUMBER].to_numpy(dtype=int)
    frame = frame[[*contract.columns, *context_columns(contract)]].reset_index(drop=True)
    # GX's own Validator (what Batch.validate and ValidationDefinition.run use) loads the batch
    # once; Batch.validate would load it, and fingerprint the frame, a second time.
    validator = Validator(_batch_definition(), result_format={"result_format": "COMPLETE"}, batch_parameters={"dataframe": frame})
    result = validator.validate_expectation_suite(_suite(contract), expectation_parameters={"night": night.isoformat()})
    violations = _violations(contract, result, row_numbers)
    redact(contract, result, row_numbers)
    return Validation(contract, violations, result)


def validate_rows(contract: Contract, frame: pd.DataFrame, night: date) -> pd.DataFrame:
    """Violations in a frame: row_number, rule_code and column (or None)."""
    return validate(contract, frame, night).violations
