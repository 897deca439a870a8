"""Extract contracts: the one machine-readable list of every extract's columns.

Each ``<source>/<extract>.yml`` beside this file describes one file an agency sends.
Raw-table DDL, dbt sources, quality suites and pseudonymisation rules are all derived
from these objects; nothing else lists columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from youth_safety.config import CODES_DIR, CONTRACTS_DIR, SOURCES

FIELD_TYPES = ("string", "integer", "decimal", "date", "boolean", "json_array")
PRIVACY_CLASSES = ("direct_identifier", "quasi_identifier", "special_category", "none")
DELIVERY_MODES = ("full_snapshot", "delta")
FORMATS = ("upn", "nhs_number", "pnc_id", "postcode", "lsoa", "academic_year")
BOOLEAN_VALUES = ("Y", "N")
DATE_FORMAT = "%Y-%m-%d"


class ContractError(ValueError):
    """A contract file is malformed."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    privacy: str
    description: str
    codes: str | None = None
    format: str | None = None
    identifies: str | None = None
    namespace: str | None = None  # agency ids: whose numbering the id belongs to (default: the field name)

    @property
    def id_namespace(self) -> str:
        """The namespace an agency id is tokenised in: fields sharing it share tokens."""
        return self.namespace or self.name

    @property
    def allowed_values(self) -> frozenset[str] | None:
        """The code list this field draws from, read from its dbt seed."""
        return code_list(self.codes) if self.codes else None


@dataclass(frozen=True)
class Contract:
    source: str
    extract: str
    title: str
    system: str
    delivery: str
    delivery_notes: str
    primary_key: tuple[str, ...]
    fields: tuple[Field, ...]
    path: Path
    record_date: str | None = None  # the event date retention and age scope are judged on
    borough_only: bool = False  # records of people living outside the borough are out of scope

    @property
    def name(self) -> str:
        return f"{self.source}.{self.extract}"

    @property
    def dob_field(self) -> str | None:
        return next((f.name for f in self.fields if f.identifies == "dob"), None)

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    def file_name(self, night: str) -> str:
        """The file name an agency uses for the extract of one night (YYYY-MM-DD)."""
        return f"{self.extract}_{night.replace('-', '')}.csv"


def _field(raw: dict, where: Path) -> Field:
    unknown = set(raw) - {"name", "type", "required", "privacy", "description", "codes", "format", "identifies", "namespace"}
    if unknown:
        raise ContractError(f"{where}: field {raw.get('name')!r} has unknown keys {sorted(unknown)}")
    f = Field(
        name=raw["name"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        privacy=raw["privacy"],
        description=raw["description"],
        codes=raw.get("codes"),
        format=raw.get("format"),
        identifies=raw.get("identifies"),
        namespace=raw.get("namespace"),
    )
    if f.type not in FIELD_TYPES:
        raise ContractError(f"{where}: field {f.name!r} has unknown type {f.type!r}")
    if f.privacy not in PRIVACY_CLASSES:
        raise ContractError(f"{where}: field {f.name!r} has unknown privacy class {f.privacy!r}")
    if f.format and f.format not in FORMATS:
        raise ContractError(f"{where}: field {f.name!r} has unknown format {f.format!r}")
    if f.namespace and f.identifies != "agency_id":
        raise ContractError(f"{where}: field {f.name!r} has a namespace but is not an agency id")
    if f.codes and not (CODES_DIR / f"{f.codes}.csv").exists():
        raise ContractError(f"{where}: field {f.name!r} names code list {f.codes!r} with no seed")
    return f


def load_contract(path: Path) -> Contract:
    raw = yaml.safe_load(path.read_text())
    fields = tuple(_field(f, path) for f in raw["fields"])
    contract = Contract(
        source=raw["source"],
        extract=raw["extract"],
        title=raw["title"],
        system=raw["system"],
        delivery=raw["delivery"],
        delivery_notes=" ".join(str(raw.get("delivery_notes", "")).split()),
        primary_key=tuple(raw["primary_key"]),
        fields=fields,
        path=path,
        record_date=raw.get("record_date"),
        borough_only=bool(raw.get("borough_only", False)),
    )
    names = contract.columns
    if len(set(names)) != len(names):
        raise ContractError(f"{path}: duplicate field names")
    if contract.delivery not in DELIVERY_MODES:
        raise ContractError(f"{path}: unknown delivery mode {contract.delivery!r}")
    if missing := set(contract.primary_key) - set(names):
        raise ContractError(f"{path}: primary key names unknown fields {sorted(missing)}")
    if contract.record_date and contract.field(contract.record_date).type != "date":
        raise ContractError(f"{path}: record_date {contract.record_date!r} must name a date field")
    if contract.borough_only and not any(f.format == "postcode" for f in fields):
        raise ContractError(f"{path}: borough_only needs a postcode field")
    if path.stem != contract.extract or path.parent.name != contract.source:
        raise ContractError(f"{path}: file must be <source>/<extract>.yml")
    return contract


@cache
def all_contracts() -> tuple[Contract, ...]:
    """Every contract, ordered by source (as in SOURCES) then extract name."""
    found = [load_contract(p) for p in sorted(CONTRACTS_DIR.glob("*/*.yml"))]
    unknown = {c.source for c in found} - set(SOURCES)
    if unknown:
        raise ContractError(f"contracts for unknown sources: {sorted(unknown)}")
    return tuple(sorted(found, key=lambda c: (SOURCES.index(c.source), c.extract)))


def contracts_for(source: str) -> tuple[Contract, ...]:
    return tuple(c for c in all_contracts() if c.source == source)


def get_contract(source: str, extract: str) -> Contract:
    for c in all_contracts():
        if c.source == source and c.extract == extract:
            return c
    raise KeyError(f"no contract for {source}.{extract}")


@cache
def code_list(name: str) -> frozenset[str]:
    """Allowed codes of a code list, kept once as a dbt seed."""
    with open(CODES_DIR / f"{name}.csv", newline="") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))
