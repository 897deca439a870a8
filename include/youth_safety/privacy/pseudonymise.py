"""Split a gated file's rows into what the warehouse may hold and what only the vault holds.

``pseudonymise`` runs on the accepted rows of a file, in memory, before anything is
written: the warehouse gets the layout of ``privacy.layout`` (tokens, year-month of
birth, age at the record date, postcode district and LSOA); the vault gets each token's
identifier, and for person-bearing extracts the agency person record (names, DOB, sex,
postcode) with its shared identifiers for linkage.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from youth_safety.config import REFERENCE_DIR
from youth_safety.contracts import Contract
from youth_safety.privacy.layout import (
    LINKED_ROLES,
    UNKNOWN_LINKED_ROLE,
    entity,
    person_bearing,
    person_reference,
    token_role,
    warehouse_columns,
)
from youth_safety.privacy.tokens import normalise, tokenise_with_text

LINKING_KINDS = ("upn", "nhs_number", "pnc_id")
IDENTIFIER_COLUMNS = ["role", "token", "value"]
RECORD_IDENTIFIER_COLUMNS = ["source", "entity", "record_key", "role", "value"]
PERSON_RECORD_COLUMNS = ["source", "entity", "record_key", "forename", "surname", "dob", "sex", "postcode"]


@dataclass
class Pseudonymised:
    rows: pd.DataFrame  # the warehouse layout, plus _source_row_number
    identifiers: pd.DataFrame  # role, token, value: how the vault turns a token back
    person_records: pd.DataFrame  # one row per agency person record (person-bearing extracts)
    record_identifiers: pd.DataFrame  # shared identifiers of agency person records


@cache
def _postcode_lsoa() -> dict[str, str]:
    with (REFERENCE_DIR / "postcode_lookup.csv").open(newline="") as f:
        return {row["postcode"]: row["lsoa_code"] for row in csv.DictReader(f)}


def _canonical_postcodes(values: pd.Series) -> pd.Series:
    """Postcodes as the tokens normalise them ('n1 7ab' -> 'N1 7AB'); missing stays ''."""
    return values.astype(object).where(values.notna(), "").map(lambda v: normalise("postcode", v))


def postcode_district(values: pd.Series) -> pd.Series:
    """Outward code: 'n1 7ab' -> 'N1'."""
    return _canonical_postcodes(values).map(lambda v: v.split(" ")[0] if " " in v else None).astype(object)


def postcode_lsoa(values: pd.Series) -> pd.Series:
    """LSOA from the borough's postcode lookup; None outside the borough."""
    return _canonical_postcodes(values).map(_postcode_lsoa().get).astype(object)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(object).where(values.astype(object).ne(""), None), format="%Y-%m-%d", errors="coerce")


def age_on(dob: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from date of birth to a date; null where either is missing."""
    born, at = _dates(dob), _dates(on)
    before_birthday = (at.dt.month < born.dt.month) | ((at.dt.month == born.dt.month) & (at.dt.day < born.dt.day))
    years = at.dt.year - born.dt.year - before_birthday.astype(int)
    return years.astype("Int64").astype(object).where(years.notna(), None)


def _linked_tokens(key: bytes, frame: pd.DataFrame, value_field: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(roles, tokens, texts) of linked identifiers, each hashed under the role of its type."""
    types = frame["link_identifier_type"].astype(object).to_numpy()
    roles = np.empty(len(frame), dtype=object)
    tokens = np.empty(len(frame), dtype=object)
    texts = np.empty(len(frame), dtype=object)
    for link_type in pd.unique(types):
        role, kind = LINKED_ROLES.get(link_type, UNKNOWN_LINKED_ROLE)
        at = types == link_type
        roles[at] = role
        tokens[at], texts[at] = tokenise_with_text(key, role, frame.loc[at, value_field], kind)
    return roles, tokens, texts


def _distinct(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).dropna().drop_duplicates(ignore_index=True)[columns]


def _record_identifiers(contract: Contract, linking: list[pd.DataFrame], record_keys: np.ndarray | None) -> pd.DataFrame:
    """Shared identifiers of each agency person record, for deterministic linkage."""
    if record_keys is None or not linking:
        return pd.DataFrame(columns=RECORD_IDENTIFIER_COLUMNS)
    found = pd.concat(linking, ignore_index=True)
    found["record_key"] = record_keys[found.pop("_row").to_numpy()]
    return _distinct([found.assign(source=contract.source, entity=entity(person_reference(contract)))], RECORD_IDENTIFIER_COLUMNS)


def _person_records(contract: Contract, frame: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    by_role = {f.identifies: f.name for f in contract.fields if f.identifies}
    out = pd.DataFrame({"record_key": keys})
    for column in ("forename", "surname", "sex", "postcode"):
        values = frame[by_role[column]].astype(object) if column in by_role else pd.Series(None, index=frame.index, dtype=object)
        out[column] = values.where(values.ne(""), None).to_numpy()
    out["dob"] = _dates(frame[by_role["dob"]]).dt.date.astype(object).to_numpy() if "dob" in by_role else None
    out = out[out["record_key"].notna()].drop_duplicates("record_key", keep="last")
    reference = person_reference(contract)
    return out.assign(source=contract.source, entity=entity(reference))[PERSON_RECORD_COLUMNS]


def record_keys(contract: Contract, values: pd.Series, key: bytes) -> np.ndarray:
    """Keys of the agency person records that rows refer to (``person_reference`` values), as the warehouse holds them."""
    field = person_reference(contract)
    if field is None or field.privacy != "direct_identifier":
        return values.astype(object).to_numpy()
    role, kind = token_role(field)
    return tokenise_with_text(key, role, values, kind)[0]


def pseudonymise(contract: Contract, frame: pd.DataFrame, key: bytes) -> Pseudonymised:
    """The warehouse rows and the vault's share of one file's accepted rows."""
    rows = pd.DataFrame(index=frame.index)
    identifiers: list[pd.DataFrame] = []
    linking: list[pd.DataFrame] = []
    tokens_of: dict[str, np.ndarray] = {}
    reference = person_reference(contract)
    for column in warehouse_columns(contract):
        values = frame[column.source_field]
        field = contract.field(column.source_field)
        if column.treatment == "keep":
            rows[column.name] = values
        elif column.treatment == "token":
            role, kind = token_role(field)
            tokens, texts = tokenise_with_text(key, role, values, kind)
            tokens_of[field.name] = tokens
            rows[column.name] = tokens
            identifiers.append(pd.DataFrame({"role": role, "token": tokens, "value": texts}))
            if person_bearing(contract) and (field.identifies in LINKING_KINDS or field is reference):
                linking.append(pd.DataFrame({"role": role, "value": texts, "_row": np.arange(len(frame))}))
        elif column.treatment == "linked_token":
            roles, tokens, texts = _linked_tokens(key, frame, field.name)
            rows[column.name] = tokens
            identifiers.append(pd.DataFrame({"role": roles, "token": tokens, "value": texts}))
            linking.append(pd.DataFrame({"role": roles, "value": texts, "_row": np.arange(len(frame))}))
        elif column.treatment == "birth_year_month":
            rows[column.name] = values.astype(object).where(values.astype(object).ne(""), None).str[:7]
        elif column.treatment == "age":
            rows[column.name] = age_on(values, frame[contract.record_date])
        elif column.treatment == "postcode_district":
            rows[column.name] = postcode_district(values)
        elif column.treatment == "postcode_lsoa":
            rows[column.name] = postcode_lsoa(values)
    rows["_source_row_number"] = frame["_source_row_number"]
    keys = tokens_of.get(reference.name, frame[reference.name].astype(object).to_numpy()) if reference else None
    records = _person_records(contract, frame, keys) if person_bearing(contract) else pd.DataFrame(columns=PERSON_RECORD_COLUMNS)
    return Pseudonymised(
        rows=rows,
        identifiers=_distinct(identifiers, IDENTIFIER_COLUMNS),
        person_records=records,
        record_identifiers=_record_identifiers(contract, linking, keys),
    )
