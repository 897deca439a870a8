"""Great Expectations Data Docs of a night's validations, with no raw identifier values.

The results are stored in a File Data Context under ``<home>/gx/`` and rendered as the
site ``night`` under ``<home>/reports/data-docs/``; each night adds its files' results
(run name = the night, YYYY-MM-DD; batch = the landed file's name) and rebuilds the site.
``redact`` is applied by ``quality.validate`` to every result before it is kept: only the
first unexpected values are kept, values of direct-identifier columns are withheld, and
indexes become the file's row numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import great_expectations as gx
import numpy as np
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from youth_safety.config import Settings
from youth_safety.contracts import Contract
from youth_safety.quality.suites import load_suite

if TYPE_CHECKING:
    from youth_safety.quality.validate import Validation

SITE = "night"
WITHHELD = "(withheld)"
COMPLETE_ONLY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")


def data_docs_dir(settings: Settings) -> Path:
    return settings.reports_dir / "data-docs"


def _withhold(value, columns: list[str], identifiers: set[str]):
    """An unexpected value with identifier values withheld: a value, or a row as a dict or a list."""
    if isinstance(value, dict):
        return {k: WITHHELD if k in identifiers else v for k, v in value.items()}
    if len(columns) > 1:
        return [WITHHELD if c in identifiers else v for c, v in zip(columns, value)]
    return WITHHELD if columns[0] in identifiers else value


def redact(contract: Contract, result: ExpectationSuiteValidationResult, row_numbers: np.ndarray) -> None:
    """Make a COMPLETE result fit for Data Docs, in place (see the module docstring)."""
    identifiers = {f.name for f in contract.fields if f.privacy == "direct_identifier"}
    for outcome in result.results:
        kwargs = outcome.expectation_config.kwargs
        columns = kwargs.get("column_list") or [kwargs.get("column")]
        found = outcome.result
        for key in COMPLETE_ONLY:
            found.pop(key, None)
        if "partial_unexpected_list" in found:
            found["partial_unexpected_list"] = [_withhold(v, columns, identifiers) for v in found["partial_unexpected_list"]]
        if "partial_unexpected_counts" in found:
            found["partial_unexpected_counts"] = [
                {**c, "value": _withhold(c["value"], columns, identifiers)} for c in found["partial_unexpected_counts"]
            ]
        if "partial_unexpected_index_list" in found:
            found["partial_unexpected_index_list"] = [int(row_numbers[i]) for i in found["partial_unexpected_index_list"]]


def _context(settings: Settings):
    """The File Data Context under <home>/gx/, with the one site writing to <home>/reports/data-docs/."""
    context = gx.get_context(mode="file", project_root_dir=settings.home)
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs_dir(settings))},
    }
    context.variables.data_docs_sites = {SITE: site}
    context.variables.save()
    return context


def build_data_docs(settings: Settings, night: date, validations: Iterable[tuple[str, Validation]]) -> Path:
    """Store the night's results, keyed by landed file (a name or a path), and render them into the site.

    Each result's meta gets the night's run and the file's name (what its page shows). Only the
    night's results, their suites and the index are rendered (earlier nights' pages stay as they
    were), so a night costs the same in the first week as after years; a site with no index yet
    is rendered whole. Returns the site's index page.
    """
    context = _context(settings)
    validations = list(validations)
    contracts = {v.contract for _, v in validations}
    for contract in contracts:
        context.suites.add_or_update(load_suite(contract))
    run_id = RunIdentifier(run_name=night.isoformat(), run_time=datetime.combine(night, time(), timezone.utc))
    rendered: list = [ExpectationSuiteIdentifier(name=contract.name) for contract in contracts]
    for file, validation in validations:
        name = Path(file).name
        validation.result.meta.update(run_id=run_id.to_json_dict(), batch_spec={"data_asset_name": name})
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=validation.contract.name), run_id, name)
        context.validation_results_store.set(key, validation.result)
        rendered.append(key)
    index = data_docs_dir(settings) / "index.html"
    context.build_data_docs(site_names=[SITE], resource_identifiers=rendered if index.exists() else None)
    return index
