"""Identifier scanner: prove that what analysts can reach holds no direct identifier.

The generator's ground truth says which identifiers exist (:func:`known_identifiers`);
:func:`scan` looks for them in every VARCHAR and DATE column of every table and view in
the warehouse schemas in scope, and in every report file. Values are compared after
trimming surrounding whitespace and upper-casing (so ``" jane smith"`` still counts).
Results carry counts only, never the values found: the scanner's output must not leak.
"""

from __future__ import annotations

import html
import re
import time
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import duckdb
import pandas as pd

from youth_safety.config import Settings
from youth_safety.contracts import Contract, all_contracts
from youth_safety.privacy.layout import LINKED_ROLES

KINDS = ("name", "upn", "nhs_number", "pnc_id", "dob", "postcode", "agency_id")
# Identifiers are pseudonymised before anything is written, so every schema of the warehouse
# is in scope (the vault is a separate file) except the dbt seeds' reference lists: the
# borough's postcode lookup lists every postcode but is about no one.
EXCLUDED_SCHEMAS = ("codes", "reference")
ALL_SCHEMAS = ("*",)
REPORT_SUFFIXES = (".html", ".csv", ".json", ".txt")
REPORTS_PLACE = "reports"
MIN_LENGTH = 5
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
# Contract roles that are direct identifiers of a child, by kind (forename + surname make a name).
ROLE_KINDS = {"upn": "upn", "nhs_number": "nhs_number", "pnc_id": "pnc_id", "dob": "dob",
              "postcode": "postcode", "agency_id": "agency_id"}
# ssd_linked_identifiers.link_identifier_type; any other type (NINO, CASE) counts as an agency id.
LINK_KINDS = {kind: role for kind, (role, _) in LINKED_ROLES.items() if role in ("upn", "nhs_number", "pnc_id")}
DOB_COLUMN = re.compile(r"dob|birth", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z0-9]+(?:['/-][A-Za-z0-9]+)*")
TAG = re.compile(r"<[^>]*>")


class ScanError(RuntimeError):
    """The warehouse, the ground truth or a relation in scope cannot be read."""


@dataclass(frozen=True)
class Hit:
    """``count`` values of one identifier kind in one column (place: ``schema.relation``) or
    one report file (place: ``reports``, column: the file's path under the reports folder)."""

    place: str
    column: str
    kind: str
    count: int


@dataclass(frozen=True)
class ScanResult:
    """What a scan found (never the values), how much it scanned and how long it took."""

    hits: tuple[Hit, ...]
    relations: int
    report_files: int
    identifiers: int
    seconds: float

    @property
    def clean(self) -> bool:
        return not self.hits


def _frame(kind: str, values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"kind": kind, "value": values.astype(str)})


def _identifier_columns(contract: Contract) -> list[str]:
    """The columns to read of an extract: its direct identifiers and what says a linked identifier's kind."""
    wanted = {f.name for f in contract.fields if f.privacy == "direct_identifier"}
    return [c for c in contract.columns if c in wanted or c == "link_identifier_type"]


def _landed_identifiers(contract: Contract, frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The direct identifiers of one landed extract, by kind."""
    found = [_frame(ROLE_KINDS[f.identifies], frame[f.name]) for f in contract.fields
             if f.privacy == "direct_identifier" and f.identifies in ROLE_KINDS]
    roles = {f.identifies: f.name for f in contract.fields if f.identifies}
    if "forename" in roles and "surname" in roles:
        found.append(_frame("name", frame[roles["forename"]].str.strip() + " " + frame[roles["surname"]].str.strip()))
    if "linked_identifier" in roles:
        kinds = frame["link_identifier_type"].map(LINK_KINDS).fillna("agency_id")
        found.append(pd.DataFrame({"kind": kinds, "value": frame[roles["linked_identifier"]]}))
    return found


def _truth_identifiers(settings: Settings) -> list[pd.DataFrame]:
    persons = pd.read_parquet(settings.truth_dir / "persons.parquet", columns=["forename", "surname", "nhs_number", "dob"])
    return [_frame("name", persons["forename"] + " " + persons["surname"]),
            _frame("nhs_number", persons["nhs_number"]),
            _frame("dob", persons["dob"])]


def known_identifiers(settings: Settings) -> pd.DataFrame:
    """Every direct identifier the generator produced, as (kind, value), values trimmed and upper-cased.

    From the landed files' direct-identifier columns (by contract) and the truth persons.
    Values under ``MIN_LENGTH`` characters are dropped; DOBs only as full ISO dates. Each
    value appears once, under the first of its kinds in ``KINDS`` (a UPN that an agency
    also filed as another identifier counts as a UPN).
    """
    parts = _truth_identifiers(settings)
    for contract in all_contracts():
        for path in sorted(settings.landing_dir.glob(f"{contract.source}/*/{contract.extract}_*.csv")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=_identifier_columns(contract))
            parts += _landed_identifiers(contract, frame)
    found = pd.concat(parts, ignore_index=True).drop_duplicates()
    found["value"] = found["value"].str.strip().str.upper()
    keep = found["value"].str.len().ge(MIN_LENGTH) & (found["kind"].ne("dob") | found["value"].str.match(ISO_DATE))
    found = found[keep].sort_values("kind", key=lambda kind: kind.map(KINDS.index), kind="stable")
    return found.drop_duplicates("value").reset_index(drop=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_scope(schema: str, schemas: tuple[str, ...] | None) -> bool:
    if schemas is None:
        return not any(fnmatch(schema, pattern) for pattern in EXCLUDED_SCHEMAS)
    return any(fnmatch(schema, pattern) for pattern in schemas)


def _columns(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] | None) -> dict[tuple[str, str], list[str]]:
    """Every table and view in scope, with its VARCHAR and DATE columns (possibly none)."""
    rows = con.execute("""
        select schema_name, table_name, column_name, data_type from duckdb_columns() where database_name = 'wh'
        union all
        select schema_name, table_name, null, null from duckdb_tables() where database_name = 'wh'
        union all
        select schema_name, view_name, null, null from duckdb_views() where database_name = 'wh' and not internal
    """).fetchall()
    found: dict[tuple[str, str], list[str]] = {}
    for schema, relation, column, data_type in rows:
        if _in_scope(schema, schemas):
            columns = found.setdefault((schema, relation), [])
            if data_type in ("VARCHAR", "DATE"):
                columns.append(column)
    return found


def _relation_hits(con: duckdb.DuckDBPyConnection, schema: str, relation: str, columns: list[str]) -> list[Hit]:
    """Count exact matches per column and kind: unpivot the columns, then one hash join with the identifiers.

    DATE columns are compared as ISO text. Nearly every date is somebody's birthday, so DOB
    matches count only in columns named as a birth date (``DOB_COLUMN``).
    """
    place = f"{schema}.{relation}"
    select = ", ".join(f"cast({_quote(c)} as varchar) as {_quote(c)}" for c in columns)
    try:
        rows = con.execute(f"""
            select u.column_name, ids.kind, count(*)
            from (unpivot (select {select} from wh.{_quote(schema)}.{_quote(relation)})
                  on columns(*) into name column_name value v) as u
            join ids on upper(trim(u.v)) = ids.value
            group by all
        """).fetchall()
    except duckdb.Error as exc:
        raise ScanError(f"cannot scan {place}: {exc}") from exc
    return [Hit(place, column, kind, n) for column, kind, n in rows if kind != "dob" or DOB_COLUMN.search(column)]


def _words(path: Path) -> list[str]:
    """A report's words, upper-cased, with HTML tags and entities undone."""
    text = path.read_text(errors="replace")
    if path.suffix == ".html":
        text = html.unescape(TAG.sub(" ", text))
    return WORD.findall(text.upper())


def _file_hits(path: Path, lookup: dict[str, str], longest: int) -> Counter:
    """Count identifiers in a file's text without a substring search per identifier.

    Every run of 1..``longest`` consecutive words, joined by one space, is a candidate
    looked up in a hash set of the identifiers: linear in the text, independent of how
    many identifiers there are. An identifier is found when it stands as whole words,
    whatever punctuation, markup or spacing surrounds or separates its words. Dates are
    not looked for: in free text a DOB cannot be told from any other date.
    """
    words = _words(path)
    counts: Counter = Counter()
    for start in range(len(words)):
        for end in range(start + 1, min(start + longest, len(words)) + 1):
            kind = lookup.get(" ".join(words[start:end]))
            if kind:
                counts[kind] += 1
    return counts


def _report_hits(settings: Settings, identifiers: pd.DataFrame) -> tuple[list[Hit], int]:
    files = sorted(p for p in settings.reports_dir.rglob("*") if p.is_file() and p.suffix in REPORT_SUFFIXES)
    wanted = identifiers[identifiers["kind"].ne("dob")]
    lookup = dict(zip(wanted["value"], wanted["kind"]))
    longest = max(len(WORD.findall(value)) for value in lookup)
    hits = [Hit(REPORTS_PLACE, str(path.relative_to(settings.reports_dir)), kind, n)
            for path in files for kind, n in sorted(_file_hits(path, lookup, longest).items())]
    return hits, len(files)


def _warehouse_hits(settings: Settings, identifiers: pd.DataFrame, schemas: tuple[str, ...] | None) -> tuple[list[Hit], int]:
    """Scan the warehouse, opened read-only, from an in-memory connection holding the identifiers."""
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute("attach '{}' as wh (read_only)".format(str(settings.warehouse_path).replace("'", "''")))
        con.register("identifiers", identifiers)
        con.execute("create temp table ids as select kind, value from identifiers")
        relations = _columns(con, schemas)
        hits = [hit for (schema, relation), columns in sorted(relations.items()) if columns
                for hit in _relation_hits(con, schema, relation, columns)]
    return hits, len(relations)


def scan(settings: Settings, schemas: tuple[str, ...] | None = None, report_files: bool = True) -> ScanResult:
    """Look for every known direct identifier in the warehouse and (unless told not to) the report files.

    ``schemas``: glob patterns of the schemas to scan; ``None`` means every schema except
    ``EXCLUDED_SCHEMAS`` (the seeds' ``codes`` and ``reference`` lists), ``ALL_SCHEMAS`` means every one.
    """
    began = time.monotonic()
    if not settings.warehouse_path.exists():
        raise ScanError(f"no warehouse at {settings.warehouse_path}")
    if not (settings.truth_dir / "persons.parquet").exists():
        raise ScanError(f"no ground truth at {settings.truth_dir}: generate the data first")
    identifiers = known_identifiers(settings)
    hits, relations = _warehouse_hits(settings, identifiers, schemas)
    files = 0
    if report_files:
        file_hits, files = _report_hits(settings, identifiers)
        hits += file_hits
    return ScanResult(tuple(sorted(hits, key=lambda h: (h.place, h.column, h.kind))), relations, files,
                      len(identifiers), time.monotonic() - began)
