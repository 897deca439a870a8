"""The custom Great Expectations expectations the suites use (pandas only).

Column expectations apply the contract's value checks in ``quality.conformance`` to the
present values of a column (GX leaves missing values to CON-REQ). Two generic expectations
run any rule of ``quality.row_rules`` by its catalogue code: one for rules reading one
column (GX's multicolumn domain needs two), one for rules reading several. Importing this
module registers them with GX.
"""

from __future__ import annotations

from datetime import date
from typing import List, Literal, Optional, Union

from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, MulticolumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)

from youth_safety.contracts import FIELD_TYPES, FORMATS
from youth_safety.quality.conformance import bad_code, bad_format, bad_type
from youth_safety.quality.row_rules import PARAMS, ROW_RULES, row_fails

ROW_RULE_KEYS = ("rule", *PARAMS)


class ColumnValuesConformToField(ColumnMapMetricProvider):
    """A value check of the contract on present values: its type, its format, or its JSON list's codes."""

    condition_metric_name = "column_values.conform_to_field"
    condition_value_keys = ("field_type", "field_format", "value_set")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, field_type=None, field_format=None, value_set=None, **kwargs):
        if field_format:
            return ~bad_format(field_format, column)
        if value_set is not None:
            return ~bad_code("json_array", frozenset(value_set), column)
        return ~bad_type(field_type, column)


class ExpectColumnValuesToMatchFieldType(ColumnMapExpectation):
    """CON-TYPE: values are of the contract type (date as YYYY-MM-DD, whole number, decimal, Y/N, JSON list)."""

    field_type: Literal[FIELD_TYPES]
    map_metric = "column_values.conform_to_field"
    success_keys = ("field_type", "mostly")


class ExpectColumnValuesToMatchFieldFormat(ColumnMapExpectation):
    """FMT-*: values pass the identifier's check in ``youth_safety.identifiers`` (UPN, NHS number ...)."""

    field_format: Literal[FORMATS]
    map_metric = "column_values.conform_to_field"
    success_keys = ("field_format", "mostly")


class ExpectColumnValuesToBeJsonListsInSet(ColumnMapExpectation):
    """CON-CODE on a JSON list: every code of the list is in the set (a value that is not a list is CON-TYPE's)."""

    value_set: List[str]
    map_metric = "column_values.conform_to_field"
    success_keys = ("value_set", "mostly")


class RowRuleParameters(pydantic.BaseModel):
    """What a row-rule expectation passes to its rule.

    ``rule`` is the catalogue code; ``night`` (ISO date, in the suites the suite parameter
    ``{"$PARAMETER": "night"}``), ``retention_years`` and ``key`` go to the rules taking them.
    """

    rule: str
    night: Union[str, SuiteParameterDict, None] = None
    retention_years: Optional[int] = None
    key: Optional[List[str]] = None

    @pydantic.validator("rule")
    def _known_rule(cls, code: str) -> str:
        if code not in ROW_RULES:
            raise ValueError(f"no row rule {code!r}; known: {', '.join(ROW_RULES)}")
        return code


def _row_rule_passes(frame, rule, night, retention_years, key):
    night = date.fromisoformat(night) if night else None
    return ~row_fails(rule, frame, night=night, retention_years=retention_years, key=key)


class ColumnValuesPassRowRule(ColumnMapMetricProvider):
    condition_metric_name = "column_values.pass_row_rule"
    condition_value_keys = ROW_RULE_KEYS

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, rule, night=None, retention_years=None, key=None, **kwargs):
        return _row_rule_passes(column.to_frame(), rule, night, retention_years, key)


class ExpectColumnValuesToPassRowRule(ColumnMapExpectation, RowRuleParameters):
    """A row rule of ``quality.row_rules`` that reads one column (missing values pass)."""

    map_metric = "column_values.pass_row_rule"
    success_keys = (*ROW_RULE_KEYS, "mostly")


class RowsPassRowRule(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.pass_row_rule"
    condition_value_keys = ROW_RULE_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, rule, night=None, retention_years=None, key=None, **kwargs):
        return _row_rule_passes(column_list, rule, night, retention_years, key)


class ExpectRowsToPassRowRule(MulticolumnMapExpectation, RowRuleParameters):
    """A row rule of ``quality.row_rules`` that reads several columns (every row is judged)."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "multicolumn_values.pass_row_rule"
    success_keys = (*ROW_RULE_KEYS, "mostly")
