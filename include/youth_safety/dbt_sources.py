"""dbt source YAML rendered from the extract contracts.

One file per agency at ``models/staging/<source>/_<source>__sources.yml``. The files are
committed; ``write_sources()`` regenerates them and ``stale_sources()`` reports drift.
Each table's meta carries its delivery mode and primary key, which the staging macro
``latest_rows`` reads to deduplicate.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from youth_safety.config import DBT_PROJECT_DIR, REPO_ROOT, SOURCES
from youth_safety.contracts import Contract, contracts_for
from youth_safety.privacy.layout import WarehouseColumn, warehouse_columns
from youth_safety.warehouse import LOAD_METADATA_COLUMNS, raw_schema

HEADER = "# Generated from the extract contracts by youth_safety.dbt_sources.write_sources(); do not edit.\n"

LOAD_METADATA_DESCRIPTIONS = {
    "_load_id": "Id of the file load that inserted the row (audit.file_loads.load_id)",
    "_file_name": "Name of the delivered file the row came from",
    "_file_checksum": "Checksum of the delivered file",
    "_source_row_number": "Position of the row within the delivered file",
    "_loaded_at": "When the row was loaded into the raw layer",
}


def sources_path(source: str) -> Path:
    return DBT_PROJECT_DIR / "models" / "staging" / source / f"_{source}__sources.yml"


def _column(column: WarehouseColumn) -> dict:
    meta = {"privacy": column.privacy, "type": column.type}
    if column.codes:
        meta["codes"] = column.codes
    if column.treatment != "keep":
        meta["pseudonymised_from"] = column.source_field
    return {"name": column.name, "description": column.description, "config": {"meta": meta}}


def _table(contract: Contract) -> dict:
    description = (
        f"{contract.title}, from the {contract.system}. "
        f"Delivery: {contract.delivery}. {contract.delivery_notes}"
    )
    metadata = [{"name": name, "description": LOAD_METADATA_DESCRIPTIONS[name]} for name in LOAD_METADATA_COLUMNS]
    return {
        "name": contract.extract,
        "description": description,
        "config": {
            "meta": {
                "contract": contract.path.relative_to(REPO_ROOT).as_posix(),
                "delivery": contract.delivery,
                "primary_key": list(contract.primary_key),
            }
        },
        "columns": [_column(c) for c in warehouse_columns(contract)] + metadata,
    }


def render_sources(source: str) -> str:
    """The dbt source YAML for one agency's raw schema."""
    document = {
        "version": 2,
        "sources": [
            {
                "name": source,
                "description": f"Raw {source} extracts as delivered, pseudonymised on arrival (identifiers as tokens, names in the "
                               "identity vault only): every value text, plus load metadata.",
                "schema": raw_schema(source),
                "tables": [_table(c) for c in contracts_for(source)],
            }
        ],
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=True)


def write_sources() -> list[Path]:
    """Write every agency's source YAML; returns the paths written."""
    written = []
    for source in SOURCES:
        path = sources_path(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_sources(source))
        written.append(path)
    return written


def stale_sources() -> list[Path]:
    """Source YAML files that are missing or differ from what the contracts render."""
    return [
        sources_path(s)
        for s in SOURCES
        if not sources_path(s).exists() or sources_path(s).read_text() != render_sources(s)
    ]
