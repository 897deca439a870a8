"""One Great Expectations suite per extract, derived from its contract, kept as reviewable JSON.

``expectations/<source>.<extract>.json`` is what the gate runs; ``write_suites`` makes
them from the contracts (with the code lists, the GDPR register's retention periods and
the row rules of ``quality.row_rules``) and ``stale_suites`` says which differ. Every
expectation carries ``meta`` {rule_code, column, message} so a failure maps back to the
catalogue in ``quality.rules``.

Run-time values: the night the file was sent is the suite parameter ``night`` (ISO date,
given at validation); retention periods are written into the suite from the register;
context columns (``_ctx_*``) are read from the validated frame like any column.
"""

from __future__ import annotations

import json
from pathlib import Path

import great_expectations as gx
from great_expectations.expectations import (
    ExpectColumnValueLengthsToBeBetween,
    ExpectColumnValuesToBeInSet,
    ExpectColumnValuesToNotBeNull,
    ExpectColumnValuesToNotMatchRegex,
)
from great_expectations.expectations.expectation import Expectation

from youth_safety.config import EXPECTATIONS_DIR
from youth_safety.contracts import Contract, Field, all_contracts
from youth_safety.governance.register import register
from youth_safety.quality.expectations import (
    ExpectColumnValuesToBeJsonListsInSet,
    ExpectColumnValuesToMatchFieldFormat,
    ExpectColumnValuesToMatchFieldType,
    ExpectColumnValuesToPassRowRule,
    ExpectRowsToPassRowRule,
)
from youth_safety.quality.row_rules import ROW_RULES
from youth_safety.quality.rules import rule

NIGHT = {"$PARAMETER": "night"}
FORMULA_START = r"^[=+\-@]"
MAX_TEXT_LENGTH = 255
FORMAT_RULES = {
    "upn": "FMT-UPN", "nhs_number": "FMT-NHS", "pnc_id": "FMT-PNC",
    "postcode": "FMT-POSTCODE", "lsoa": "FMT-LSOA", "academic_year": "FMT-ACYEAR",
}


class SuiteError(ValueError):
    """A committed suite is missing or cannot be read."""


def _meta(code: str, column: str | None) -> dict:
    return {"rule_code": code, "column": column, "message": rule(code).message}


def _field_expectations(f: Field) -> list[Expectation]:
    """CON-REQ, CON-TYPE, CON-CODE, FMT-* and TXT-* of one field."""
    found = []
    if f.required:
        found.append(ExpectColumnValuesToNotBeNull(column=f.name, meta=_meta("CON-REQ", f.name)))
    if f.type != "string":
        found.append(ExpectColumnValuesToMatchFieldType(column=f.name, field_type=f.type, meta=_meta("CON-TYPE", f.name)))
    if f.codes:
        codes = sorted(f.allowed_values)
        in_set = ExpectColumnValuesToBeJsonListsInSet if f.type == "json_array" else ExpectColumnValuesToBeInSet
        found.append(in_set(column=f.name, value_set=codes, meta=_meta("CON-CODE", f.name)))
    if f.format:
        found.append(ExpectColumnValuesToMatchFieldFormat(column=f.name, field_format=f.format, meta=_meta(FORMAT_RULES[f.format], f.name)))
    free_text = f.type == "string" and not (f.codes or f.format)  # a code or identifier is judged by its list or format
    if free_text:
        found.append(ExpectColumnValuesToNotMatchRegex(column=f.name, regex=FORMULA_START, meta=_meta("TXT-FORMULA", f.name)))
    if free_text or f.type == "json_array":
        found.append(ExpectColumnValueLengthsToBeBetween(column=f.name, max_value=MAX_TEXT_LENGTH, meta=_meta("TXT-LENGTH", f.name)))
    return found


def _row_rule_expectations(contract: Contract) -> list[Expectation]:
    """One expectation per place each row rule applies, with the parameters it takes."""
    params = {
        "night": NIGHT,
        "retention_years": register()[contract.source].retention_years,
        "key": list(contract.primary_key),
    }
    found = []
    for code, row_rule in ROW_RULES.items():
        for target in row_rule.targets(contract):
            kwargs = {"rule": code, "meta": _meta(code, target.column), **{p: params[p] for p in row_rule.params}}
            if len(target.columns) == 1:
                found.append(ExpectColumnValuesToPassRowRule(column=target.columns[0], **kwargs))
            else:
                found.append(ExpectRowsToPassRowRule(column_list=list(target.columns), **kwargs))
    return found


def build_suite(contract: Contract) -> gx.ExpectationSuite:
    """The suite the contract gives (not the committed one: see ``load_suite``)."""
    expectations = [e for f in contract.fields for e in _field_expectations(f)] + _row_rule_expectations(contract)
    return gx.ExpectationSuite(name=contract.name, expectations=expectations)


def suite_path(contract: Contract) -> Path:
    return EXPECTATIONS_DIR / f"{contract.name}.json"


def suite_json(contract: Contract) -> str:
    """The suite as stable JSON: sorted keys, indent 2, final newline."""
    return json.dumps(build_suite(contract).to_json_dict(), indent=2, sort_keys=True) + "\n"


def _orphans() -> list[Path]:
    known = {suite_path(c) for c in all_contracts()}
    return [p for p in sorted(EXPECTATIONS_DIR.glob("*.json")) if p not in known]


def write_suites() -> list[Path]:
    """Write every extract's suite from its contract; remove suites of extracts no longer contracted."""
    EXPECTATIONS_DIR.mkdir(parents=True, exist_ok=True)
    for orphan in _orphans():
        orphan.unlink()
    written = []
    for contract in all_contracts():
        path = suite_path(contract)
        path.write_text(suite_json(contract))
        written.append(path)
    return written


def stale_suites() -> list[str]:
    """Suites whose committed JSON is missing, differs from what the contracts give, or has no contract."""
    stale = [c.name for c in all_contracts() if not suite_path(c).exists() or suite_path(c).read_text() != suite_json(c)]
    return stale + [p.stem for p in _orphans()]


def load_suite(contract: Contract) -> gx.ExpectationSuite:
    """The committed suite of an extract, as it will run."""
    path = suite_path(contract)
    try:
        raw = json.loads(path.read_text())
        suite = gx.ExpectationSuite(**raw)
    except FileNotFoundError:
        raise SuiteError(f"{path}: no suite for {contract.name}; run write_suites()") from None
    except ValueError as error:  # bad JSON, or an expectation GX refuses
        raise SuiteError(f"{path}: not a readable suite: {error}") from None
    if len(suite.expectations) != len(raw["expectations"]):  # GX skips (and logs) an unknown expectation type
        raise SuiteError(f"{path}: {len(raw['expectations']) - len(suite.expectations)} expectation(s) of an unknown type")
    return suite
